// A plain float64 forward pass, written for clarity only: simple loops over
// dequantized weights (quants.h's reference DequantizeRow), no kernels, no
// threads, no KV-cache rounding. The fast path is tested against it.
//
// It reads the tensors by name from the GGUF file itself and takes the family
// switches from the architecture name, so that a mistake in Model's binding
// or in the ArchSpec shows up as a mismatch.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/gguf.h"
#include "engine/model.h"

namespace hearth::engine::testing {

// Logits (n_vocab doubles) for every position of `tokens`, evaluated from
// position 0. `hp` gives the sizes (read from the same file by Model).
std::vector<std::vector<double>> ReferenceForward(const GgufFile& file, const HParams& hp,
                                                  const std::vector<int32_t>& tokens);

}  // namespace hearth::engine::testing
