// libFuzzer target: GgufFile must reject or accept any byte string without
// reading out of bounds, and every accessor must be safe on what it accepts.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/gguf.h"
#include "engine/model_info.h"
#include "engine/quants.h"

using hearth::engine::GgufFile;
using hearth::engine::GgufValueType;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = GgufFile::FromBytes(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.gguf");
  if (!file.ok()) return 0;
  const GgufFile& f = **file;
  for (const std::string& key : f.Keys()) {
    (void)f.ValueToString(key, 4);
    (void)f.RawValue(key);
    (void)f.GetString(key);
    (void)f.GetUint(key);
    (void)f.GetInt(key);
    (void)f.GetFloat(key);
    (void)f.GetBool(key);
    if (f.TypeOf(key) == GgufValueType::kArray) {
      (void)f.GetStringArray(key);
      (void)f.GetIntArray(key);
      (void)f.GetFloatArray(key);
    }
  }
  volatile uint8_t sink = 0;
  for (const auto& t : f.tensors()) {
    const uint8_t* p = f.TensorData(t);
    if (t.n_bytes > 0) sink = static_cast<uint8_t>(sink ^ p[0] ^ p[t.n_bytes - 1]);
    // Dequantize the first row when it is small.
    if (hearth::engine::CanDequantize(t.type) && t.dims[0] <= 4096 && t.n_bytes > 0) {
      std::vector<float> row(t.dims[0]);
      hearth::engine::DequantizeRow(t.type, p, row.data(), static_cast<int64_t>(t.dims[0]));
    }
  }
  auto info = hearth::engine::GetModelInfo(f, 0);
  if (info.ok()) (void)hearth::engine::FormatModelInfo(*info);
  return 0;
}
