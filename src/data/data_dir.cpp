#include "data/data_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "common/paths.h"

namespace hearth::data {

Result<DataDir> PrepareDataDir(const std::string& root) {
  if (root.empty()) return Status::InvalidArgument("data directory path is empty");
  HEARTH_RETURN_IF_ERROR(EnsureDirectory(root));
  return DataDir{root};
}

Result<DirLock> DirLock::Acquire(const DataDir& dir) {
  int fd = ::open(dir.lock_path().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IoError(fmt::format("cannot open {}: {}", dir.lock_path(), std::strerror(errno)));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Status::FailedPrecondition(
        fmt::format("data directory {} is in use by another process (a running `hearth data serve`?)", dir.root));
  }
  return DirLock(fd);
}

DirLock::~DirLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace hearth::data
