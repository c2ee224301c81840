#include "data/blob_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "common/log.h"
#include "common/paths.h"
#include "data/tokens.h"

namespace hearth::data {
namespace {

constexpr char kMagic[8] = {'H', 'T', 'H', 'B', 'L', 'O', 'B', '1'};
constexpr size_t kHeaderBytes = sizeof(kMagic) + crypto_secretstream_xchacha20poly1305_HEADERBYTES;
constexpr size_t kRecordBytes = kBlobChunkBytes + crypto_secretstream_xchacha20poly1305_ABYTES;

Status Errno(std::string_view what, const std::string& path) {
  return Status::IoError(fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}

Status WriteAll(int fd, const unsigned char* data, size_t size, const std::string& path) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("cannot write", path);
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

// Reads up to `size` bytes; fewer only at end of file.
Result<size_t> ReadFull(int fd, unsigned char* data, size_t size, const std::string& path) {
  size_t got = 0;
  while (got < size) {
    ssize_t n = ::read(fd, data + got, size - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("cannot read", path);
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  return got;
}

std::string HexDigest(crypto_hash_sha256_state* state) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(state, digest);
  return ToHex(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

}  // namespace

bool IsBlobId(std::string_view id) {
  if (id.size() != 64) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<std::unique_ptr<BlobStore>> BlobStore::Open(const DataDir& dir) {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialize");
  std::unique_ptr<BlobStore> store(new BlobStore(dir));
  HEARTH_RETURN_IF_ERROR(EnsureDirectory(dir.blobs_dir() + "/tmp"));
  const std::string path = dir.key_path();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    crypto_secretstream_xchacha20poly1305_keygen(store->key_);
    Status s = WriteAll(fd, store->key_, sizeof store->key_, path);
    if (s.ok() && ::fsync(fd) != 0) s = Errno("cannot fsync", path);
    ::close(fd);
    if (s.ok()) s = SyncDirectory(dir.root);
    if (!s.ok()) {
      ::unlink(path.c_str());
      return s;
    }
    log::Info("data", "created blob key", {{"path", path}});
    return store;
  }
  if (errno != EEXIST) return Errno("cannot create blob key", path);
  fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open blob key", path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Errno("cannot stat", path);
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    return Status::PermissionDenied(
        fmt::format("blob key {} has mode {:o}; it must be readable by its owner only (chmod 600)", path, st.st_mode & 0777));
  }
  if (static_cast<size_t>(st.st_size) != sizeof store->key_) {
    ::close(fd);
    return Status::Corruption(fmt::format("blob key {} is {} bytes; expected {}", path, st.st_size, sizeof store->key_));
  }
  auto got = ReadFull(fd, store->key_, sizeof store->key_, path);
  ::close(fd);
  if (!got.ok()) return got.status();
  if (*got != sizeof store->key_) return Status::Corruption(fmt::format("blob key {} is truncated", path));
  return store;
}

BlobStore::~BlobStore() { sodium_memzero(key_, sizeof key_); }

Status BlobStore::CleanTemporaryFiles() {
  const std::string tmp = dir_.blobs_dir() + "/tmp";
  std::error_code ec;
  size_t removed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(tmp, ec)) {
    std::filesystem::remove(entry.path(), ec);
    ++removed;
  }
  if (ec) return Status::IoError(fmt::format("cannot clean {}: {}", tmp, ec.message()));
  if (removed > 0) log::Info("data", "removed interrupted uploads", {{"count", removed}});
  return Status::Ok();
}

std::string BlobStore::PathFor(const std::string& id) const {
  return fmt::format("{}/{}/{}", dir_.blobs_dir(), id.substr(0, 2), id);
}

// ---- Upload ----

Result<std::unique_ptr<BlobStore::Upload>> BlobStore::BeginUpload() const {
  unsigned char rnd[16];
  randombytes_buf(rnd, sizeof rnd);
  const std::string path = fmt::format("{}/tmp/{}.part", dir_.blobs_dir(),
                                       ToHex(std::string_view(reinterpret_cast<const char*>(rnd), sizeof rnd)));
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot create", path);
  std::unique_ptr<Upload> up(new Upload(this, path, fd));
  unsigned char header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
  crypto_secretstream_xchacha20poly1305_init_push(&up->state_, header, key_);
  HEARTH_RETURN_IF_ERROR(WriteAll(fd, reinterpret_cast<const unsigned char*>(kMagic), sizeof kMagic, path));
  HEARTH_RETURN_IF_ERROR(WriteAll(fd, header, sizeof header, path));
  return up;
}

BlobStore::Upload::Upload(const BlobStore* store, std::string temp_path, int fd)
    : store_(store), temp_path_(std::move(temp_path)), fd_(fd) {
  crypto_hash_sha256_init(&hash_);
}

BlobStore::Upload::~Upload() {
  if (fd_ >= 0) ::close(fd_);
  if (!finished_) ::unlink(temp_path_.c_str());
  sodium_memzero(&state_, sizeof state_);
}

Status BlobStore::Upload::Flush(const unsigned char* data, size_t size, unsigned char tag) {
  unsigned char record[kRecordBytes];
  unsigned long long record_len = 0;
  crypto_secretstream_xchacha20poly1305_push(&state_, record, &record_len, data, size, nullptr, 0, tag);
  return WriteAll(fd_, record, static_cast<size_t>(record_len), temp_path_);
}

Status BlobStore::Upload::Write(const char* data, size_t size) {
  crypto_hash_sha256_update(&hash_, reinterpret_cast<const unsigned char*>(data), size);
  bytes_ += size;
  pending_.append(data, size);
  // Keep up to one whole chunk pending: only at Finish do we know which is last.
  size_t consumed = 0;
  while (pending_.size() - consumed > kBlobChunkBytes) {
    HEARTH_RETURN_IF_ERROR(Flush(reinterpret_cast<const unsigned char*>(pending_.data()) + consumed, kBlobChunkBytes,
                                 crypto_secretstream_xchacha20poly1305_TAG_MESSAGE));
    consumed += kBlobChunkBytes;
  }
  pending_.erase(0, consumed);
  return Status::Ok();
}

Result<std::string> BlobStore::Upload::Finish() {
  HEARTH_RETURN_IF_ERROR(Flush(reinterpret_cast<const unsigned char*>(pending_.data()), pending_.size(),
                               crypto_secretstream_xchacha20poly1305_TAG_FINAL));
  if (::fsync(fd_) != 0) return Errno("cannot fsync", temp_path_);
  ::close(fd_);
  fd_ = -1;
  const std::string id = HexDigest(&hash_);
  const std::string dir = fmt::format("{}/{}", store_->dir_.blobs_dir(), id.substr(0, 2));
  HEARTH_RETURN_IF_ERROR(EnsureDirectory(dir));
  const std::string final_path = store_->PathFor(id);
  struct stat st;
  if (::stat(final_path.c_str(), &st) == 0) {
    return id;  // already stored: same content, same id; the destructor drops ours
  }
  if (::rename(temp_path_.c_str(), final_path.c_str()) != 0) return Errno("cannot move blob into", final_path);
  finished_ = true;
  HEARTH_RETURN_IF_ERROR(SyncDirectory(dir));
  return id;
}

// ---- Reader ----

Result<std::unique_ptr<BlobStore::Reader>> BlobStore::OpenBlob(const std::string& id) const {
  if (!IsBlobId(id)) return Status::InvalidArgument(fmt::format("'{}' is not a blob id (64 lowercase hex characters)", id.substr(0, 80)));
  const std::string path = PathFor(id);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(fmt::format("no blob {}", id));
    return Errno("cannot open", path);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Errno("cannot stat", path);
  }
  // File = header + k full records + one final record of 0..chunk bytes.
  const uint64_t file = static_cast<uint64_t>(st.st_size);
  constexpr uint64_t kAbytes = crypto_secretstream_xchacha20poly1305_ABYTES;
  if (file < kHeaderBytes + kAbytes) {
    ::close(fd);
    return Status::Corruption(fmt::format("blob {} is truncated ({} bytes)", path, file));
  }
  const uint64_t body = file - kHeaderBytes - kAbytes;
  const uint64_t full = body / kRecordBytes;
  const uint64_t rest = body - full * kRecordBytes;
  if (rest > kBlobChunkBytes) {
    ::close(fd);
    return Status::Corruption(fmt::format("blob {} has an impossible size ({} bytes)", path, file));
  }
  std::unique_ptr<Reader> reader(new Reader(id, path, fd, full * kBlobChunkBytes + rest));
  unsigned char head[kHeaderBytes];
  HEARTH_ASSIGN_OR_RETURN(size_t got, ReadFull(fd, head, sizeof head, path));
  if (got != sizeof head || std::memcmp(head, kMagic, sizeof kMagic) != 0) {
    return Status::Corruption(fmt::format("blob {} does not start with the Hearth blob header", path));
  }
  if (crypto_secretstream_xchacha20poly1305_init_pull(&reader->state_, head + sizeof kMagic, key_) != 0) {
    return Status::Corruption(fmt::format("blob {} has an invalid encryption header", path));
  }
  crypto_hash_sha256_init(&reader->hash_);
  return reader;
}

BlobStore::Reader::~Reader() {
  if (fd_ >= 0) ::close(fd_);
  sodium_memzero(&state_, sizeof state_);
}

Result<bool> BlobStore::Reader::Next(std::string* out) {
  out->clear();
  if (done_) return false;
  unsigned char record[kRecordBytes];
  HEARTH_ASSIGN_OR_RETURN(size_t got, ReadFull(fd_, record, sizeof record, path_));
  if (got < crypto_secretstream_xchacha20poly1305_ABYTES) {
    return Status::Corruption(fmt::format("blob {} ends without its final chunk (truncated)", path_));
  }
  out->resize(got - crypto_secretstream_xchacha20poly1305_ABYTES);
  unsigned long long len = 0;
  unsigned char tag = 0;
  if (crypto_secretstream_xchacha20poly1305_pull(&state_, reinterpret_cast<unsigned char*>(out->data()), &len, &tag,
                                                 record, got, nullptr, 0) != 0) {
    out->clear();
    return Status::Corruption(fmt::format("blob {} fails authentication (damaged, or encrypted with another key)", path_));
  }
  out->resize(static_cast<size_t>(len));
  crypto_hash_sha256_update(&hash_, reinterpret_cast<const unsigned char*>(out->data()), out->size());
  if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
    done_ = true;
    unsigned char extra;
    HEARTH_ASSIGN_OR_RETURN(size_t trailing, ReadFull(fd_, &extra, 1, path_));
    if (trailing != 0) return Status::Corruption(fmt::format("blob {} has data after its final chunk", path_));
    const std::string actual = HexDigest(&hash_);
    if (actual != id_) {
      out->clear();
      return Status::Corruption(fmt::format("blob {} content hash is {}, not its id", path_, actual));
    }
  } else if (got != sizeof record) {
    return Status::Corruption(fmt::format("blob {} ends without its final chunk (truncated)", path_));
  }
  return true;
}

Status BlobStore::Verify(const std::string& id) const {
  HEARTH_ASSIGN_OR_RETURN(auto reader, OpenBlob(id));
  std::string chunk;
  while (true) {
    HEARTH_ASSIGN_OR_RETURN(bool more, reader->Next(&chunk));
    if (!more) return Status::Ok();
  }
}

Result<std::vector<std::string>> BlobStore::List() const {
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& sub : std::filesystem::directory_iterator(dir_.blobs_dir(), ec)) {
    const std::string name = sub.path().filename().string();
    if (name == "tmp" || !sub.is_directory()) continue;
    for (const auto& f : std::filesystem::directory_iterator(sub.path(), ec)) {
      ids.push_back(f.path().filename().string());
    }
  }
  if (ec) return Status::IoError(fmt::format("cannot list {}: {}", dir_.blobs_dir(), ec.message()));
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<uint64_t> BlobStore::BytesUsed() const {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.blobs_dir(), ec)) {
    if (entry.is_regular_file(ec)) total += entry.file_size(ec);
  }
  return total;
}

}  // namespace hearth::data
