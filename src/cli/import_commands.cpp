// `hearth import KIND PATH`: streams an export into the data node through
// the spooling client. `hearth collect desktop` is not implemented yet (it
// needs an X11/Wayland focus source); the command says so.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "cli/commands.h"
#include "ingest/data_client.h"
#include "ingest/importer.h"

namespace hearth::cli {
namespace {

struct ImportArgs {
  std::string kind, path;
  std::string data_url = ingest::DefaultDataUrl();
  std::string token = ingest::DefaultToken();
  std::string spool;
  std::string tz;
  std::string date_order;
  size_t batch = 1000;
  int patience_s = 60;
  bool no_progress = false;
};

int RunImport(const ImportArgs& a) {
  const auto& kinds = ingest::Importers();
  auto it = kinds.find(a.kind);
  if (it == kinds.end()) {
    std::string names;
    for (const auto& [k, fn] : kinds) names += (names.empty() ? "" : ", ") + k;
    return Fail(fmt::format("import: unknown kind '{}' (supported: {})", a.kind, names), 2);
  }
  ingest::ClientOptions copts;
  copts.url = a.data_url;
  copts.token = a.token;
  copts.spool_dir = a.spool.empty() ? ingest::DefaultSpoolDir("import") : a.spool;
  copts.batch_events = a.batch;
  auto client = ingest::DataClient::Open(copts);
  if (!client.ok()) return Fail("import: " + client.status().message());
  ingest::ImportOptions opts;
  opts.tz = a.tz;
  opts.date_order = a.date_order;
  ingest::ImportSink sink(client->get(), !a.no_progress);
  Status st = it->second(a.path, opts, sink);
  sink.Finish();
  // Whatever was read is delivered (or stays queued) even when the input
  // ended in an error.
  Status drained = (*client)->Drain(std::chrono::seconds(a.patience_s));
  const auto& c = sink.counts();
  const auto& cs = (*client)->stats();
  std::string skipped;
  for (const auto& [reason, n] : c.skipped_by_reason) skipped += fmt::format("{}{}: {}", skipped.empty() ? "" : ", ", reason, n);
  std::fprintf(stderr, "import %s: %llu records read, %llu events sent: %llu new, %llu duplicates; %llu skipped%s%s%s\n",
               a.kind.c_str(), static_cast<unsigned long long>(c.records), static_cast<unsigned long long>(c.emitted),
               static_cast<unsigned long long>(cs.stored), static_cast<unsigned long long>(cs.duplicates),
               static_cast<unsigned long long>(c.skipped), skipped.empty() ? "" : " (", skipped.c_str(),
               skipped.empty() ? "" : ")");
  if (!st.ok()) return Fail("import: " + st.message());
  if (!drained.ok()) return Fail("import: " + drained.message(), drained.code() == StatusCode::kUnavailable ? 75 : 1);
  return 0;
}

}  // namespace

void RegisterImportCommands(CLI::App& app, CliContext& ctx) {
  auto args = std::make_shared<ImportArgs>();
  CLI::App* imp = app.add_subcommand("import", "Import an export file or folder into the data node");
  imp->add_option("kind", args->kind, "gpx, whatsapp, chrome, firefox, home-assistant, takeout-location, notes")->required();
  imp->add_option("path", args->path, "the export file (or folder for notes)")->required();
  imp->add_option("--data", args->data_url, "data node URL (env HEARTH_DATA_URL)");
  imp->add_option("--token", args->token, "device token with the ingest scope (env HEARTH_TOKEN)");
  imp->add_option("--spool", args->spool, "on-disk queue directory (default $XDG_DATA_HOME/hearth/spool/import)");
  imp->add_option("--tz", args->tz, "IANA time zone for local times in the input (default: the system's)");
  imp->add_option("--date-order", args->date_order, "whatsapp: dmy or mdy when the file cannot tell");
  imp->add_option("--batch", args->batch, "events per request")->check(CLI::Range(1, 10000));
  imp->add_option("--patience", args->patience_s, "seconds to keep retrying an unreachable node before leaving the rest queued");
  imp->add_flag("--no-progress", args->no_progress, "no progress lines on stderr");
  imp->callback([args, &ctx]() { ctx.exit_code = RunImport(*args); });

  CLI::App* collect = app.add_subcommand("collect", "Run a collector");
  collect->require_subcommand(1);
  CLI::App* desktop = collect->add_subcommand("desktop", "Record focused application/window and idle periods");
  desktop->callback([&ctx]() {
    ctx.exit_code = Fail("collect desktop: not implemented yet (needs an X11/Wayland focus source)", 69);
  });
}

}  // namespace hearth::cli
