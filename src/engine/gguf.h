// GgufFile: a validated, memory-mapped GGUF (v2 or v3) file.
//
// Open() maps the file read-only and validates everything before anything is
// trusted: magic, version, counts, string and array lengths, value types,
// tensor names, dimensions and types, offsets and alignment
// (`general.alignment`, default 32), and that every tensor's bytes lie inside
// the file without overlapping another tensor. All size arithmetic is
// overflow-checked. A violation returns Status::Corruption whose message names
// the field and the byte offset where it was found, e.g.
//   "model.gguf: tensor 'blk.0.attn_q.weight' (byte 1234): data [a, b) past end of file (size c)".
// After Open() succeeds, every accessor is safe: no input can make later
// reads go out of bounds.
//
// Thread-safety: a GgufFile is immutable after Open(); any number of threads
// may read it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "engine/ggml_types.h"

namespace hearth::engine {

// Value types of GGUF metadata, with the numeric ids the format uses.
enum class GgufValueType : uint32_t {
  kUint8 = 0, kInt8 = 1, kUint16 = 2, kInt16 = 3, kUint32 = 4, kInt32 = 5,
  kFloat32 = 6, kBool = 7, kString = 8, kArray = 9, kUint64 = 10, kInt64 = 11, kFloat64 = 12,
};
std::string_view GgufValueTypeName(GgufValueType type);

struct GgufTensorInfo {
  std::string name;
  std::vector<uint64_t> dims;  // ne[0] first: ne[0] is the row length (contiguous)
  GgmlType type;
  uint64_t offset;             // relative to the start of the tensor-data section
  uint64_t n_elements;
  uint64_t n_bytes;
  uint64_t Rows() const { return dims.empty() || dims[0] == 0 ? 0 : n_elements / dims[0]; }
};

class GgufFile {
 public:
  // Maps and validates `path`. The mapping lives as long as the GgufFile.
  static Result<std::unique_ptr<GgufFile>> Open(const std::string& path);
  // Validates an in-memory image (copied); `name` is used in error messages.
  // For fuzzing and tests.
  static Result<std::unique_ptr<GgufFile>> FromBytes(std::string_view bytes, std::string name);

  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  uint32_t version() const;
  const std::string& path() const;
  uint64_t file_size() const;
  uint64_t alignment() const;
  uint64_t data_offset() const;  // absolute offset of the tensor-data section

  // ---- metadata ----
  std::vector<std::string> Keys() const;  // in file order
  bool Has(std::string_view key) const;
  std::optional<GgufValueType> TypeOf(std::string_view key) const;
  // For arrays: the element type and length.
  std::optional<GgufValueType> ArrayElementType(std::string_view key) const;
  std::optional<uint64_t> ArrayLength(std::string_view key) const;

  // Typed getters. Integer getters accept any integer type whose value fits;
  // GetFloat accepts float32/float64 and integers. A missing key is NotFound,
  // a wrong type is InvalidArgument naming the key and both types.
  Result<std::string> GetString(std::string_view key) const;
  Result<uint64_t> GetUint(std::string_view key) const;
  Result<int64_t> GetInt(std::string_view key) const;
  Result<double> GetFloat(std::string_view key) const;
  Result<bool> GetBool(std::string_view key) const;
  Result<std::vector<std::string>> GetStringArray(std::string_view key) const;
  Result<std::vector<float>> GetFloatArray(std::string_view key) const;
  Result<std::vector<int64_t>> GetIntArray(std::string_view key) const;

  // The architecture-prefixed key helper: Arch() + "." + suffix, e.g.
  // "llama.context_length".
  std::string ArchKey(std::string_view suffix) const;
  // general.architecture, or "" when absent.
  std::string Arch() const;

  // A human-readable rendering of a metadata value (arrays abbreviated).
  std::string ValueToString(std::string_view key, size_t max_array_items = 8) const;

  // The value's encoded bytes exactly as stored (for arrays: element type,
  // count and elements), so a writer can copy a key verbatim; empty when the
  // key is absent. Points into the mapping.
  std::string_view RawValue(std::string_view key) const;
  // Absolute byte offset of the key's record (for error messages).
  std::optional<uint64_t> KeyOffset(std::string_view key) const;

  // ---- tensors ----
  const std::vector<GgufTensorInfo>& tensors() const;
  const GgufTensorInfo* FindTensor(std::string_view name) const;
  // Pointer to the tensor's first byte inside the mapping (n_bytes long).
  const uint8_t* TensorData(const GgufTensorInfo& info) const;

 private:
  struct Impl;
  explicit GgufFile(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hearth::engine
