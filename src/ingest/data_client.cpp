#include "ingest/data_client.h"

#include <cstdlib>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>

#include "common/json_util.h"
#include "common/log.h"
#include "common/paths.h"

namespace hearth::ingest {
namespace {

constexpr std::string_view kComponent = "ingest";

// The node's error message, or the raw body when it is not our JSON.
std::string NodeMessage(const httplib::Response& res) {
  try {
    auto j = nlohmann::json::parse(res.body);
    std::string msg = j.at("error").value("code", "") + ": " + j.at("error").value("message", "");
    if (j["error"].contains("details") && j["error"]["details"].is_array() && !j["error"]["details"].empty()) {
      const auto& d = j["error"]["details"][0];
      msg += fmt::format(" (first: event {} field '{}': {})", d.value("index", -1), d.value("field", ""),
                         d.value("reason", ""));
    }
    return msg;
  } catch (const nlohmann::json::exception&) {
    return res.body.substr(0, 200);
  }
}

}  // namespace

std::string DefaultDataUrl() {
  const char* v = std::getenv("HEARTH_DATA_URL");
  return v && *v ? v : "http://127.0.0.1:8710";
}

std::string DefaultToken() {
  const char* v = std::getenv("HEARTH_TOKEN");
  return v ? v : "";
}

std::string DefaultSpoolDir(const std::string& name) { return DefaultDataDir() + "/spool/" + name; }

Result<std::unique_ptr<DataClient>> DataClient::Open(const ClientOptions& options) {
  if (options.url.rfind("http://", 0) != 0 && options.url.rfind("https://", 0) != 0) {
    return Status::InvalidArgument(fmt::format("--data '{}' must start with http:// or https://", options.url));
  }
  if (options.token.empty()) {
    return Status::InvalidArgument("no token: pass --token TOKEN or set HEARTH_TOKEN (see `hearth device add`)");
  }
  if (options.batch_events == 0) return Status::InvalidArgument("batch size must be at least 1 event");
  HEARTH_ASSIGN_OR_RETURN(Spool spool, Spool::Open(options.spool_dir));
  return std::unique_ptr<DataClient>(new DataClient(options, std::move(spool)));
}

DataClient::DataClient(ClientOptions options, Spool spool) : options_(std::move(options)), spool_(std::move(spool)) {
  http_ = std::make_unique<httplib::Client>(options_.url);
  http_->set_connection_timeout(5);
  http_->set_read_timeout(options_.timeout_seconds);
  http_->set_write_timeout(options_.timeout_seconds);
  http_->set_keep_alive(true);
}

DataClient::~DataClient() = default;

Status DataClient::Add(nlohmann::json event) {
  std::string line = DumpJson(event);
  if (buffered_events_ > 0 && buffer_.size() + line.size() + 1 > options_.batch_bytes) HEARTH_RETURN_IF_ERROR(Seal());
  buffer_ += line;
  buffer_ += '\n';
  ++buffered_events_;
  ++stats_.added;
  if (buffered_events_ >= options_.batch_events) {
    HEARTH_RETURN_IF_ERROR(Seal());
    return Pump();
  }
  return Status::Ok();
}

Status DataClient::Seal() {
  if (buffered_events_ == 0) return Status::Ok();
  HEARTH_ASSIGN_OR_RETURN(uint64_t seq, spool_.Append(buffer_));
  (void)seq;
  buffer_.clear();
  buffered_events_ = 0;
  return Status::Ok();
}

Status DataClient::SendOldest() {
  const uint64_t seq = spool_.Pending().front();
  HEARTH_ASSIGN_OR_RETURN(std::string body, spool_.Read(seq));
  httplib::Headers headers = {{"Authorization", "Bearer " + options_.token}};
  auto res = http_->Post("/v1/events", headers, body, "application/x-ndjson");
  if (!res) {
    return Status::Unavailable(fmt::format("data node {} unreachable: {}", options_.url, httplib::to_string(res.error())));
  }
  if (res->status == 200) {
    try {
      auto j = nlohmann::json::parse(res->body);
      stats_.stored += j.value("stored", uint64_t{0});
      stats_.duplicates += j.value("duplicates", uint64_t{0});
    } catch (const nlohmann::json::exception&) {
      // Acknowledged all the same: the node answers 200 only after commit.
    }
    ++stats_.batches_sent;
    return spool_.Remove(seq);
  }
  if (res->status >= 500 || res->status == 429 || res->status == 408) {
    return Status::Unavailable(fmt::format("data node answered {}: {}", res->status, NodeMessage(*res)));
  }
  if (res->status == 401) return Status::Unauthenticated("data node refused the token: " + NodeMessage(*res));
  if (res->status == 403) return Status::PermissionDenied("the token lacks the ingest scope: " + NodeMessage(*res));
  HEARTH_RETURN_IF_ERROR(spool_.Reject(seq));
  return Status::InvalidArgument(fmt::format("data node refused a batch ({}); it was kept in {}/rejected/: {}",
                                             res->status, spool_.dir(), NodeMessage(*res)));
}

Status DataClient::Pump() {
  while (!spool_.Pending().empty()) {
    if (std::chrono::steady_clock::now() < next_attempt_) return Status::Ok();
    Status st = SendOldest();
    if (st.ok()) {
      backoff_ = std::chrono::milliseconds(0);
      continue;
    }
    if (st.code() != StatusCode::kUnavailable) return st;
    ++stats_.failed_attempts;
    backoff_ = backoff_.count() == 0 ? options_.initial_backoff : std::min(backoff_ * 2, options_.max_backoff);
    next_attempt_ = std::chrono::steady_clock::now() + backoff_;
    log::Warn(kComponent, "send failed; batches stay queued",
              {{"error", st.message()}, {"queued", spool_.Pending().size()}, {"retry_ms", backoff_.count()}});
    return Status::Ok();
  }
  return Status::Ok();
}

Status DataClient::Drain(std::chrono::milliseconds patience) {
  HEARTH_RETURN_IF_ERROR(Seal());
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (true) {
    HEARTH_RETURN_IF_ERROR(Pump());
    if (spool_.Pending().empty()) return Status::Ok();
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline || next_attempt_ >= deadline) break;
    std::this_thread::sleep_until(next_attempt_);
  }
  return Status::Unavailable(fmt::format(
      "data node {} unreachable; {} batch(es) stay queued in {} and are sent by the next run", options_.url,
      spool_.Pending().size(), spool_.dir()));
}

}  // namespace hearth::ingest
