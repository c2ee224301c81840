// `hearth demo generate`: writes a synthetic life (see timeline/demo_life.h).
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "common/log.h"
#include "timeline/demo_life.h"
#include "timeline/time_zone.h"

namespace hearth::cli {

namespace {

struct DemoGenerateArgs {
  timeline::DemoOptions options;
  std::string out;
};

int RunDemoGenerate(const DemoGenerateArgs& args) {
  auto zone = timeline::TimeZone::Load(args.options.zone);
  if (!zone.ok()) return Fail("--tz: " + zone.status().message());
  auto life = timeline::GenerateDemoLife(args.options, *zone);
  if (!life.ok()) return Fail(life.status().message());
  Status written = timeline::WriteDemoLife(*life, args.out);
  if (!written.ok()) return Fail("writing the demo life to " + args.out + ": " + written.message());
  size_t events = 0;
  for (const auto& d : life->devices) events += d.events.size();
  log::Info("timeline", "demo life written",
            {{"days", args.options.days}, {"devices", life->devices.size()}, {"events", events}});
  std::printf("wrote %zu events from %zu devices over %d days to %s\n", events, life->devices.size(),
              args.options.days, args.out.c_str());
  return 0;
}

}  // namespace

void RegisterTimelineCommands(CLI::App& app, CliContext& ctx) {
  CLI::App* demo = app.add_subcommand("demo", "Synthetic data for trying Hearth out");
  demo->require_subcommand(1);
  auto args = std::make_shared<DemoGenerateArgs>();
  CLI::App* gen = demo->add_subcommand(
      "generate", "Write a synthetic life: one NDJSON file per device in the wire format, clock-exchange logs and ground_truth.json");
  gen->add_option("--days", args->options.days, "Number of days (1-3660)")->capture_default_str();
  gen->add_option("--seed", args->options.seed, "Random seed; the same seed writes the same files")->capture_default_str();
  gen->add_option("--out", args->out, "Output directory (created 0700)")->required();
  gen->add_option("--start", args->options.start_date, "First day, YYYY-MM-DD (local)")->capture_default_str();
  gen->add_option("--tz", args->options.zone, "IANA time zone of the person")->capture_default_str();
  gen->add_option("--density", args->options.density,
                  "Scale of the high-rate streams: 1 is about 2,000 events a day, 13 about 20,000")
      ->capture_default_str();
  gen->callback([args, &ctx]() { ctx.exit_code = RunDemoGenerate(*args); });
}

}  // namespace hearth::cli
