// Test helpers for the importers: a real `hearth data serve` process that
// can be killed and restarted on the same port and directory, and running
// the real `hearth` binary.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace hearth::ingest_testing {

using Env = std::vector<std::pair<std::string, std::string>>;

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

CommandResult RunHearth(const std::vector<std::string>& args, const Env& env = {});

// A data node in `dir` with one device "importer" (scopes ingest,read).
class Node {
 public:
  explicit Node(std::string dir) : dir_(std::move(dir)) {}
  ~Node();
  // Creates the device (first call only) and starts serving on `port`
  // (0 = the port of the previous start, or a free one). False on failure.
  bool Start(std::string* error);
  int Stop(int sig);
  bool running() const { return pid_ > 0; }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& token() const { return token_; }
  const std::string& dir() const { return dir_; }
  // Every stored event, in arrival order (GET /v1/events, paged).
  std::vector<nlohmann::json> Events() const;

 private:
  std::string dir_;
  std::string token_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace hearth::ingest_testing
