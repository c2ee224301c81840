// `hearth data …` and `hearth device …`: owned by the data node.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/log.h"
#include "common/paths.h"
#include "common/time.h"
#include "data/data_dir.h"
#include "data/maintenance.h"
#include "data/server.h"
#include "data/sqlite_event_store.h"
#include "data/tokens.h"

namespace hearth::cli {
namespace {

struct DataFlags {
  std::string dir;
  std::string listen;
  std::string path;  // backup target / restore source
  bool force = false;
  std::string device_name;
  std::string scopes = "ingest";
};

std::string ResolveDir(const CliContext& ctx, const DataFlags& f) {
  if (!f.dir.empty()) return f.dir;
  return ctx.config.GetOr("data.dir", DefaultDataDir());
}

// Reads a positive size limit from the configuration.
bool ReadLimit(const CliContext& ctx, const char* key, size_t* value) {
  auto text = ctx.config.Get(key);
  if (!text) return true;
  size_t v = 0;
  bool ok = !text->empty() && text->size() <= 15;
  for (char c : *text) {
    if (c < '0' || c > '9') ok = false;
    else v = v * 10 + static_cast<size_t>(c - '0');
  }
  if (!ok || v == 0) {
    Fail(fmt::format("configuration {} (or {}) must be a positive integer, not '{}'", key, Config::EnvName(key), *text));
    return false;
  }
  *value = v;
  return true;
}

// Splits HOST:PORT; false on malformed input.
bool ParseListen(const std::string& text, std::string* host, int* port) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return false;
  *host = text.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') *host = host->substr(1, host->size() - 2);
  int p = 0;
  for (size_t i = colon + 1; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    p = p * 10 + (text[i] - '0');
    if (p > 65535) return false;
  }
  *port = p;
  return true;
}

int Serve(CliContext& ctx, const DataFlags& f) {
  data::ServerOptions options;
  options.dir = ResolveDir(ctx, f);
  const std::string listen = f.listen.empty() ? ctx.config.GetOr("data.listen", "127.0.0.1:8710") : f.listen;
  if (!ParseListen(listen, &options.host, &options.port)) {
    return Fail(fmt::format("--listen '{}' is not HOST:PORT (e.g. 127.0.0.1:8710)", listen));
  }
  if (!ReadLimit(ctx, "data.max_batch_events", &options.limits.max_batch_events) ||
      !ReadLimit(ctx, "data.max_event_bytes", &options.limits.max_event_bytes) ||
      !ReadLimit(ctx, "data.max_request_bytes", &options.limits.max_request_bytes)) {
    return 2;
  }
  // Block the stop signals in every thread (threads inherit the mask); one
  // watcher thread takes them and stops the server cleanly.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto server = data::DataServer::Open(options);
  if (!server.ok()) return Fail(server.status().message());
  auto port = (*server)->Bind();
  if (!port.ok()) return Fail(port.status().message());
  const bool v6 = options.host.find(':') != std::string::npos;
  std::printf("listening on http://%s%s%s:%d\n", v6 ? "[" : "", options.host.c_str(), v6 ? "]" : "", *port);
  std::fflush(stdout);
  log::Info("data", "serving", {{"port", *port}});

  std::atomic<bool> done{false};
  data::DataServer* raw = server->get();
  std::thread watcher([&] {
    const timespec tick{0, 100'000'000};
    while (!done.load()) {
      const int sig = sigtimedwait(&stop_signals, nullptr, &tick);
      if (sig == SIGTERM || sig == SIGINT) {
        log::Info("data", "stopping", {{"signal", sig}});
        raw->Stop();
        return;
      }
    }
  });
  Status served = (*server)->Serve();
  done.store(true);
  watcher.join();
  server->reset();  // drains the writer and closes the database
  if (!served.ok()) return Fail(served.message());
  log::Info("data", "stopped");
  return 0;
}

int Backup(CliContext& ctx, const DataFlags& f) {
  auto dir = data::PrepareDataDir(ResolveDir(ctx, f));
  if (!dir.ok()) return Fail(dir.status().message());
  auto summary = data::BackupDataDir(*dir, f.path);
  if (!summary.ok()) return Fail(summary.status().message());
  std::printf("backup written to %s (%zu blobs, %llu bytes)\n", f.path.c_str(), summary->blobs,
              static_cast<unsigned long long>(summary->bytes));
  return 0;
}

int Restore(CliContext& ctx, const DataFlags& f) {
  auto summary = data::RestoreDataDir(f.path, data::DataDir{ResolveDir(ctx, f)}, f.force);
  if (!summary.ok()) return Fail(summary.status().message());
  std::printf("restored %s into %s (%zu blobs)\n", f.path.c_str(), ResolveDir(ctx, f).c_str(), summary->blobs);
  return 0;
}

int Check(CliContext& ctx, const DataFlags& f) {
  auto report = data::CheckDataDir(data::DataDir{ResolveDir(ctx, f)});
  if (!report.ok()) return Fail(report.status().message());
  for (const auto& p : report->problems) std::fprintf(stderr, "hearth: problem: %s\n", p.c_str());
  if (!report->ok()) {
    return Fail(fmt::format("check failed: {} problem(s) in {}", report->problems.size(), ResolveDir(ctx, f)));
  }
  std::printf("ok: schema version %d, database integrity ok, %zu blobs verified\n", report->schema_version,
              report->blobs_checked);
  return 0;
}

Result<std::unique_ptr<data::EventStore>> OpenStore(CliContext& ctx, const DataFlags& f) {
  HEARTH_ASSIGN_OR_RETURN(data::DataDir dir, data::PrepareDataDir(ResolveDir(ctx, f)));
  return data::OpenSqliteEventStore(dir.db_path());
}

int DeviceAdd(CliContext& ctx, const DataFlags& f) {
  auto scopes = data::ParseScopes(f.scopes);
  if (!scopes.ok()) return Fail(scopes.status().message());
  if (Status s = data::ValidateDeviceName(f.device_name); !s.ok()) return Fail(s.message());
  auto store = OpenStore(ctx, f);
  if (!store.ok()) return Fail(store.status().message());
  const std::string token = data::GenerateToken();
  auto device = (*store)->AddDevice(f.device_name, *scopes, data::HashToken(token));
  if (!device.ok()) return Fail(device.status().message());
  std::fprintf(stderr, "device '%s' added with scopes %s; the token is shown once:\n", device->name.c_str(),
               data::ScopesToString(device->scopes).c_str());
  std::printf("%s\n", token.c_str());
  return 0;
}

int DeviceList(CliContext& ctx, const DataFlags& f) {
  auto store = OpenStore(ctx, f);
  if (!store.ok()) return Fail(store.status().message());
  auto devices = (*store)->ListDevices();
  if (!devices.ok()) return Fail(devices.status().message());
  std::printf("%-24s %-20s %-22s %s\n", "NAME", "SCOPES", "CREATED", "STATUS");
  for (const auto& d : *devices) {
    const std::string status = d.revoked_micros ? "revoked " + FormatRfc3339({*d.revoked_micros, 0}) : "active";
    std::printf("%-24s %-20s %-22s %s\n", d.name.c_str(), data::ScopesToString(d.scopes).c_str(),
                FormatRfc3339({d.created_micros - d.created_micros % 1'000'000, 0}).c_str(), status.c_str());
  }
  return 0;
}

int DeviceRevoke(CliContext& ctx, const DataFlags& f) {
  auto store = OpenStore(ctx, f);
  if (!store.ok()) return Fail(store.status().message());
  if (Status s = (*store)->RevokeDevice(f.device_name); !s.ok()) return Fail(s.message());
  std::printf("device '%s' revoked; its token no longer works\n", f.device_name.c_str());
  return 0;
}

}  // namespace

void RegisterDataCommands(CLI::App& app, CliContext& ctx) {
  auto flags = std::make_shared<DataFlags>();
  auto add_dir = [flags](CLI::App* cmd) {
    cmd->add_option("--dir", flags->dir, "data directory (default: config data.dir or $XDG_DATA_HOME/hearth)");
  };
  auto run = [&ctx, flags](int (*fn)(CliContext&, const DataFlags&)) {
    return [&ctx, flags, fn]() { ctx.exit_code = fn(ctx, *flags); };
  };

  CLI::App* data_cmd = app.add_subcommand("data", "the data node: serve, backup, restore, check");
  data_cmd->require_subcommand(1);
  CLI::App* serve = data_cmd->add_subcommand("serve", "serve the data node's HTTP API");
  add_dir(serve);
  serve->add_option("--listen", flags->listen, "HOST:PORT (default: config data.listen or 127.0.0.1:8710; port 0 picks a free port)");
  serve->callback(run(Serve));

  CLI::App* backup = data_cmd->add_subcommand("backup", "write a consistent copy of the data directory (safe while serving)");
  add_dir(backup);
  backup->add_option("target", flags->path, "new directory for the backup")->required();
  backup->callback(run(Backup));

  CLI::App* restore = data_cmd->add_subcommand("restore", "replace the data directory with a checked backup");
  add_dir(restore);
  restore->add_option("source", flags->path, "backup directory written by `hearth data backup`")->required();
  restore->add_flag("--force", flags->force, "replace an existing database");
  restore->callback(run(Restore));

  CLI::App* check = data_cmd->add_subcommand("check", "verify the database and every blob");
  add_dir(check);
  check->callback(run(Check));

  CLI::App* device = app.add_subcommand("device", "devices and their tokens");
  device->require_subcommand(1);
  CLI::App* add = device->add_subcommand("add", "add a device and print its token once");
  add_dir(add);
  add->add_option("name", flags->device_name, "device name ([A-Za-z0-9._-], up to 64)")->required();
  add->add_option("--scopes", flags->scopes, "comma-separated: ingest, read, admin");
  add->callback(run(DeviceAdd));
  CLI::App* list = device->add_subcommand("list", "list devices, their scopes and whether they are revoked");
  add_dir(list);
  list->callback(run(DeviceList));
  CLI::App* revoke = device->add_subcommand("revoke", "revoke a device's token");
  add_dir(revoke);
  revoke->add_option("name", flags->device_name, "device name")->required();
  revoke->callback(run(DeviceRevoke));
}

}  // namespace hearth::cli
