#include "data/support/node.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace hearth::testing {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Forks and execs HEARTH_BINARY with `args`; stdout to `out_fd`, stderr to
// `err_fd`. Returns the child's pid.
pid_t Spawn(const std::vector<std::string>& args, const Env& env, int out_fd, int err_fd) {
  std::vector<std::string> argv_store;
  argv_store.push_back(HEARTH_BINARY);
  argv_store.insert(argv_store.end(), args.begin(), args.end());
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    // Keep tests independent of the developer's own configuration.
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
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/hearth-data-test-XXXXXX";
  char* made = mkdtemp(tmpl.data());
  if (made == nullptr) std::abort();
  path_ = made;
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
  CommandResult result;
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = DecodeWait(status);
  result.out = Slurp(out_path);
  result.err = Slurp(err_path);
  return result;
}

std::string AddDevice(const std::string& dir, const std::string& name, const std::string& scopes) {
  CommandResult r = RunHearth({"--log-level", "warn", "device", "add", name, "--scopes", scopes, "--dir", dir});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string token = r.out;
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  EXPECT_EQ(token.rfind("hth_", 0), 0u) << "unexpected token output: " << r.out;
  return r.exit_code == 0 ? token : "";
}

std::unique_ptr<NodeProcess> NodeProcess::Start(const std::string& dir, const Env& env, std::string* error) {
  std::unique_ptr<NodeProcess> node(new NodeProcess());
  node->log_path_ = dir + ".node.log";
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return nullptr;
  int err_fd = open(node->log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  node->pid_ = Spawn({"--log-level", "info", "data", "serve", "--dir", dir, "--listen", "127.0.0.1:0"}, env,
                     pipe_fds[1], err_fd);
  close(pipe_fds[1]);
  close(err_fd);

  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool got_line = false;
  while (!got_line && std::chrono::steady_clock::now() < deadline) {
    pollfd p{pipe_fds[0], POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    char c;
    ssize_t n = read(pipe_fds[0], &c, 1);
    if (n <= 0) break;  // the process exited
    if (c == '\n') got_line = true;
    else line.push_back(c);
  }
  close(pipe_fds[0]);
  const std::string prefix = "listening on http://127.0.0.1:";
  if (!got_line || line.rfind(prefix, 0) != 0) {
    if (error) *error = "node did not start; stdout='" + line + "' log:\n" + node->Log();
    node->Stop(SIGKILL);
    return nullptr;
  }
  node->port_ = std::atoi(line.c_str() + prefix.size());
  return node;
}

NodeProcess::~NodeProcess() {
  if (pid_ > 0) Stop(SIGKILL);
  ::unlink(log_path_.c_str());
}

std::unique_ptr<httplib::Client> NodeProcess::Client(const std::string& token) const {
  auto client = std::make_unique<httplib::Client>("127.0.0.1", port_);
  client->set_connection_timeout(10);
  client->set_read_timeout(60);
  client->set_write_timeout(60);
  if (!token.empty()) client->set_default_headers(Bearer(token));
  return client;
}

int NodeProcess::Stop(int sig) {
  if (pid_ <= 0) return -1;
  kill(pid_, sig);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return DecodeWait(status);
}

std::string NodeProcess::Log() const { return Slurp(log_path_); }

httplib::Headers Bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

}  // namespace hearth::testing
