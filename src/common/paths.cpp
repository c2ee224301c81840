#include "common/paths.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace hearth {
namespace {

std::string HomeDir() {
  const char* home = std::getenv("HOME");
  return home != nullptr && *home != '\0' ? home : "/tmp";
}

std::string XdgDir(const char* var, const char* fallback_under_home) {
  const char* v = std::getenv(var);
  if (v != nullptr && *v == '/') return std::string(v) + "/hearth";
  return HomeDir() + "/" + fallback_under_home + "/hearth";
}

Status ErrnoStatus(std::string_view what, const std::string& path) {
  return Status::IoError(fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}

}  // namespace

std::string DefaultConfigDir() { return XdgDir("XDG_CONFIG_HOME", ".config"); }
std::string DefaultConfigPath() { return DefaultConfigDir() + "/hearth.toml"; }
std::string DefaultDataDir() { return XdgDir("XDG_DATA_HOME", ".local/share"); }

Status EnsureDirectory(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return Status::Ok();
  std::filesystem::path p(path);
  if (p.has_parent_path() && p.parent_path() != p) {
    HEARTH_RETURN_IF_ERROR(EnsureDirectory(p.parent_path().string()));
  }
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) return ErrnoStatus("cannot create directory", path);
  return Status::Ok();
}

Result<std::string> ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::IoError(fmt::format("cannot read {}", path));
  return ss.str();
}

Status SyncDirectory(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open directory", path);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return ErrnoStatus("cannot fsync directory", path);
  return Status::Ok();
}

Status WriteFileAtomic(const std::string& path, std::string_view contents, unsigned mode) {
  std::filesystem::path target(path);
  std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoStatus("cannot create", tmp);
  ::fchmod(fd, mode);  // umask must not widen or narrow the requested mode
  size_t written = 0;
  while (written < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status s = ErrnoStatus("cannot write", tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return s;
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Status s = ErrnoStatus("cannot fsync", tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = ErrnoStatus("cannot rename into", path);
    ::unlink(tmp.c_str());
    return s;
  }
  return SyncDirectory(dir);
}

}  // namespace hearth
