// Spool: the client's on-disk queue of batches not yet acknowledged by the
// data node.
//
// Layout: DIR (0700) holds one segment per batch, `<16-digit seq>.ndjson`
// (0600), each an NDJSON body ready to POST. A segment is written once to a
// temporary name, fsync'ed, renamed into place and the directory fsync'ed,
// so after a crash a segment is either complete or absent (stray `*.tmp`
// files are removed on open). Segments are never modified: they are removed
// only after the node acknowledged them. Sequence numbers only grow, so the
// oldest segment is sent first and arrival order is kept.
//
// One process owns a spool at a time (flock on DIR/LOCK); a second Open fails
// with a message naming the directory.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace hearth::ingest {

class Spool {
 public:
  static Result<Spool> Open(const std::string& dir);
  Spool(Spool&& other) noexcept;
  Spool& operator=(Spool&&) = delete;
  Spool(const Spool&) = delete;
  ~Spool();

  // Durably stores `body` as the newest segment; returns its sequence number.
  Result<uint64_t> Append(std::string_view body);
  // Sequence numbers of the stored segments, oldest first.
  const std::vector<uint64_t>& Pending() const { return pending_; }
  Result<std::string> Read(uint64_t seq) const;
  // Removes an acknowledged segment (durably).
  Status Remove(uint64_t seq);
  // Moves a segment the node refused for good to DIR/rejected/, so it is
  // neither resent nor lost.
  Status Reject(uint64_t seq);

  const std::string& dir() const { return dir_; }
  std::string SegmentPath(uint64_t seq) const;

 private:
  Spool(std::string dir, int lock_fd) : dir_(std::move(dir)), lock_fd_(lock_fd) {}
  std::string dir_;
  int lock_fd_ = -1;
  uint64_t next_seq_ = 1;
  std::vector<uint64_t> pending_;  // sorted ascending
};

}  // namespace hearth::ingest
