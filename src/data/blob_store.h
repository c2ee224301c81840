// Content-addressed blobs (photos, audio, screenshots), encrypted at rest.
//
// A blob's id is the lowercase hex SHA-256 of its plaintext. Its file,
// blobs/<id[0:2]>/<id>, holds the magic "HTHBLOB1", a libsodium
// secretstream (XChaCha20-Poly1305) header, then the plaintext in 64 KiB
// chunks, each encrypted and authenticated; the last chunk (0..64 KiB) carries
// the FINAL tag, so truncation is detected. Reading verifies every chunk and
// the SHA-256 of the whole plaintext against the id.
//
// Uploads stream into blobs/tmp/ and are renamed into place only once
// complete and fsynced: an interrupted upload leaves only a temporary file,
// which the Upload's destructor removes, and which CleanTemporaryFiles()
// removes after a crash.
#pragma once

#include <sodium.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "data/data_dir.h"

namespace hearth::data {

inline constexpr size_t kBlobChunkBytes = 64 * 1024;

bool IsBlobId(std::string_view id);

class BlobStore {
 public:
  // Loads the key at dir.key_path(), creating it (0600) when missing. A key
  // file of the wrong size or readable by others is refused.
  static Result<std::unique_ptr<BlobStore>> Open(const DataDir& dir);
  ~BlobStore();

  // Removes leftovers of interrupted uploads. Call only while holding the
  // directory's DirLock (no upload can be in progress elsewhere).
  Status CleanTemporaryFiles();

  class Upload {
   public:
    ~Upload();  // removes the temporary file unless Finish() succeeded
    Status Write(const char* data, size_t size);
    // Seals, fsyncs and moves the blob into place; returns its id.
    Result<std::string> Finish();
    uint64_t bytes() const { return bytes_; }

   private:
    friend class BlobStore;
    Upload(const BlobStore* store, std::string temp_path, int fd);
    Status Flush(const unsigned char* data, size_t size, unsigned char tag);

    const BlobStore* store_;
    std::string temp_path_;
    int fd_;
    bool finished_ = false;
    uint64_t bytes_ = 0;
    std::string pending_;
    crypto_secretstream_xchacha20poly1305_state state_;
    crypto_hash_sha256_state hash_;
  };
  Result<std::unique_ptr<Upload>> BeginUpload() const;

  class Reader {
   public:
    ~Reader();
    uint64_t size() const { return size_; }
    // Next plaintext chunk into *out; false at the end. At the end the
    // FINAL tag and the plaintext hash have been checked (Corruption if not).
    Result<bool> Next(std::string* out);

   private:
    friend class BlobStore;
    Reader(std::string id, std::string path, int fd, uint64_t size) : id_(std::move(id)), path_(std::move(path)), fd_(fd), size_(size) {}
    std::string id_;
    std::string path_;
    int fd_;
    uint64_t size_;
    bool done_ = false;
    crypto_secretstream_xchacha20poly1305_state state_;
    crypto_hash_sha256_state hash_;
  };
  // NotFound when no such blob; InvalidArgument for a malformed id.
  Result<std::unique_ptr<Reader>> OpenBlob(const std::string& id) const;

  // Reads the whole blob, checking every chunk and the hash.
  Status Verify(const std::string& id) const;

  // Ids of every stored blob, and the bytes their files use.
  Result<std::vector<std::string>> List() const;
  Result<uint64_t> BytesUsed() const;

  std::string PathFor(const std::string& id) const;

 private:
  explicit BlobStore(DataDir dir) : dir_(std::move(dir)) {}
  DataDir dir_;
  unsigned char key_[crypto_secretstream_xchacha20poly1305_KEYBYTES];
};

}  // namespace hearth::data
