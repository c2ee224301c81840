#include "engine/gguf_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "engine/quants.h"

namespace hearth::engine {
namespace {

template <typename T>
void Append(std::string* s, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  s->append(buf, sizeof(T));
}

void AppendString(std::string* s, std::string_view v) {
  Append<uint64_t>(s, v.size());
  s->append(v);
}

uint64_t PadTo(uint64_t n, uint64_t alignment) { return (alignment - n % alignment) % alignment; }

}  // namespace

GgufWriter::GgufWriter() = default;

GgufWriter::~GgufWriter() { Abandon(); }

void GgufWriter::Abandon() {
  if (file_ != nullptr) {
    std::fclose(file_);
    file_ = nullptr;
    ::unlink(tmp_path_.c_str());
  }
}

void GgufWriter::Set(std::string_view key, GgufValueType type, std::string encoded) {
  for (Kv& kv : kvs_) {
    if (kv.key == key) {
      kv.type = type;
      kv.encoded = std::move(encoded);
      return;
    }
  }
  kvs_.push_back(Kv{std::string(key), type, std::move(encoded)});
}

bool GgufWriter::HasKey(std::string_view key) const {
  for (const Kv& kv : kvs_) {
    if (kv.key == key) return true;
  }
  return false;
}

void GgufWriter::SetString(std::string_view key, std::string_view value) {
  std::string e;
  AppendString(&e, value);
  Set(key, GgufValueType::kString, std::move(e));
}

void GgufWriter::SetBool(std::string_view key, bool value) {
  Set(key, GgufValueType::kBool, std::string(1, value ? '\1' : '\0'));
}

void GgufWriter::SetUint32(std::string_view key, uint32_t value) {
  std::string e;
  Append(&e, value);
  Set(key, GgufValueType::kUint32, std::move(e));
}

void GgufWriter::SetInt32(std::string_view key, int32_t value) {
  std::string e;
  Append(&e, value);
  Set(key, GgufValueType::kInt32, std::move(e));
}

void GgufWriter::SetUint64(std::string_view key, uint64_t value) {
  std::string e;
  Append(&e, value);
  Set(key, GgufValueType::kUint64, std::move(e));
}

void GgufWriter::SetFloat32(std::string_view key, float value) {
  std::string e;
  Append(&e, value);
  Set(key, GgufValueType::kFloat32, std::move(e));
}

void GgufWriter::SetStringArray(std::string_view key, const std::vector<std::string>& values) {
  std::string e;
  Append<uint32_t>(&e, static_cast<uint32_t>(GgufValueType::kString));
  Append<uint64_t>(&e, values.size());
  for (const std::string& v : values) AppendString(&e, v);
  Set(key, GgufValueType::kArray, std::move(e));
}

void GgufWriter::SetFloat32Array(std::string_view key, const std::vector<float>& values) {
  std::string e;
  Append<uint32_t>(&e, static_cast<uint32_t>(GgufValueType::kFloat32));
  Append<uint64_t>(&e, values.size());
  for (float v : values) Append(&e, v);
  Set(key, GgufValueType::kArray, std::move(e));
}

void GgufWriter::SetInt32Array(std::string_view key, const std::vector<int32_t>& values) {
  std::string e;
  Append<uint32_t>(&e, static_cast<uint32_t>(GgufValueType::kInt32));
  Append<uint64_t>(&e, values.size());
  for (int32_t v : values) Append(&e, v);
  Set(key, GgufValueType::kArray, std::move(e));
}

Status GgufWriter::SetAlignment(uint32_t alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
    return Status::InvalidArgument(fmt::format("general.alignment {} is not a power of two", alignment));
  }
  if (!tensors_.empty()) return Status::FailedPrecondition("general.alignment must be set before tensors are added");
  alignment_ = alignment;
  SetUint32("general.alignment", alignment);
  return Status::Ok();
}

void GgufWriter::SetRaw(std::string_view key, GgufValueType type, std::string_view encoded) {
  Set(key, type, std::string(encoded));
}

Status GgufWriter::CopyKey(const GgufFile& src, std::string_view key) {
  std::optional<GgufValueType> type = src.TypeOf(key);
  if (!type) return Status::NotFound(fmt::format("{}: metadata key '{}' not found", src.path(), key));
  SetRaw(key, *type, src.RawValue(key));
  return Status::Ok();
}

Status GgufWriter::AddTensor(std::string_view name, GgmlType type, const std::vector<uint64_t>& dims) {
  if (sink_ != Sink::kNone) return Status::FailedPrecondition("tensors must be declared before Begin()");
  if (name.empty()) return Status::InvalidArgument("tensor name is empty");
  for (const Tensor& t : tensors_) {
    if (t.name == name) return Status::InvalidArgument(fmt::format("tensor '{}' declared twice", name));
  }
  if (dims.empty() || dims.size() > 4) {
    return Status::InvalidArgument(fmt::format("tensor '{}': {} dimensions (1..4 allowed)", name, dims.size()));
  }
  Result<uint64_t> bytes = engine::TensorBytes(type, dims);
  if (!bytes.ok()) return bytes.status().WithContext(fmt::format("tensor '{}'", name));
  Tensor t{std::string(name), type, dims, data_size_, *bytes};
  data_size_ += *bytes + PadTo(*bytes, alignment_);
  tensors_.push_back(std::move(t));
  return Status::Ok();
}

std::string GgufWriter::EncodeHeader() const {
  std::string h;
  h.append("GGUF", 4);
  Append<uint32_t>(&h, 3);
  Append<uint64_t>(&h, tensors_.size());
  Append<uint64_t>(&h, kvs_.size());
  for (const Kv& kv : kvs_) {
    AppendString(&h, kv.key);
    Append<uint32_t>(&h, static_cast<uint32_t>(kv.type));
    h.append(kv.encoded);
  }
  for (const Tensor& t : tensors_) {
    AppendString(&h, t.name);
    Append<uint32_t>(&h, static_cast<uint32_t>(t.dims.size()));
    for (uint64_t d : t.dims) Append<uint64_t>(&h, d);
    Append<uint32_t>(&h, static_cast<uint32_t>(t.type));
    Append<uint64_t>(&h, t.offset);
  }
  h.append(PadTo(h.size(), alignment_), '\0');
  return h;
}

uint64_t GgufWriter::FileSize() const { return EncodeHeader().size() + data_size_; }

Status GgufWriter::Emit(const void* data, size_t size) {
  if (sink_ == Sink::kMemory) {
    out_->append(static_cast<const char*>(data), size);
    return Status::Ok();
  }
  if (size != 0 && std::fwrite(data, 1, size, file_) != size) {
    const int err = errno;
    Abandon();
    sink_ = Sink::kDone;
    return Status::IoError(fmt::format("{}: write failed: {}", tmp_path_, std::strerror(err)));
  }
  return Status::Ok();
}

Status GgufWriter::EmitPadding(uint64_t n) {
  static const char kZeros[64] = {};
  while (n > 0) {
    const size_t chunk = n < sizeof(kZeros) ? static_cast<size_t>(n) : sizeof(kZeros);
    HEARTH_RETURN_IF_ERROR(Emit(kZeros, chunk));
    n -= chunk;
  }
  return Status::Ok();
}

Status GgufWriter::Begin(const std::string& path) {
  if (sink_ != Sink::kNone) return Status::FailedPrecondition("GgufWriter::Begin called twice");
  path_ = path;
  tmp_path_ = path + ".tmp";
  const int fd = ::open(tmp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError(fmt::format("{}: cannot create: {}", tmp_path_, std::strerror(errno)));
  file_ = ::fdopen(fd, "wb");
  if (file_ == nullptr) {
    ::close(fd);
    return Status::IoError(fmt::format("{}: fdopen failed", tmp_path_));
  }
  std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
  sink_ = Sink::kFile;
  const std::string header = EncodeHeader();
  return Emit(header.data(), header.size());
}

Status GgufWriter::BeginInMemory(std::string* out) {
  if (sink_ != Sink::kNone) return Status::FailedPrecondition("GgufWriter::Begin called twice");
  out_ = out;
  sink_ = Sink::kMemory;
  const std::string header = EncodeHeader();
  return Emit(header.data(), header.size());
}

Status GgufWriter::WriteTensorData(const void* data, size_t size) {
  if (sink_ != Sink::kFile && sink_ != Sink::kMemory) return Status::FailedPrecondition("GgufWriter: not begun");
  if (next_tensor_ >= tensors_.size()) return Status::FailedPrecondition("GgufWriter: more tensor data than declared");
  const Tensor& t = tensors_[next_tensor_];
  if (written_in_tensor_ + size > t.n_bytes) {
    return Status::InvalidArgument(fmt::format("tensor '{}': {} bytes written, but it holds {}", t.name,
                                               written_in_tensor_ + size, t.n_bytes));
  }
  HEARTH_RETURN_IF_ERROR(Emit(data, size));
  written_in_tensor_ += size;
  if (written_in_tensor_ == t.n_bytes) {
    HEARTH_RETURN_IF_ERROR(EmitPadding(PadTo(t.n_bytes, alignment_)));
    ++next_tensor_;
    written_in_tensor_ = 0;
  }
  return Status::Ok();
}

Status GgufWriter::Finish() {
  if (sink_ != Sink::kFile && sink_ != Sink::kMemory) return Status::FailedPrecondition("GgufWriter: not begun");
  // Zero-byte tensors complete without any WriteTensorData call.
  while (next_tensor_ < tensors_.size() && tensors_[next_tensor_].n_bytes == 0) ++next_tensor_;
  if (next_tensor_ != tensors_.size()) {
    return Status::FailedPrecondition(fmt::format("GgufWriter: tensor '{}' was not written", tensors_[next_tensor_].name));
  }
  if (sink_ == Sink::kMemory) {
    sink_ = Sink::kDone;
    return Status::Ok();
  }
  const bool flushed = std::fflush(file_) == 0 && ::fsync(::fileno(file_)) == 0;
  const int err = errno;
  if (!flushed) {
    Abandon();
    sink_ = Sink::kDone;
    return Status::IoError(fmt::format("{}: flush failed: {}", tmp_path_, std::strerror(err)));
  }
  std::fclose(file_);
  file_ = nullptr;
  sink_ = Sink::kDone;
  if (std::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
    const int rerr = errno;
    ::unlink(tmp_path_.c_str());
    return Status::IoError(fmt::format("{}: rename failed: {}", path_, std::strerror(rerr)));
  }
  return Status::Ok();
}

}  // namespace hearth::engine
