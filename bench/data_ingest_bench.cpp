// Durable ingest over real HTTP against a real `hearth data serve` process on
// loopback: events/s at batch sizes 1, 100 and 1000, and acknowledgement
// latency (p50/p99) for single events. Every acknowledgement is after a
// durable COMMIT (WAL, synchronous=FULL).
//
//   build/data-rel/bench/data_ingest_bench [--events-per-size N]
//
// Prints a Markdown table (see docs/BENCHMARKS.md, data node section). Not part of the test suite.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <httplib.h>

namespace {

using Clock = std::chrono::steady_clock;

std::string RunForOutput(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[256];
  while (fgets(buf, sizeof buf, p)) out += buf;
  pclose(p);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

struct Node {
  pid_t pid = -1;
  int port = 0;
};

Node StartNode(const std::string& dir) {
  int fds[2];
  if (pipe(fds) != 0) std::abort();
  Node node;
  node.pid = fork();
  if (node.pid == 0) {
    dup2(fds[1], 1);
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 2);
    execl(HEARTH_BINARY, HEARTH_BINARY, "--log-level", "warn", "data", "serve", "--dir", dir.c_str(), "--listen",
          "127.0.0.1:0", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  std::string line;
  char c;
  while (read(fds[0], &c, 1) == 1 && c != '\n') line.push_back(c);
  close(fds[0]);
  const auto colon = line.rfind(':');
  if (colon == std::string::npos) {
    std::fprintf(stderr, "node did not start: %s\n", line.c_str());
    std::exit(1);
  }
  node.port = std::atoi(line.c_str() + colon + 1);
  return node;
}

std::string Event(long n) {
  return fmt::format(
      R"({{"id":"ev-{}","layer":"behavioral","kind":"app.focus","time":"2026-11-21T19:{:02}:{:02}.{:06}+01:00",)"
      R"("end":"2026-11-21T20:30:00+01:00","text":"editing notes about the garden plan, draft {}",)"
      R"("data":{{"app":"editor","window":"notes.md","pid":{}}},"geo":{{"lat":48.8566,"lon":2.3522,"acc":15}}}})",
      n, (n / 60) % 60, n % 60, n % 1000000, n, n % 32768);
}

std::vector<std::string> MakeBodies(long* next_id, int batch, int count) {
  std::vector<std::string> bodies;
  for (int i = 0; i < count; ++i) {
    std::string body = "[";
    for (int k = 0; k < batch; ++k) {
      if (k) body += ',';
      body += Event((*next_id)++);
    }
    body += ']';
    bodies.push_back(std::move(body));
  }
  return bodies;
}

struct Result {
  double events_per_s;
  double p50_ms, p99_ms, max_ms;
};

Result Run(int port, const std::string& token, const std::vector<std::string>& bodies, int batch, int clients) {
  std::vector<double> latencies(bodies.size());
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      httplib::Client http("127.0.0.1", port);
      http.set_keep_alive(true);
      http.set_tcp_nodelay(true);
      http.set_read_timeout(60);
      http.set_default_headers({{"Authorization", "Bearer " + token}});
      for (size_t i; (i = next++) < bodies.size();) {
        const auto t0 = Clock::now();
        auto res = http.Post("/v1/events", bodies[i], "application/json");
        latencies[i] = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (!res || res->status != 200) {
          if (!failed.exchange(true)) {
            std::fprintf(stderr, "request failed: %s\n",
                         res ? fmt::format("{} {}", res->status, res->body).c_str() : httplib::to_string(res.error()).c_str());
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  if (failed) {
    std::fprintf(stderr, "a request failed\n");
    std::exit(1);
  }
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) { return latencies[std::min(latencies.size() - 1, static_cast<size_t>(p * latencies.size()))]; };
  return {static_cast<double>(bodies.size()) * batch / secs, pct(0.50), pct(0.99), latencies.back()};
}

}  // namespace

int main(int argc, char** argv) {
  long per_size = 100'000;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--events-per-size") per_size = std::atol(argv[i + 1]);
  }
  char tmpl[] = "/tmp/hearth-ingest-bench-XXXXXX";
  const std::string root = mkdtemp(tmpl);
  const std::string dir = root + "/data";
  const std::string token = RunForOutput(fmt::format("{} --log-level warn device add bench --scopes ingest --dir {} 2>/dev/null",
                                                     HEARTH_BINARY, dir));
  Node node = StartNode(dir);

  struct Config {
    int batch;
    int clients;
    long requests;
  };
  const Config configs[] = {
      {1, 1, std::min(per_size, 3000L)},   // single events: latency
      {1, 8, std::min(per_size, 8000L)},   // single events from 8 clients: group commit
      {100, 1, per_size / 100},
      {1000, 1, per_size / 1000},
      {1000, 2, per_size / 1000},
  };
  std::printf("| batch | clients | requests | events/s | ack p50 ms | ack p99 ms | max ms |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|---:|\n");
  long next_id = 0;
  for (const Config& c : configs) {
    auto warm = MakeBodies(&next_id, c.batch, std::max(2L, c.requests / 20));
    Run(node.port, token, warm, c.batch, c.clients);
    auto bodies = MakeBodies(&next_id, c.batch, static_cast<int>(c.requests));
    Result r = Run(node.port, token, bodies, c.batch, c.clients);
    std::printf("| %d | %d | %ld | %.0f | %.2f | %.2f | %.2f |\n", c.batch, c.clients, c.requests, r.events_per_s,
                r.p50_ms, r.p99_ms, r.max_ms);
    std::fflush(stdout);
  }
  kill(node.pid, SIGTERM);
  waitpid(node.pid, nullptr, 0);
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
  return 0;
}
