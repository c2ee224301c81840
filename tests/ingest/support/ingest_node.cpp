#include "ingest/support/ingest_node.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

namespace hearth::ingest_testing {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

pid_t Spawn(const std::vector<std::string>& args, const Env& env, int out_fd, int err_fd) {
  std::vector<std::string> argv_store{HEARTH_BINARY};
  argv_store.insert(argv_store.end(), args.begin(), args.end());
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    setenv("XDG_CONFIG_HOME", "/nonexistent-hearth-test-config", 1);
    std::vector<char*> argv;
    for (auto& a : argv_store) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

int DecodeWait(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/hearth-ingest-test-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) std::abort();
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

CommandResult RunHearth(const std::vector<std::string>& args, const Env& env) {
  TempDir io;
  const std::string out_path = io.Sub("out"), err_path = io.Sub("err");
  int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  pid_t pid = Spawn(args, env, out_fd, err_fd);
  close(out_fd);
  close(err_fd);
  int status = 0;
  waitpid(pid, &status, 0);
  return {DecodeWait(status), Slurp(out_path), Slurp(err_path)};
}

Node::~Node() {
  if (pid_ > 0) Stop(SIGKILL);
}

bool Node::Start(std::string* error) {
  if (token_.empty()) {
    CommandResult r = RunHearth({"--log-level", "warn", "device", "add", "importer", "--scopes", "ingest,read",
                                 "--dir", dir_});
    token_ = r.out.substr(0, r.out.find('\n'));
    if (r.exit_code != 0 || token_.rfind("hth_", 0) != 0) {
      *error = "device add failed: " + r.err;
      return false;
    }
  }
  // A restart on the same port may briefly find it still held by the old
  // process's sockets; retry for a few seconds.
  for (int attempt = 0; attempt < 50; ++attempt) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return false;
    int err_fd = open((dir_ + ".log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    pid_ = Spawn({"--log-level", "warn", "data", "serve", "--dir", dir_, "--listen",
                  "127.0.0.1:" + std::to_string(port_)},
                 {}, fds[1], err_fd);
    close(fds[1]);
    close(err_fd);
    std::string line;
    bool got = false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!got && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fds[0], POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) continue;
      char c;
      if (read(fds[0], &c, 1) <= 0) break;
      if (c == '\n') got = true;
      else line.push_back(c);
    }
    close(fds[0]);
    const std::string prefix = "listening on http://127.0.0.1:";
    if (got && line.rfind(prefix, 0) == 0) {
      port_ = std::atoi(line.c_str() + prefix.size());
      return true;
    }
    Stop(SIGKILL);
    if (port_ == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  *error = "node did not start: " + Slurp(dir_ + ".log");
  return false;
}

int Node::Stop(int sig) {
  if (pid_ <= 0) return -1;
  kill(pid_, sig);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return DecodeWait(status);
}

std::vector<nlohmann::json> Node::Events() const {
  std::vector<nlohmann::json> all;
  httplib::Client client("127.0.0.1", port_);
  client.set_read_timeout(60);
  int64_t after = 0;
  while (true) {
    auto res = client.Get("/v1/events?limit=10000&after=" + std::to_string(after),
                          {{"Authorization", "Bearer " + token_}});
    if (!res || res->status != 200) {
      ADD_FAILURE() << "GET /v1/events failed: " << (res ? res->body : "no response");
      return all;
    }
    auto j = nlohmann::json::parse(res->body);
    if (j["events"].empty()) return all;
    for (auto& e : j["events"]) all.push_back(e);
    after = j["next"].get<int64_t>();
  }
}

}  // namespace hearth::ingest_testing
