// Test helpers for the data node: temporary directories, running the real
// `hearth` binary, and a real `hearth data serve` process on an ephemeral
// loopback port.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <httplib.h>

namespace hearth::testing {

using Env = std::vector<std::pair<std::string, std::string>>;

// A fresh directory under $TMPDIR (or /tmp), removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `hearth args...` to completion with extra environment variables.
CommandResult RunHearth(const std::vector<std::string>& args, const Env& env = {});

// `hearth device add NAME --scopes SCOPES --dir DIR`; returns the token, or
// "" (with a gtest failure) if the command failed.
std::string AddDevice(const std::string& dir, const std::string& name, const std::string& scopes);

// A running `hearth data serve --dir DIR --listen 127.0.0.1:0`.
class NodeProcess {
 public:
  // Starts the node and waits for its "listening on" line; nullptr (and
  // `*error` set) if it exited or did not come up.
  static std::unique_ptr<NodeProcess> Start(const std::string& dir, const Env& env = {},
                                            std::string* error = nullptr);
  ~NodeProcess();  // SIGKILLs the process if still running

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  // A client for this node; `token` goes into Authorization: Bearer.
  std::unique_ptr<httplib::Client> Client(const std::string& token = "") const;

  // Sends `sig` and waits; returns the exit code (or 128+signal).
  int Stop(int sig);
  // The node's stderr so far (its log file).
  std::string Log() const;

 private:
  NodeProcess() = default;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_path_;
};

// Headers for a bearer token.
httplib::Headers Bearer(const std::string& token);

}  // namespace hearth::testing
