#include "engine/gguf.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>

#include <fmt/format.h>

namespace hearth::engine {
namespace {

constexpr uint64_t kDefaultAlignment = 32;
constexpr uint32_t kMaxDims = 4;            // GGML_MAX_DIMS
constexpr uint64_t kMaxTensorNameLength = 256;

// Size in bytes of a fixed-size value type, 0 for string/array.
uint64_t ScalarSize(GgufValueType t) {
  switch (t) {
    case GgufValueType::kUint8: case GgufValueType::kInt8: case GgufValueType::kBool: return 1;
    case GgufValueType::kUint16: case GgufValueType::kInt16: return 2;
    case GgufValueType::kUint32: case GgufValueType::kInt32: case GgufValueType::kFloat32: return 4;
    case GgufValueType::kUint64: case GgufValueType::kInt64: case GgufValueType::kFloat64: return 8;
    case GgufValueType::kString: case GgufValueType::kArray: return 0;
  }
  return 0;
}

bool IsKnownValueType(uint32_t t) { return t <= static_cast<uint32_t>(GgufValueType::kFloat64); }

bool IsIntegerType(GgufValueType t) {
  switch (t) {
    case GgufValueType::kUint8: case GgufValueType::kInt8: case GgufValueType::kUint16:
    case GgufValueType::kInt16: case GgufValueType::kUint32: case GgufValueType::kInt32:
    case GgufValueType::kUint64: case GgufValueType::kInt64: return true;
    default: return false;
  }
}

template <typename T>
T Load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// Reads an integer scalar at p as int128-ish pair: value is (negative, magnitude).
struct IntValue {
  bool negative = false;
  uint64_t magnitude = 0;
};

IntValue LoadInt(GgufValueType t, const uint8_t* p) {
  auto from_signed = [](int64_t v) {
    IntValue r;
    r.negative = v < 0;
    r.magnitude = v < 0 ? static_cast<uint64_t>(-(v + 1)) + 1 : static_cast<uint64_t>(v);
    return r;
  };
  switch (t) {
    case GgufValueType::kUint8: return {false, Load<uint8_t>(p)};
    case GgufValueType::kInt8: return from_signed(Load<int8_t>(p));
    case GgufValueType::kUint16: return {false, Load<uint16_t>(p)};
    case GgufValueType::kInt16: return from_signed(Load<int16_t>(p));
    case GgufValueType::kUint32: return {false, Load<uint32_t>(p)};
    case GgufValueType::kInt32: return from_signed(Load<int32_t>(p));
    case GgufValueType::kUint64: return {false, Load<uint64_t>(p)};
    case GgufValueType::kInt64: return from_signed(Load<int64_t>(p));
    default: return {};
  }
}

// Owner of the bytes: either a read-only mapping or a heap copy.
class Image {
 public:
  Image() = default;
  ~Image() { Reset(); }
  Image(const Image&) = delete;
  Image& operator=(const Image&) = delete;

  void SetMapped(void* p, size_t n) { Reset(); data_ = static_cast<uint8_t*>(p); size_ = n; mapped_ = true; }
  void SetHeap(uint8_t* p, size_t n) { Reset(); data_ = p; size_ = n; mapped_ = false; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void Reset() {
    if (data_ != nullptr) {
      if (mapped_) munmap(data_, size_); else std::free(data_);
    }
    data_ = nullptr;
    size_ = 0;
  }
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;
};

}  // namespace

std::string_view GgufValueTypeName(GgufValueType type) {
  switch (type) {
    case GgufValueType::kUint8: return "uint8";
    case GgufValueType::kInt8: return "int8";
    case GgufValueType::kUint16: return "uint16";
    case GgufValueType::kInt16: return "int16";
    case GgufValueType::kUint32: return "uint32";
    case GgufValueType::kInt32: return "int32";
    case GgufValueType::kFloat32: return "float32";
    case GgufValueType::kBool: return "bool";
    case GgufValueType::kString: return "string";
    case GgufValueType::kArray: return "array";
    case GgufValueType::kUint64: return "uint64";
    case GgufValueType::kInt64: return "int64";
    case GgufValueType::kFloat64: return "float64";
  }
  return "unknown";
}

// One metadata record. Offsets are absolute positions in the image; after
// validation every byte they describe lies inside it.
struct KvRecord {
  std::string key;
  uint64_t record_offset;     // where the key's length field starts
  GgufValueType type;
  uint64_t value_offset;      // first byte of the value (arrays: the element-type field)
  uint64_t value_end;         // one past the last byte of the value
  GgufValueType elem_type = GgufValueType::kUint8;  // arrays only
  uint64_t count = 0;                               // arrays only
  uint64_t elems_offset = 0;                        // arrays only: first element
};

struct GgufFile::Impl {
  Image image;
  std::string path;
  uint32_t version = 0;
  uint64_t alignment = kDefaultAlignment;
  uint64_t data_offset = 0;
  std::vector<KvRecord> kvs;
  std::map<std::string, size_t, std::less<>> kv_index;
  std::vector<GgufTensorInfo> tensors;
  std::map<std::string, size_t, std::less<>> tensor_index;

  const KvRecord* Find(std::string_view key) const {
    auto it = kv_index.find(key);
    return it == kv_index.end() ? nullptr : &kvs[it->second];
  }
  Status Parse();
};

namespace {

// A bounds-checked cursor over the image. Every read checks the remaining
// length first, so a truncated or lying file yields an error, never a read
// past the end.
class Reader {
 public:
  Reader(const uint8_t* data, uint64_t size, const std::string& name) : data_(data), size_(size), name_(name) {}

  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }

  // `what` is "field: problem"; the message reads
  // "<file>: <field> (byte N): <problem>".
  Status Error(uint64_t at, std::string_view what) const {
    const size_t colon = what.find(": ");
    if (colon == std::string_view::npos) return Status::Corruption(fmt::format("{}: {} (byte {})", name_, what, at));
    return Status::Corruption(fmt::format("{}: {} (byte {}): {}", name_, what.substr(0, colon), at, what.substr(colon + 2)));
  }

  template <typename T>
  Status Read(T* out, std::string_view field) {
    if (remaining() < sizeof(T)) {
      return Error(pos_, fmt::format("{}: file ends after {} bytes, {} more needed", field, size_, sizeof(T) - remaining()));
    }
    std::memcpy(out, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return Status::Ok();
  }

  Status Skip(uint64_t n, std::string_view field) {
    if (remaining() < n) {
      return Error(pos_, fmt::format("{}: {} bytes needed but only {} remain in the file", field, n, remaining()));
    }
    pos_ += n;
    return Status::Ok();
  }

  // A GGUF string: uint64 length then bytes.
  Status ReadString(std::string_view field, uint64_t* start, uint64_t* len) {
    const uint64_t at = pos_;
    uint64_t n = 0;
    HEARTH_RETURN_IF_ERROR(Read(&n, field));
    if (n > remaining()) {
      return Error(at, fmt::format("{}: string length {} exceeds the {} bytes left in the file", field, n, remaining()));
    }
    *start = pos_;
    *len = n;
    pos_ += n;
    return Status::Ok();
  }

  std::string_view View(uint64_t start, uint64_t len) const {
    return {reinterpret_cast<const char*>(data_ + start), static_cast<size_t>(len)};
  }

 private:
  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
  const std::string& name_;
};

bool CheckedMul(uint64_t a, uint64_t b, uint64_t* out) { return !__builtin_mul_overflow(a, b, out); }
bool CheckedAdd(uint64_t a, uint64_t b, uint64_t* out) { return !__builtin_add_overflow(a, b, out); }

}  // namespace

Status GgufFile::Impl::Parse() {
  const uint8_t* data = image.data();
  const uint64_t size = image.size();
  Reader r(data, size, path);

  uint32_t magic = 0;
  HEARTH_RETURN_IF_ERROR(r.Read(&magic, "magic"));
  if (std::memcmp(data, "GGUF", 4) != 0) {
    return r.Error(0, fmt::format("magic: expected \"GGUF\", found bytes {:02x} {:02x} {:02x} {:02x}; not a GGUF file",
                                  data[0], data[1], data[2], data[3]));
  }
  HEARTH_RETURN_IF_ERROR(r.Read(&version, "version"));
  if (version == 1) return r.Error(4, "version: GGUF v1 is not supported (only v2 and v3)");
  if (version != 2 && version != 3) {
    if ((version & 0xFFFFu) == 0 && version != 0) {
      return r.Error(4, fmt::format("version: {:#x} looks like a big-endian GGUF, which is not supported", version));
    }
    return r.Error(4, fmt::format("version: unsupported GGUF version {} (only 2 and 3)", version));
  }
  uint64_t n_tensors = 0;
  uint64_t n_kv = 0;
  HEARTH_RETURN_IF_ERROR(r.Read(&n_tensors, "tensor_count"));
  HEARTH_RETURN_IF_ERROR(r.Read(&n_kv, "metadata_kv_count"));
  // Each record takes at least 12 (kv) or 24 (tensor) bytes: counts larger
  // than the file could hold are lies, rejected before any allocation.
  if (n_kv > r.remaining() / 12) {
    return r.Error(16, fmt::format("metadata_kv_count: {} records cannot fit in the {} bytes left", n_kv, r.remaining()));
  }
  if (n_tensors > r.remaining() / 24) {
    return r.Error(8, fmt::format("tensor_count: {} tensors cannot fit in the {} bytes left", n_tensors, r.remaining()));
  }

  kvs.reserve(static_cast<size_t>(n_kv));
  for (uint64_t i = 0; i < n_kv; ++i) {
    KvRecord kv;
    kv.record_offset = r.pos();
    uint64_t kstart = 0, klen = 0;
    const std::string field = fmt::format("metadata key #{}", i);
    HEARTH_RETURN_IF_ERROR(r.ReadString(field, &kstart, &klen));
    kv.key = std::string(r.View(kstart, klen));
    if (kv.key.empty()) return r.Error(kv.record_offset, field + ": empty key");
    const std::string kfield = fmt::format("metadata '{}'", kv.key);
    if (kv_index.count(kv.key) != 0) return r.Error(kv.record_offset, kfield + ": duplicate key");
    const uint64_t type_at = r.pos();
    uint32_t type_id = 0;
    HEARTH_RETURN_IF_ERROR(r.Read(&type_id, kfield + " value type"));
    if (!IsKnownValueType(type_id)) {
      return r.Error(type_at, fmt::format("{}: unknown value type {}", kfield, type_id));
    }
    kv.type = static_cast<GgufValueType>(type_id);
    kv.value_offset = r.pos();
    if (kv.type == GgufValueType::kString) {
      uint64_t s = 0, l = 0;
      HEARTH_RETURN_IF_ERROR(r.ReadString(kfield, &s, &l));
    } else if (kv.type == GgufValueType::kArray) {
      const uint64_t et_at = r.pos();
      uint32_t et = 0;
      HEARTH_RETURN_IF_ERROR(r.Read(&et, kfield + " array element type"));
      if (!IsKnownValueType(et)) {
        return r.Error(et_at, fmt::format("{}: unknown array element type {}", kfield, et));
      }
      kv.elem_type = static_cast<GgufValueType>(et);
      if (kv.elem_type == GgufValueType::kArray) {
        return r.Error(et_at, kfield + ": nested arrays are not supported");
      }
      const uint64_t count_at = r.pos();
      HEARTH_RETURN_IF_ERROR(r.Read(&kv.count, kfield + " array length"));
      kv.elems_offset = r.pos();
      if (kv.elem_type == GgufValueType::kString) {
        if (kv.count > r.remaining() / 8) {
          return r.Error(count_at, fmt::format("{}: array length {} cannot fit in the {} bytes left", kfield, kv.count, r.remaining()));
        }
        for (uint64_t j = 0; j < kv.count; ++j) {
          uint64_t s = 0, l = 0;
          HEARTH_RETURN_IF_ERROR(r.ReadString(fmt::format("{}[{}]", kfield, j), &s, &l));
        }
      } else {
        uint64_t bytes = 0;
        if (!CheckedMul(kv.count, ScalarSize(kv.elem_type), &bytes) || bytes > r.remaining()) {
          return r.Error(count_at, fmt::format("{}: array of {} {} values exceeds the {} bytes left", kfield, kv.count,
                                               GgufValueTypeName(kv.elem_type), r.remaining()));
        }
        HEARTH_RETURN_IF_ERROR(r.Skip(bytes, kfield));
      }
    } else {
      HEARTH_RETURN_IF_ERROR(r.Skip(ScalarSize(kv.type), kfield));
      if (kv.type == GgufValueType::kBool && data[kv.value_offset] > 1) {
        return r.Error(kv.value_offset, fmt::format("{}: bool value {} is neither 0 nor 1", kfield, data[kv.value_offset]));
      }
    }
    kv.value_end = r.pos();
    kv_index.emplace(kv.key, kvs.size());
    kvs.push_back(std::move(kv));
  }

  if (const KvRecord* a = Find("general.alignment")) {
    if (a->type != GgufValueType::kUint32) {
      return r.Error(a->record_offset, fmt::format("metadata 'general.alignment': type {} (expected uint32)", GgufValueTypeName(a->type)));
    }
    const uint32_t v = Load<uint32_t>(data + a->value_offset);
    if (v == 0 || (v & (v - 1)) != 0) {
      return r.Error(a->value_offset, fmt::format("metadata 'general.alignment': {} is not a power of two", v));
    }
    alignment = v;
  }

  tensors.reserve(static_cast<size_t>(n_tensors));
  std::vector<uint64_t> info_offsets;
  info_offsets.reserve(static_cast<size_t>(n_tensors));
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensorInfo t;
    const uint64_t at = r.pos();
    uint64_t nstart = 0, nlen = 0;
    const std::string field = fmt::format("tensor #{}", i);
    HEARTH_RETURN_IF_ERROR(r.ReadString(field + " name", &nstart, &nlen));
    t.name = std::string(r.View(nstart, nlen));
    if (t.name.empty() || t.name.size() > kMaxTensorNameLength || t.name.find('\0') != std::string::npos) {
      return r.Error(at, fmt::format("{} name: length {} or content invalid (1..{} bytes, no NUL)", field, t.name.size(), kMaxTensorNameLength));
    }
    const std::string tfield = fmt::format("tensor '{}'", t.name);
    if (tensor_index.count(t.name) != 0) return r.Error(at, tfield + ": duplicate tensor name");
    const uint64_t nd_at = r.pos();
    uint32_t n_dims = 0;
    HEARTH_RETURN_IF_ERROR(r.Read(&n_dims, tfield + " n_dims"));
    if (n_dims == 0 || n_dims > kMaxDims) {
      return r.Error(nd_at, fmt::format("{}: n_dims {} out of range 1..{}", tfield, n_dims, kMaxDims));
    }
    t.dims.resize(n_dims);
    uint64_t n_el = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      const uint64_t d_at = r.pos();
      HEARTH_RETURN_IF_ERROR(r.Read(&t.dims[d], tfield + " dimension"));
      if (t.dims[d] > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return r.Error(d_at, fmt::format("{}: dimension {} = {} is absurd", tfield, d, t.dims[d]));
      }
      if (!CheckedMul(n_el, t.dims[d], &n_el) || n_el > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return r.Error(d_at, fmt::format("{}: element count overflows (dimension {} = {})", tfield, d, t.dims[d]));
      }
    }
    t.n_elements = n_el;
    const uint64_t type_at = r.pos();
    uint32_t type_id = 0;
    HEARTH_RETURN_IF_ERROR(r.Read(&type_id, tfield + " type"));
    std::optional<GgmlTypeTraits> traits = GetTypeTraits(type_id);
    if (!traits) return r.Error(type_at, fmt::format("{}: unsupported tensor type id {}", tfield, type_id));
    t.type = traits->type;
    if (t.dims[0] % static_cast<uint64_t>(traits->block_size) != 0) {
      return r.Error(type_at, fmt::format("{}: row length {} is not a multiple of the {} block size {}", tfield,
                                          t.dims[0], traits->name, traits->block_size));
    }
    // n_el is a multiple of block_size (dims[0] is), so this is exact.
    if (!CheckedMul(n_el / static_cast<uint64_t>(traits->block_size), traits->type_size, &t.n_bytes)) {
      return r.Error(type_at, fmt::format("{}: byte size overflows", tfield));
    }
    const uint64_t off_at = r.pos();
    HEARTH_RETURN_IF_ERROR(r.Read(&t.offset, tfield + " offset"));
    if (t.offset % alignment != 0) {
      return r.Error(off_at, fmt::format("{}: offset {} is not a multiple of the alignment {}", tfield, t.offset, alignment));
    }
    tensor_index.emplace(t.name, tensors.size());
    tensors.push_back(std::move(t));
    info_offsets.push_back(at);
  }

  // The data section starts at the next multiple of the alignment.
  const uint64_t header_end = r.pos();
  data_offset = header_end + (alignment - header_end % alignment) % alignment;
  const uint64_t data_size = data_offset <= size ? size - data_offset : 0;
  if (!tensors.empty() && data_offset > size) {
    return r.Error(header_end, fmt::format("tensor data section: starts at {} past end of file (size {})", data_offset, size));
  }
  for (size_t i = 0; i < tensors.size(); ++i) {
    const GgufTensorInfo& t = tensors[i];
    uint64_t end = 0;
    if (!CheckedAdd(t.offset, t.n_bytes, &end) || end > data_size) {
      return r.Error(info_offsets[i], fmt::format("tensor '{}': data [{}, {}) past end of file (size {}, data section {} bytes at {})",
                                                  t.name, data_offset + t.offset, data_offset + t.offset + t.n_bytes, size,
                                                  data_size, data_offset));
    }
  }
  std::vector<size_t> order(tensors.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return tensors[a].offset < tensors[b].offset; });
  for (size_t k = 1; k < order.size(); ++k) {
    const GgufTensorInfo& prev = tensors[order[k - 1]];
    const GgufTensorInfo& cur = tensors[order[k]];
    if (prev.n_bytes != 0 && cur.n_bytes != 0 && prev.offset + prev.n_bytes > cur.offset) {
      return r.Error(info_offsets[order[k]], fmt::format("tensor '{}': data [{}, {}) overlaps tensor '{}' [{}, {})", cur.name,
                                                         cur.offset, cur.offset + cur.n_bytes, prev.name, prev.offset,
                                                         prev.offset + prev.n_bytes));
    }
  }
  return Status::Ok();
}

GgufFile::GgufFile(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GgufFile::~GgufFile() = default;

Result<std::unique_ptr<GgufFile>> GgufFile::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return Status::NotFound(fmt::format("{}: no such file", path));
    return Status::IoError(fmt::format("{}: cannot open: {}", path, std::strerror(err)));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::IoError(fmt::format("{}: cannot stat: {}", path, std::strerror(err)));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument(fmt::format("{}: not a regular file", path));
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  if (size < 24) {
    ::close(fd);
    return Status::Corruption(fmt::format("{}: header (byte 0): file is {} bytes, a GGUF header needs 24", path, size));
  }
  void* p = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int map_err = errno;
  ::close(fd);
  if (p == MAP_FAILED) return Status::IoError(fmt::format("{}: mmap of {} bytes failed: {}", path, size, std::strerror(map_err)));
  impl->image.SetMapped(p, size);
  HEARTH_RETURN_IF_ERROR(impl->Parse());
  return std::unique_ptr<GgufFile>(new GgufFile(std::move(impl)));
}

Result<std::unique_ptr<GgufFile>> GgufFile::FromBytes(std::string_view bytes, std::string name) {
  auto impl = std::make_unique<Impl>();
  impl->path = std::move(name);
  if (bytes.size() < 24) {
    return Status::Corruption(fmt::format("{}: header (byte 0): file is {} bytes, a GGUF header needs 24", impl->path, bytes.size()));
  }
  // 64-byte aligned so tensor data is as aligned as in a mapping.
  const size_t alloc = (bytes.size() + 63) / 64 * 64;
  auto* p = static_cast<uint8_t*>(std::aligned_alloc(64, alloc));
  if (p == nullptr) return Status::ResourceExhausted(fmt::format("{}: cannot allocate {} bytes", impl->path, bytes.size()));
  std::memcpy(p, bytes.data(), bytes.size());
  impl->image.SetHeap(p, bytes.size());
  HEARTH_RETURN_IF_ERROR(impl->Parse());
  return std::unique_ptr<GgufFile>(new GgufFile(std::move(impl)));
}

uint32_t GgufFile::version() const { return impl_->version; }
const std::string& GgufFile::path() const { return impl_->path; }
uint64_t GgufFile::file_size() const { return impl_->image.size(); }
uint64_t GgufFile::alignment() const { return impl_->alignment; }
uint64_t GgufFile::data_offset() const { return impl_->data_offset; }

std::vector<std::string> GgufFile::Keys() const {
  std::vector<std::string> keys;
  keys.reserve(impl_->kvs.size());
  for (const KvRecord& kv : impl_->kvs) keys.push_back(kv.key);
  return keys;
}

bool GgufFile::Has(std::string_view key) const { return impl_->Find(key) != nullptr; }

std::optional<GgufValueType> GgufFile::TypeOf(std::string_view key) const {
  const KvRecord* kv = impl_->Find(key);
  if (kv == nullptr) return std::nullopt;
  return kv->type;
}

std::optional<GgufValueType> GgufFile::ArrayElementType(std::string_view key) const {
  const KvRecord* kv = impl_->Find(key);
  if (kv == nullptr || kv->type != GgufValueType::kArray) return std::nullopt;
  return kv->elem_type;
}

std::optional<uint64_t> GgufFile::ArrayLength(std::string_view key) const {
  const KvRecord* kv = impl_->Find(key);
  if (kv == nullptr || kv->type != GgufValueType::kArray) return std::nullopt;
  return kv->count;
}

namespace {

Status NotFoundKey(const std::string& path, std::string_view key) {
  return Status::NotFound(fmt::format("{}: metadata key '{}' not found", path, key));
}

Status WrongType(const std::string& path, std::string_view key, GgufValueType have, std::string_view want) {
  return Status::InvalidArgument(fmt::format("{}: metadata '{}' has type {}, expected {}", path, key, GgufValueTypeName(have), want));
}

std::string_view StringAt(const uint8_t* data, uint64_t offset, uint64_t* next) {
  const uint64_t n = Load<uint64_t>(data + offset);
  *next = offset + 8 + n;
  return {reinterpret_cast<const char*>(data + offset + 8), static_cast<size_t>(n)};
}

double LoadAsDouble(GgufValueType t, const uint8_t* p) {
  if (t == GgufValueType::kFloat32) return Load<float>(p);
  if (t == GgufValueType::kFloat64) return Load<double>(p);
  const IntValue v = LoadInt(t, p);
  const double m = static_cast<double>(v.magnitude);
  return v.negative ? -m : m;
}

}  // namespace

Result<std::string> GgufFile::GetString(std::string_view key) const {
  const KvRecord* kv = impl_->Find(key);
  if (kv == nullptr) return NotFoundKey(impl_->path, key);
  if (kv->type != GgufValueType::kString) return WrongType(impl_->path, key, kv->type, "string");
  uint64_t next = 0;
  return std::string(StringAt(impl_->image.data(), kv->value_offset, &next));
}

Result<uint64_t> GgufFile::GetUint(std::string_view key) const {
  const KvRecord* kv = impl_->Find(key);
  if (kv == nullptr) return NotFoundKey(impl_->path, key);
  if (!IsIntegerType(kv->type)) return WrongType(impl_->path, key, kv->type, "an unsigned integer");
  const IntValue v = LoadInt(kv->type, impl_->image.data() + kv->value_offset);
  if (v.negative) {
    return Status::InvalidArgument(fmt::format("{}: metadata '{}' is negative (-{}), expected an unsigned integer", impl_->path, key, v.magnitude));
  }
  return v.magnitude;
}

Result<int64_t> GgufFile::GetInt(std::string_view key) const {
  const KvRecord* kv = impl_->Find(key);
  if (kv == nullptr) return NotFoundKey(impl_->path, key);
  if (!IsIntegerType(kv->type)) return WrongType(impl_->path, key, kv->type, "an integer");
  const IntValue v = LoadInt(kv->type, impl_->image.data() + kv->value_offset);
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (!v.negative && v.magnitude > kMax) {
    return Status::InvalidArgument(fmt::format("{}: metadata '{}' value {} does not fit int64", impl_->path, key, v.magnitude));
  }
  if (v.negative) return v.magnitude == kMax + 1 ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(v.magnitude);
  return static_cast<int64_t>(v.magnitude);
}

Result<double> GgufFile::GetFloat(std::string_view key) const {
  const KvRecord* kv = impl_->Find(key);
  if (kv == nullptr) return NotFoundKey(impl_->path, key);
  if (kv->type != GgufValueType::kFloat32 && kv->type != GgufValueType::kFloat64 && !IsIntegerType(kv->type)) {
    return WrongType(impl_->path, key, kv->type, "a number");
  }
  return LoadAsDouble(kv->type, impl_->image.data() + kv->value_offset);
}

Result<bool> GgufFile::GetBool(std::string_view key) const {
  const KvRecord* kv = impl_->Find(key);
  if (kv == nullptr) return NotFoundKey(impl_->path, key);
  if (kv->type != GgufValueType::kBool) return WrongType(impl_->path, key, kv->type, "bool");
  return impl_->image.data()[kv->value_offset] != 0;
}

Result<std::vector<std::string>> GgufFile::GetStringArray(std::string_view key) const {
  const KvRecord* kv = impl_->Find(key);
  if (kv == nullptr) return NotFoundKey(impl_->path, key);
  if (kv->type != GgufValueType::kArray || kv->elem_type != GgufValueType::kString) {
    return WrongType(impl_->path, key, kv->type, "array of string");
  }
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(kv->count));
  uint64_t at = kv->elems_offset;
  for (uint64_t i = 0; i < kv->count; ++i) out.emplace_back(StringAt(impl_->image.data(), at, &at));
  return out;
}

Result<std::vector<float>> GgufFile::GetFloatArray(std::string_view key) const {
  const KvRecord* kv = impl_->Find(key);
  if (kv == nullptr) return NotFoundKey(impl_->path, key);
  const bool numeric = kv->type == GgufValueType::kArray &&
                       (kv->elem_type == GgufValueType::kFloat32 || kv->elem_type == GgufValueType::kFloat64 ||
                        IsIntegerType(kv->elem_type));
  if (!numeric) return WrongType(impl_->path, key, kv->type, "array of numbers");
  std::vector<float> out(static_cast<size_t>(kv->count));
  const uint64_t es = ScalarSize(kv->elem_type);
  const uint8_t* p = impl_->image.data() + kv->elems_offset;
  for (uint64_t i = 0; i < kv->count; ++i) out[i] = static_cast<float>(LoadAsDouble(kv->elem_type, p + i * es));
  return out;
}

Result<std::vector<int64_t>> GgufFile::GetIntArray(std::string_view key) const {
  const KvRecord* kv = impl_->Find(key);
  if (kv == nullptr) return NotFoundKey(impl_->path, key);
  if (kv->type != GgufValueType::kArray || !IsIntegerType(kv->elem_type)) {
    return WrongType(impl_->path, key, kv->type, "array of integers");
  }
  std::vector<int64_t> out(static_cast<size_t>(kv->count));
  const uint64_t es = ScalarSize(kv->elem_type);
  const uint8_t* p = impl_->image.data() + kv->elems_offset;
  for (uint64_t i = 0; i < kv->count; ++i) {
    const IntValue v = LoadInt(kv->elem_type, p + i * es);
    if (!v.negative && v.magnitude > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Status::InvalidArgument(fmt::format("{}: metadata '{}'[{}] value {} does not fit int64", impl_->path, key, i, v.magnitude));
    }
    out[i] = v.negative ? static_cast<int64_t>(0 - v.magnitude) : static_cast<int64_t>(v.magnitude);
  }
  return out;
}

std::string GgufFile::ArchKey(std::string_view suffix) const {
  std::string k = Arch();
  k += '.';
  k += suffix;
  return k;
}

std::string GgufFile::Arch() const {
  Result<std::string> a = GetString("general.architecture");
  return a.ok() ? *a : std::string();
}

namespace {

std::string ScalarToString(GgufValueType t, const uint8_t* p) {
  switch (t) {
    case GgufValueType::kBool: return *p ? "true" : "false";
    case GgufValueType::kFloat32: return fmt::format("{}", Load<float>(p));
    case GgufValueType::kFloat64: return fmt::format("{}", Load<double>(p));
    default: {
      const IntValue v = LoadInt(t, p);
      return v.negative ? fmt::format("-{}", v.magnitude) : fmt::format("{}", v.magnitude);
    }
  }
}

std::string QuoteString(std::string_view s, size_t max_len) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < max_len; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') { out += '\\'; out += static_cast<char>(c); }
    else if (c == '\n') out += "\\n";
    else if (c < 0x20) out += fmt::format("\\x{:02x}", c);
    else out += static_cast<char>(c);
  }
  if (s.size() > max_len) out += "…";
  out += '"';
  return out;
}

}  // namespace

std::string GgufFile::ValueToString(std::string_view key, size_t max_array_items) const {
  const KvRecord* kv = impl_->Find(key);
  if (kv == nullptr) return "";
  const uint8_t* data = impl_->image.data();
  if (kv->type == GgufValueType::kString) {
    uint64_t next = 0;
    return QuoteString(StringAt(data, kv->value_offset, &next), 200);
  }
  if (kv->type != GgufValueType::kArray) return ScalarToString(kv->type, data + kv->value_offset);
  std::string out = "[";
  uint64_t at = kv->elems_offset;
  const uint64_t shown = std::min<uint64_t>(kv->count, max_array_items);
  for (uint64_t i = 0; i < shown; ++i) {
    if (i) out += ", ";
    if (kv->elem_type == GgufValueType::kString) {
      out += QuoteString(StringAt(data, at, &at), 40);
    } else {
      out += ScalarToString(kv->elem_type, data + at);
      at += ScalarSize(kv->elem_type);
    }
  }
  if (kv->count > shown) out += fmt::format(", … ({} {} items)", kv->count, GgufValueTypeName(kv->elem_type));
  out += "]";
  return out;
}

std::string_view GgufFile::RawValue(std::string_view key) const {
  const KvRecord* kv = impl_->Find(key);
  if (kv == nullptr) return {};
  return {reinterpret_cast<const char*>(impl_->image.data() + kv->value_offset),
          static_cast<size_t>(kv->value_end - kv->value_offset)};
}

std::optional<uint64_t> GgufFile::KeyOffset(std::string_view key) const {
  const KvRecord* kv = impl_->Find(key);
  if (kv == nullptr) return std::nullopt;
  return kv->record_offset;
}

const std::vector<GgufTensorInfo>& GgufFile::tensors() const { return impl_->tensors; }

const GgufTensorInfo* GgufFile::FindTensor(std::string_view name) const {
  auto it = impl_->tensor_index.find(name);
  return it == impl_->tensor_index.end() ? nullptr : &impl_->tensors[it->second];
}

const uint8_t* GgufFile::TensorData(const GgufTensorInfo& info) const {
  return impl_->image.data() + impl_->data_offset + info.offset;
}

}  // namespace hearth::engine
