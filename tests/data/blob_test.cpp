// BlobStore on a real directory: encryption at rest, hash verification,
// interrupted uploads.
#include "data/blob_store.h"

#include <sodium.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "common/paths.h"
#include "data/support/node.h"

namespace hearth::data {
namespace {

using hearth::testing::TempDir;

std::string Pattern(size_t n, unsigned salt) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 2654435761u + salt) >> 13);
  return s;
}

std::string Sha256Hex(const std::string& s) {
  unsigned char d[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(d, reinterpret_cast<const unsigned char*>(s.data()), s.size());
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : d) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

Result<std::string> Store(BlobStore& store, const std::string& content, size_t piece = 1000) {
  HEARTH_ASSIGN_OR_RETURN(auto up, store.BeginUpload());
  for (size_t off = 0; off < content.size(); off += piece) {
    HEARTH_RETURN_IF_ERROR(up->Write(content.data() + off, std::min(piece, content.size() - off)));
  }
  return up->Finish();
}

std::string ReadAll(BlobStore& store, const std::string& id, Status* status) {
  std::string out, chunk;
  auto reader = store.OpenBlob(id);
  if (!reader.ok()) {
    *status = reader.status();
    return out;
  }
  EXPECT_GT((*reader)->size() + 1, 0u);
  while (true) {
    auto more = (*reader)->Next(&chunk);
    if (!more.ok()) {
      *status = more.status();
      return out;
    }
    if (!*more) break;
    out += chunk;
  }
  *status = Status::Ok();
  return out;
}

class BlobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = PrepareDataDir(tmp_.Sub("data"));
    ASSERT_TRUE(d.ok());
    dir_ = *d;
    auto s = BlobStore::Open(dir_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  TempDir tmp_;
  DataDir dir_;
  std::unique_ptr<BlobStore> store_;
};

TEST_F(BlobTest, RoundTripsAtChunkBoundaries) {
  for (size_t n : {size_t{0}, size_t{1}, kBlobChunkBytes - 1, kBlobChunkBytes, kBlobChunkBytes + 1,
                   3 * kBlobChunkBytes, 3 * kBlobChunkBytes + 17}) {
    const std::string content = Pattern(n, static_cast<unsigned>(n));
    auto id = Store(*store_, content, 7919);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    EXPECT_EQ(*id, Sha256Hex(content)) << n;
    Status s;
    auto reader = store_->OpenBlob(*id);
    ASSERT_TRUE(reader.ok());
    EXPECT_EQ((*reader)->size(), n);
    EXPECT_TRUE(ReadAll(*store_, *id, &s) == content) << n;
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_TRUE(store_->Verify(*id).ok());
  }
  auto list = store_->List();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 7u);
}

TEST_F(BlobTest, SameContentIsStoredOnce) {
  const std::string content = Pattern(5000, 1);
  auto a = Store(*store_, content);
  auto b = Store(*store_, content);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(store_->List()->size(), 1u);
  EXPECT_TRUE(std::filesystem::is_empty(dir_.blobs_dir() + "/tmp"));
}

TEST_F(BlobTest, KeyFileIsPrivateAndCheckedOnOpen) {
  struct stat st;
  ASSERT_EQ(stat(dir_.key_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  chmod(dir_.key_path().c_str(), 0644);
  auto loose = BlobStore::Open(dir_);
  ASSERT_FALSE(loose.ok());
  EXPECT_NE(loose.status().message().find("chmod 600"), std::string::npos);
  chmod(dir_.key_path().c_str(), 0600);
  ASSERT_EQ(truncate(dir_.key_path().c_str(), 10), 0);
  auto shortkey = BlobStore::Open(dir_);
  ASSERT_FALSE(shortkey.ok());
  EXPECT_EQ(shortkey.status().code(), StatusCode::kCorruption);
}

TEST_F(BlobTest, TamperingIsDetected) {
  const std::string content = Pattern(3 * kBlobChunkBytes + 5, 9);
  auto id = Store(*store_, content);
  ASSERT_TRUE(id.ok());
  const std::string path = store_->PathFor(*id);
  const std::string original = *ReadFileToString(path);

  // One flipped bit in the middle.
  std::string flipped = original;
  flipped[flipped.size() / 2] ^= 1;
  ASSERT_TRUE(WriteFileAtomic(path, flipped).ok());
  Status v = store_->Verify(*id);
  EXPECT_EQ(v.code(), StatusCode::kCorruption) << v.ToString();

  // Truncated at a record boundary: the FINAL tag is missing.
  ASSERT_TRUE(WriteFileAtomic(path, original.substr(0, 8 + 24 + (kBlobChunkBytes + 17))).ok());
  v = store_->Verify(*id);
  EXPECT_EQ(v.code(), StatusCode::kCorruption) << v.ToString();

  // A valid blob under another blob's name fails the hash check.
  auto other = Store(*store_, "other content");
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(WriteFileAtomic(path, *ReadFileToString(store_->PathFor(*other))).ok());
  v = store_->Verify(*id);
  EXPECT_EQ(v.code(), StatusCode::kCorruption);
  EXPECT_NE(v.message().find("hash"), std::string::npos) << v.ToString();

  ASSERT_TRUE(WriteFileAtomic(path, original).ok());
  EXPECT_TRUE(store_->Verify(*id).ok());
}

TEST_F(BlobTest, InterruptedUploadLeavesNothing) {
  {
    auto up = store_->BeginUpload();
    ASSERT_TRUE(up.ok());
    const std::string part = Pattern(200'000, 3);
    ASSERT_TRUE((*up)->Write(part.data(), part.size()).ok());
    EXPECT_FALSE(std::filesystem::is_empty(dir_.blobs_dir() + "/tmp"));
  }  // abandoned without Finish()
  EXPECT_TRUE(std::filesystem::is_empty(dir_.blobs_dir() + "/tmp"));
  EXPECT_TRUE(store_->List()->empty());

  // Leftovers of a crash are removed at start.
  std::ofstream(dir_.blobs_dir() + "/tmp/crashed.part") << "partial";
  ASSERT_TRUE(store_->CleanTemporaryFiles().ok());
  EXPECT_TRUE(std::filesystem::is_empty(dir_.blobs_dir() + "/tmp"));
}

TEST_F(BlobTest, BadIdsAreRefused) {
  EXPECT_EQ(store_->OpenBlob("../../etc/passwd").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->OpenBlob(std::string(64, 'A')).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->OpenBlob(std::string(64, 'a')).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace hearth::data
