#include "data/server.h"

#include <chrono>

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "common/json_util.h"
#include "common/log.h"
#include "data/blob_store.h"
#include "data/data_dir.h"
#include "data/search_query.h"
#include "data/sqlite_event_store.h"
#include "data/tokens.h"

namespace hearth::data {
namespace {

using nlohmann::json;

constexpr size_t kDefaultReadLimit = 1000;
constexpr size_t kMaxReadLimit = 10'000;
constexpr size_t kDefaultSearchLimit = 20;
constexpr size_t kMaxSearchLimit = 100;

void SendJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(DumpJson(body), "application/json");
}

void SendError(httplib::Response& res, int status, std::string code, std::string message) {
  BatchError e;
  e.http_status = status;
  e.code = std::move(code);
  e.message = std::move(message);
  SendJson(res, status, ErrorToJson(e));
}

// Maps a store failure to a response; never leaks more than the message.
void SendStatus(httplib::Response& res, const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument: return SendError(res, 400, "invalid_argument", s.message());
    case StatusCode::kNotFound: return SendError(res, 404, "not_found", s.message());
    case StatusCode::kUnavailable: return SendError(res, 503, "unavailable", "the store is busy; retry");
    case StatusCode::kCorruption: return SendError(res, 500, "corruption", s.message());
    default: return SendError(res, 500, "internal", "the data node failed to complete the request; see its log");
  }
}

// Parses a non-negative integer query parameter; false with a response sent.
bool QueryInt(const httplib::Request& req, httplib::Response& res, const char* name, int64_t fallback, int64_t* out) {
  if (!req.has_param(name)) {
    *out = fallback;
    return true;
  }
  const std::string v = req.get_param_value(name);
  int64_t n = 0;
  bool ok = !v.empty() && v.size() <= 18;
  for (char c : v) {
    if (c < '0' || c > '9') ok = false;
    else n = n * 10 + (c - '0');
  }
  if (!ok) {
    SendError(res, 400, "invalid_argument", fmt::format("query parameter '{}' must be a non-negative integer", name));
    return false;
  }
  *out = n;
  return true;
}

class HttpDataServer final : public DataServer {
 public:
  HttpDataServer(ServerOptions options, DirLock lock, std::unique_ptr<EventStore> store,
                 std::unique_ptr<BlobStore> blobs)
      : options_(std::move(options)), lock_(std::move(lock)), store_(std::move(store)), blobs_(std::move(blobs)) {
    Routes();
  }

  Result<int> Bind() override {
    const int port = options_.port == 0 ? server_.bind_to_any_port(options_.host)
                                        : (server_.bind_to_port(options_.host, options_.port) ? options_.port : -1);
    if (port < 0) {
      return Status::Unavailable(fmt::format("cannot listen on {}:{} (address in use or not local?)", options_.host,
                                             options_.port));
    }
    log::Info("data", "bound", {{"host", options_.host}, {"port", port}});
    return port;
  }

  Status Serve() override {
    if (!server_.listen_after_bind()) return Status::Unavailable("the HTTP server stopped with an error");
    return Status::Ok();
  }

  void Stop() override { server_.stop(); }

 private:
  // Returns the device when the request carries a live token with `scope`;
  // otherwise sends 401/403 and returns nullopt.
  std::optional<Device> Authorize(const httplib::Request& req, httplib::Response& res, std::optional<Scope> scope) {
    const std::string header = req.get_header_value("Authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (header.empty() || header.compare(0, kBearer.size(), kBearer) != 0 || header.size() == kBearer.size()) {
      res.set_header("WWW-Authenticate", "Bearer");
      SendError(res, 401, "unauthenticated", "missing token: send Authorization: Bearer <token>");
      return std::nullopt;
    }
    auto found = store_->FindDeviceByTokenHash(HashToken(std::string_view(header).substr(kBearer.size())));
    if (!found.ok()) {
      SendStatus(res, found.status());
      return std::nullopt;
    }
    if (!found->has_value()) {
      res.set_header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
      SendError(res, 401, "unauthenticated", "unknown or revoked token");
      return std::nullopt;
    }
    Device device = std::move(**found);
    if (scope && !HasScope(device.scopes, *scope)) {
      SendError(res, 403, "forbidden",
                fmt::format("the token of device '{}' lacks the '{}' scope", device.name, ScopesToString(*scope)));
      return std::nullopt;
    }
    return device;
  }

  // Reads a request body of at most `limit` bytes; false (with a response
  // sent) when it is larger or the connection fails.
  bool ReadBody(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader,
                size_t limit, std::string* body) {
    if (req.has_header("Content-Length")) {
      const uint64_t declared = std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10);
      if (declared > limit) {
        res.set_header("Connection", "close");
        SendError(res, 413, "request_too_large",
                  fmt::format("request body of {} bytes exceeds the limit of {} bytes", declared, limit));
        return false;
      }
      body->reserve(declared);
    }
    bool too_large = false;
    const bool ok = reader([&](const char* data, size_t size) {
      if (body->size() + size > limit) {
        too_large = true;
        return false;
      }
      body->append(data, size);
      return true;
    });
    if (too_large) {
      res.set_header("Connection", "close");
      SendError(res, 413, "request_too_large", fmt::format("request body exceeds the limit of {} bytes", limit));
      return false;
    }
    if (!ok) {
      SendError(res, 400, "incomplete_body", "the request body could not be read completely");
      return false;
    }
    return true;
  }

  // Discards a body we will not use, so the connection can be reused.
  void DrainBody(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    const uint64_t declared = req.has_header("Content-Length")
                                  ? std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10)
                                  : 0;
    if (declared > options_.limits.max_request_bytes || req.get_header_value("Transfer-Encoding") == "chunked") {
      res.set_header("Connection", "close");
      return;
    }
    reader([](const char*, size_t) { return true; });
  }

  void PostEvents(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    auto device = Authorize(req, res, kScopeIngest);
    if (!device) return DrainBody(req, res, reader);
    std::string body;
    if (!ReadBody(req, res, reader, options_.limits.max_request_bytes, &body)) return;
    ParsedBatch batch = ParseEventBatch(body, options_.limits);
    if (!batch.ok) {
      log::Info("data", "batch refused", {{"device", device->name}, {"code", batch.error.code},
                                          {"problems", batch.error.details.size()}});
      return SendJson(res, batch.error.http_status, ErrorToJson(batch.error));
    }
    auto appended = store_->Append(device->id, batch.events);
    if (!appended.ok()) return SendStatus(res, appended.status());
    // Reached only after COMMIT returned: the acknowledgement is durable.
    SendJson(res, 200, {{"accepted", batch.events.size()}, {"stored", appended->stored},
                        {"duplicates", appended->duplicates}});
  }

  void PutBlob(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    auto device = Authorize(req, res, kScopeIngest);
    if (!device) return DrainBody(req, res, reader);
    auto upload = blobs_->BeginUpload();
    if (!upload.ok()) return SendStatus(res, upload.status());
    Status write_status;
    const bool ok = reader([&](const char* data, size_t size) {
      write_status = (*upload)->Write(data, size);
      return write_status.ok();
    });
    if (!write_status.ok()) return SendStatus(res, write_status);
    if (!ok) return SendError(res, 400, "incomplete_body", "the upload was interrupted; nothing was stored");
    auto id = (*upload)->Finish();
    if (!id.ok()) return SendStatus(res, id.status());
    log::Debug("data", "blob stored", {{"id", *id}, {"bytes", (*upload)->bytes()}});
    SendJson(res, 201, {{"id", *id}, {"bytes", (*upload)->bytes()}});
  }

  void GetBlob(const httplib::Request& req, httplib::Response& res) {
    if (!Authorize(req, res, kScopeRead)) return;
    const std::string id = req.matches[1];
    if (!IsBlobId(id)) {
      return SendError(res, 400, "invalid_argument", "a blob id is 64 lowercase hex characters");
    }
    // Verify the whole blob before sending a byte, so a damaged blob gets a
    // clean error instead of a response that stops halfway.
    Status verified = blobs_->Verify(id);
    if (!verified.ok()) {
      if (verified.code() == StatusCode::kCorruption) {
        log::Error("data", "blob failed verification", {{"id", id}});
        return SendError(res, 500, "blob_corrupt", fmt::format("blob {} failed verification: {}", id, verified.message()));
      }
      return SendStatus(res, verified);
    }
    auto opened = blobs_->OpenBlob(id);
    if (!opened.ok()) return SendStatus(res, opened.status());
    std::shared_ptr<BlobStore::Reader> blob(std::move(*opened));
    auto chunk = std::make_shared<std::string>();
    res.set_content_provider(blob->size(), "application/octet-stream",
                             [blob, chunk](size_t, size_t, httplib::DataSink& sink) {
                               auto more = blob->Next(chunk.get());
                               if (!more.ok()) return false;  // aborts the response
                               if (*more && !chunk->empty()) sink.write(chunk->data(), chunk->size());
                               return true;
                             });
  }

  void GetEvents(const httplib::Request& req, httplib::Response& res) {
    if (!Authorize(req, res, kScopeRead)) return;
    int64_t after, limit;
    if (!QueryInt(req, res, "after", 0, &after)) return;
    if (!QueryInt(req, res, "limit", kDefaultReadLimit, &limit)) return;
    if (limit < 1 || limit > static_cast<int64_t>(kMaxReadLimit)) {
      return SendError(res, 400, "invalid_argument", fmt::format("limit must be 1..{}", kMaxReadLimit));
    }
    auto events = store_->ReadAfter(after, static_cast<size_t>(limit));
    if (!events.ok()) return SendStatus(res, events.status());
    json list = json::array();
    int64_t next = after;
    for (const auto& e : *events) {
      list.push_back(StoredEventToJson(e));
      next = e.seq;
    }
    SendJson(res, 200, {{"events", std::move(list)}, {"next", next}});
  }

  void GetSearch(const httplib::Request& req, httplib::Response& res) {
    if (!Authorize(req, res, kScopeRead)) return;
    if (!req.has_param("q")) return SendError(res, 400, "invalid_argument", "query parameter 'q' is required");
    auto terms = ParseSearchQuery(req.get_param_value("q"));
    if (!terms.ok()) return SendError(res, 400, "invalid_argument", terms.status().message());
    SearchRequest request;
    request.terms = std::move(*terms);
    for (const char* name : {"from", "to"}) {
      if (!req.has_param(name)) continue;
      auto t = ParseRfc3339(req.get_param_value(name));
      if (!t.ok()) {
        return SendError(res, 400, "invalid_argument",
                         fmt::format("query parameter '{}' is not an RFC 3339 time with an offset: {}", name,
                                     t.status().message()));
      }
      (std::string_view(name) == "from" ? request.from_micros : request.to_micros) = t->utc_micros;
    }
    if (request.from_micros && request.to_micros && *request.from_micros >= *request.to_micros) {
      return SendError(res, 400, "invalid_argument", "the time range is empty or inverted: 'from' must be before 'to'");
    }
    if (req.has_param("layer")) {
      Layer layer;
      const std::string name = req.get_param_value("layer");
      if (!ParseLayer(name, &layer)) {
        return SendError(res, 400, "invalid_argument",
                         "query parameter 'layer' must be one of text, visual, auditory, behavioral, environmental, "
                         "residential");
      }
      request.layer = name;
    }
    if (req.has_param("kind")) request.kind = req.get_param_value("kind");
    if (req.has_param("device")) request.device = req.get_param_value("device");
    int64_t limit;
    if (!QueryInt(req, res, "limit", kDefaultSearchLimit, &limit)) return;
    if (limit < 1 || limit > static_cast<int64_t>(kMaxSearchLimit)) {
      return SendError(res, 400, "invalid_argument", fmt::format("limit must be 1..{}", kMaxSearchLimit));
    }
    request.limit = static_cast<size_t>(limit);
    if (req.has_param("cursor")) {
      auto cursor = DecodeSearchCursor(req.get_param_value("cursor"));
      if (!cursor.ok()) return SendError(res, 400, "invalid_argument", cursor.status().message());
      request.after = *cursor;
    }
    auto page = store_->Search(request);
    if (!page.ok()) return SendStatus(res, page.status());
    json hits = json::array();
    for (const SearchHit& h : page->hits) {
      // Clients see "higher is better"; the cursor keeps SQLite's rank.
      hits.push_back({{"event", StoredEventToJson(h.stored)}, {"snippet", h.snippet}, {"score", -h.rank}});
    }
    json body = {{"hits", std::move(hits)}, {"next", nullptr}};
    if (page->next) body["next"] = EncodeSearchCursor(*page->next);
    SendJson(res, 200, body);
  }

  void GetStats(const httplib::Request& req, httplib::Response& res) {
    if (!Authorize(req, res, kScopeRead)) return;
    auto stats = store_->Stats();
    if (!stats.ok()) return SendStatus(res, stats.status());
    auto blob_bytes = blobs_->BytesUsed();
    if (!blob_bytes.ok()) return SendStatus(res, blob_bytes.status());
    json layers = json::object();
    for (Layer l : kAllLayers) {
      auto it = stats->per_layer.find(std::string(LayerName(l)));
      layers[std::string(LayerName(l))] = it == stats->per_layer.end() ? 0 : it->second;
    }
    SendJson(res, 200,
             {{"events", stats->events},
              {"layers", std::move(layers)},
              {"devices", stats->per_device},
              {"bytes", {{"database", stats->database_bytes}, {"blobs", *blob_bytes},
                         {"total", stats->database_bytes + static_cast<int64_t>(*blob_bytes)}}}});
  }

  void GetDevices(const httplib::Request& req, httplib::Response& res) {
    if (!Authorize(req, res, kScopeAdmin)) return;
    auto devices = store_->ListDevices();
    if (!devices.ok()) return SendStatus(res, devices.status());
    json list = json::array();
    for (const auto& d : *devices) {
      json j = {{"name", d.name}, {"scopes", ScopesToString(d.scopes)}, {"created", FormatRfc3339({d.created_micros, 0})}};
      if (d.revoked_micros) j["revoked"] = FormatRfc3339({*d.revoked_micros, 0});
      list.push_back(std::move(j));
    }
    SendJson(res, 200, {{"devices", std::move(list)}});
  }

  void Routes() {
    server_.set_tcp_nodelay(true);
    server_.set_keep_alive_max_count(10'000);
    server_.set_payload_max_length(options_.limits.max_request_bytes);
    server_.Post("/v1/events", [this](const httplib::Request& req, httplib::Response& res,
                                      const httplib::ContentReader& reader) { PostEvents(req, res, reader); });
    server_.Put("/v1/blobs", [this](const httplib::Request& req, httplib::Response& res,
                                     const httplib::ContentReader& reader) { PutBlob(req, res, reader); });
    server_.Get("/v1/blobs/(.*)", [this](const httplib::Request& req, httplib::Response& res) { GetBlob(req, res); });
    server_.Get("/v1/events", [this](const httplib::Request& req, httplib::Response& res) { GetEvents(req, res); });
    server_.Get("/v1/search", [this](const httplib::Request& req, httplib::Response& res) { GetSearch(req, res); });
    server_.Get("/v1/stats", [this](const httplib::Request& req, httplib::Response& res) { GetStats(req, res); });
    server_.Get("/v1/devices", [this](const httplib::Request& req, httplib::Response& res) { GetDevices(req, res); });
    server_.Get("/v1/health", [this](const httplib::Request& req, httplib::Response& res) {
      if (!Authorize(req, res, std::nullopt)) return;
      SendJson(res, 200, {{"status", "ok"}, {"schema_version", store_->schema_version()}});
    });
    server_.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
      if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      if (res.status == 404) SendError(res, 404, "not_found", "no such endpoint; see docs/API.md");
      else if (res.status == 413) SendError(res, 413, "request_too_large", "request body exceeds the limit");
      else SendError(res, res.status, "http_error", fmt::format("HTTP status {}", res.status));
      return httplib::Server::HandlerResponse::Handled;
    }));
    server_.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
      SendError(res, 500, "internal", "unexpected failure; see the data node's log");
    });
    server_.set_logger([](const httplib::Request& req, const httplib::Response& res) {
      log::Debug("data", "request", {{"method", req.method}, {"path", req.path}, {"status", res.status}});
    });
  }

  const ServerOptions options_;
  DirLock lock_;
  std::unique_ptr<EventStore> store_;
  std::unique_ptr<BlobStore> blobs_;
  httplib::Server server_;
};

}  // namespace

Result<std::unique_ptr<DataServer>> DataServer::Open(const ServerOptions& options) {
  HEARTH_ASSIGN_OR_RETURN(DataDir dir, PrepareDataDir(options.dir));
  HEARTH_ASSIGN_OR_RETURN(DirLock lock, DirLock::Acquire(dir));
  HEARTH_ASSIGN_OR_RETURN(auto store, OpenSqliteEventStore(dir.db_path()));
  HEARTH_ASSIGN_OR_RETURN(auto blobs, BlobStore::Open(dir));
  HEARTH_RETURN_IF_ERROR(blobs->CleanTemporaryFiles());
  return std::unique_ptr<DataServer>(
      new HttpDataServer(options, std::move(lock), std::move(store), std::move(blobs)));
}

}  // namespace hearth::data
