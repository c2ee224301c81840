// GgufWriter: writes GGUF v3 files, streaming tensor data.
//
// Usage: set metadata and declare every tensor (name, type, dims) first —
// the header holds all tensor offsets — then Begin() a destination, write
// each tensor's bytes with WriteTensorData() in declaration order, and
// Finish(). Tensor offsets are assigned in declaration order, each aligned to
// `general.alignment` (32 unless SetAlignment says otherwise), exactly as
// llama.cpp lays files out.
//
// A file destination is written to `<path>.tmp` and renamed over `path` only
// by a successful Finish(), so a failure never leaves a partial model behind.
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/ggml_types.h"
#include "engine/gguf.h"

namespace hearth::engine {

class GgufWriter {
 public:
  GgufWriter();
  ~GgufWriter();  // abandons (and removes) an unfinished file
  GgufWriter(const GgufWriter&) = delete;
  GgufWriter& operator=(const GgufWriter&) = delete;

  // ---- metadata (setting an existing key replaces its value in place) ----
  void SetString(std::string_view key, std::string_view value);
  void SetBool(std::string_view key, bool value);
  void SetUint32(std::string_view key, uint32_t value);
  void SetInt32(std::string_view key, int32_t value);
  void SetUint64(std::string_view key, uint64_t value);
  void SetFloat32(std::string_view key, float value);
  void SetStringArray(std::string_view key, const std::vector<std::string>& values);
  void SetFloat32Array(std::string_view key, const std::vector<float>& values);
  void SetInt32Array(std::string_view key, const std::vector<int32_t>& values);
  // general.alignment (uint32, a power of two); affects tensor offsets, so it
  // must be set before tensors are declared.
  Status SetAlignment(uint32_t alignment);
  // A value in its encoded form (see GgufFile::RawValue), e.g. to copy a key
  // from another file verbatim.
  void SetRaw(std::string_view key, GgufValueType type, std::string_view encoded);
  // Copies `key` from `src` verbatim; NotFound when absent.
  Status CopyKey(const GgufFile& src, std::string_view key);
  bool HasKey(std::string_view key) const;

  // ---- tensors ----
  // Declares a tensor; dims[0] is the row length. InvalidArgument for a
  // duplicate or empty name, an unknown type, a row length that is not a
  // multiple of the block size, or sizes that overflow.
  Status AddTensor(std::string_view name, GgmlType type, const std::vector<uint64_t>& dims);
  size_t tensor_count() const { return tensors_.size(); }
  uint64_t TensorBytes(size_t index) const { return tensors_[index].n_bytes; }
  // Total size the file will have.
  uint64_t FileSize() const;

  // ---- output ----
  // Writes header and tensor infos to `<path>.tmp` (mode 0644).
  Status Begin(const std::string& path);
  // Appends to `*out` instead of a file (for tests and small files).
  Status BeginInMemory(std::string* out);
  // Appends the next tensor's bytes; may be called several times per tensor
  // (chunks), but the chunks of one tensor must total exactly its size
  // before the next tensor starts.
  Status WriteTensorData(const void* data, size_t size);
  // Checks every tensor was written, flushes, fsyncs and renames into place.
  Status Finish();

 private:
  struct Kv {
    std::string key;
    GgufValueType type;
    std::string encoded;
  };
  struct Tensor {
    std::string name;
    GgmlType type;
    std::vector<uint64_t> dims;
    uint64_t offset;
    uint64_t n_bytes;
  };

  void Set(std::string_view key, GgufValueType type, std::string encoded);
  std::string EncodeHeader() const;
  Status Emit(const void* data, size_t size);
  Status EmitPadding(uint64_t n);
  void Abandon();

  std::vector<Kv> kvs_;
  std::vector<Tensor> tensors_;
  uint64_t alignment_ = 32;
  uint64_t data_size_ = 0;  // bytes of the data section, padding included

  // Output state.
  enum class Sink { kNone, kFile, kMemory, kDone };
  Sink sink_ = Sink::kNone;
  std::FILE* file_ = nullptr;
  std::string path_;
  std::string tmp_path_;
  std::string* out_ = nullptr;
  size_t next_tensor_ = 0;       // tensor being written
  uint64_t written_in_tensor_ = 0;
};

}  // namespace hearth::engine
