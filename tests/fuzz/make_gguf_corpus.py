#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_gguf into tests/fuzz/corpus/gguf/.

Small (< 4 KB) valid and invalid GGUF files covering every metadata value
type, several tensor types, custom alignment, and typical corruptions.
Run it again after changing it; the outputs are kept in the tree.
"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "gguf")


def s(text):
    b = text.encode()
    return struct.pack("<Q", len(b)) + b


def kv(key, vtype, payload):
    return s(key) + struct.pack("<I", vtype) + payload


def arr(etype, items):
    return struct.pack("<IQ", etype, len(items)) + b"".join(items)


def tensor(name, dims, ttype, offset):
    return s(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", ttype, offset)


def gguf(kvs, tensors, data, alignment=32, version=3):
    head = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(kvs)) + b"".join(kvs) + b"".join(tensors)
    head += b"\0" * ((alignment - len(head) % alignment) % alignment)
    return head + data


def pad(b, alignment=32):
    return b + b"\0" * ((alignment - len(b) % alignment) % alignment)


META = [
    kv("general.architecture", 8, s("llama")),
    kv("llama.block_count", 4, struct.pack("<I", 1)),
    kv("llama.context_length", 4, struct.pack("<I", 128)),
    kv("llama.embedding_length", 4, struct.pack("<I", 32)),
    kv("llama.attention.head_count", 4, struct.pack("<I", 2)),
    kv("llama.rope.freq_base", 6, struct.pack("<f", 10000.0)),
    kv("u8", 0, struct.pack("<B", 7)), kv("i8", 1, struct.pack("<b", -7)),
    kv("u16", 2, struct.pack("<H", 700)), kv("i16", 3, struct.pack("<h", -700)),
    kv("i32", 5, struct.pack("<i", -70000)), kv("b", 7, b"\1"),
    kv("u64", 10, struct.pack("<Q", 1 << 40)), kv("i64", 11, struct.pack("<q", -(1 << 40))),
    kv("f64", 12, struct.pack("<d", 0.5)),
    kv("tokenizer.ggml.model", 8, s("llama")),
    kv("tokenizer.ggml.tokens", 9, arr(8, [s("<unk>"), s("<s>"), s("</s>"), s("a")])),
    kv("tokenizer.ggml.scores", 9, arr(6, [struct.pack("<f", -i) for i in range(4)])),
    kv("tokenizer.ggml.token_type", 9, arr(5, [struct.pack("<i", t) for t in (2, 3, 3, 1)])),
    kv("tokenizer.chat_template", 8, s("{% for m in messages %}{{ m.content }}{% endfor %}")),
]


def write(name, content):
    assert len(content) < 4096, (name, len(content))
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(content)


def main():
    os.makedirs(OUT, exist_ok=True)
    # Valid: vocabulary only.
    write("vocab_only.gguf", gguf(META, [], b""))
    # Valid: tensors of several types (F32, F16, Q8_0, Q4_0, Q4_K, Q6_K).
    blocks = [("a.f32", [8], 0, 32), ("b.f16", [16], 1, 32), ("c.q8_0", [32], 8, 34),
              ("d.q4_0", [32, 2], 2, 36), ("e.q4_k", [256], 12, 144), ("f.q6_k", [256], 14, 210)]
    tensors, data = [], b""
    for i, (name, dims, ttype, nbytes) in enumerate(blocks):
        tensors.append(tensor(name, dims, ttype, len(data)))
        data = pad(data + bytes((i * 37 + j) % 251 for j in range(nbytes)))
    valid = gguf(META[:6], tensors, data)
    write("tensors.gguf", valid)
    # Valid: v2, custom alignment.
    write("align64_v2.gguf", gguf([kv("general.alignment", 4, struct.pack("<I", 64))],
                                  [tensor("w", [8], 0, 0)], b"\1" * 64, alignment=64, version=2))
    # Invalid variants.
    write("truncated.gguf", valid[: len(valid) // 2])
    write("bad_magic.gguf", b"GGUX" + valid[4:200])
    write("huge_count.gguf", b"GGUF" + struct.pack("<IQQ", 3, 0, 1 << 60))
    write("huge_string.gguf", gguf([kv("k", 8, struct.pack("<Q", 1 << 62))], [], b""))
    write("overlap.gguf", gguf([], [tensor("a", [16], 0, 0), tensor("b", [16], 0, 32)], b"\0" * 128))
    write("past_end.gguf", gguf([], [tensor("a", [64, 64], 0, 0)], b"\0" * 64))
    write("bad_type.gguf", gguf([], [tensor("a", [32], 4, 0)], b"\0" * 64))


if __name__ == "__main__":
    main()
