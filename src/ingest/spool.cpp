#include "ingest/spool.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "common/paths.h"

namespace hearth::ingest {
namespace {

constexpr std::string_view kSuffix = ".ndjson";

Status Errno(std::string_view what, const std::string& path) {
  return Status::IoError(fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("cannot write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

}  // namespace

Result<Spool> Spool::Open(const std::string& dir) {
  HEARTH_RETURN_IF_ERROR(EnsureDirectory(dir));
  const std::string lock_path = dir + "/LOCK";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot open spool lock", lock_path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return Status::FailedPrecondition(
        fmt::format("spool {} is in use by another hearth process (pass --spool DIR to use another)", dir));
  }
  Spool spool(dir, fd);
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 4 && name.ends_with(".tmp")) {
      std::filesystem::remove(entry.path(), ec);  // an append that never completed
      continue;
    }
    if (name.size() != 16 + kSuffix.size() || !name.ends_with(kSuffix)) continue;
    uint64_t seq = 0;
    bool digits = true;
    for (size_t i = 0; i < 16; ++i) {
      if (name[i] < '0' || name[i] > '9') { digits = false; break; }
      seq = seq * 10 + static_cast<uint64_t>(name[i] - '0');
    }
    if (digits && seq > 0) spool.pending_.push_back(seq);
  }
  if (ec) return Status::IoError(fmt::format("cannot list spool {}: {}", dir, ec.message()));
  std::sort(spool.pending_.begin(), spool.pending_.end());
  if (!spool.pending_.empty()) spool.next_seq_ = spool.pending_.back() + 1;
  return spool;
}

Spool::Spool(Spool&& other) noexcept
    : dir_(std::move(other.dir_)), lock_fd_(other.lock_fd_), next_seq_(other.next_seq_),
      pending_(std::move(other.pending_)) {
  other.lock_fd_ = -1;
}

Spool::~Spool() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

std::string Spool::SegmentPath(uint64_t seq) const { return fmt::format("{}/{:016d}{}", dir_, seq, kSuffix); }

Result<uint64_t> Spool::Append(std::string_view body) {
  const uint64_t seq = next_seq_;
  const std::string path = SegmentPath(seq);
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot create spool segment", tmp);
  Status st = WriteAll(fd, body, tmp);
  if (st.ok() && ::fsync(fd) != 0) st = Errno("cannot fsync", tmp);
  ::close(fd);
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) st = Errno("cannot rename", tmp);
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  HEARTH_RETURN_IF_ERROR(SyncDirectory(dir_));
  next_seq_ = seq + 1;
  pending_.push_back(seq);
  return seq;
}

Result<std::string> Spool::Read(uint64_t seq) const { return ReadFileToString(SegmentPath(seq)); }

Status Spool::Remove(uint64_t seq) {
  const std::string path = SegmentPath(seq);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Errno("cannot remove", path);
  pending_.erase(std::remove(pending_.begin(), pending_.end(), seq), pending_.end());
  return SyncDirectory(dir_);
}

Status Spool::Reject(uint64_t seq) {
  const std::string rejected = dir_ + "/rejected";
  HEARTH_RETURN_IF_ERROR(EnsureDirectory(rejected));
  const std::string from = SegmentPath(seq);
  const std::string to = fmt::format("{}/{:016d}{}", rejected, seq, kSuffix);
  if (::rename(from.c_str(), to.c_str()) != 0) return Errno("cannot move to rejected/", from);
  pending_.erase(std::remove(pending_.begin(), pending_.end(), seq), pending_.end());
  HEARTH_RETURN_IF_ERROR(SyncDirectory(rejected));
  return SyncDirectory(dir_);
}

}  // namespace hearth::ingest
