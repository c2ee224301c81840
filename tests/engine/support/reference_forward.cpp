#include "engine/support/reference_forward.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "engine/quants.h"

namespace hearth::engine::testing {
namespace {

using Vec = std::vector<double>;

struct Matrix {
  int64_t rows = 0, cols = 0;
  std::vector<double> w;  // row-major: w[r * cols + c]
};

Matrix Load(const GgufFile& f, const std::string& name) {
  const GgufTensorInfo* t = f.FindTensor(name);
  if (t == nullptr) throw std::runtime_error("reference: missing tensor " + name);
  Matrix m;
  m.cols = static_cast<int64_t>(t->dims[0]);
  m.rows = static_cast<int64_t>(t->n_elements / t->dims[0]);
  const uint64_t row_bytes = t->n_bytes / static_cast<uint64_t>(m.rows);
  std::vector<float> row(static_cast<size_t>(m.cols));
  m.w.resize(static_cast<size_t>(m.rows * m.cols));
  for (int64_t r = 0; r < m.rows; ++r) {
    DequantizeRow(t->type, f.TensorData(*t) + r * row_bytes, row.data(), m.cols);
    for (int64_t c = 0; c < m.cols; ++c) m.w[static_cast<size_t>(r * m.cols + c)] = row[static_cast<size_t>(c)];
  }
  return m;
}

bool Has(const GgufFile& f, const std::string& name) { return f.FindTensor(name) != nullptr; }

Vec MatVec(const Matrix& m, const Vec& x) {
  Vec y(static_cast<size_t>(m.rows), 0.0);
  for (int64_t r = 0; r < m.rows; ++r) {
    double s = 0;
    for (int64_t c = 0; c < m.cols; ++c) s += m.w[static_cast<size_t>(r * m.cols + c)] * x[static_cast<size_t>(c)];
    y[static_cast<size_t>(r)] = s;
  }
  return y;
}

Vec RmsNorm(const Vec& x, size_t begin, size_t n, const Matrix& weight, double eps) {
  double ss = 0;
  for (size_t i = 0; i < n; ++i) ss += x[begin + i] * x[begin + i];
  const double scale = 1.0 / std::sqrt(ss / static_cast<double>(n) + eps);
  Vec out(n);
  for (size_t i = 0; i < n; ++i) out[i] = x[begin + i] * scale * weight.w[i];
  return out;
}

void Rope(double* head, int64_t n_rot, bool neox, double pos, const HParams& hp, const Matrix* freqs) {
  for (int64_t i = 0; i < n_rot / 2; ++i) {
    double inv = std::pow(static_cast<double>(hp.rope_freq_base), -2.0 * static_cast<double>(i) / static_cast<double>(n_rot));
    inv *= hp.rope_freq_scale;
    if (freqs != nullptr) inv /= freqs->w[static_cast<size_t>(i)];
    const double theta = pos * inv;
    const int64_t a = neox ? i : 2 * i;
    const int64_t b = neox ? i + n_rot / 2 : 2 * i + 1;
    const double x0 = head[a], x1 = head[b];
    head[a] = x0 * std::cos(theta) - x1 * std::sin(theta);
    head[b] = x0 * std::sin(theta) + x1 * std::cos(theta);
  }
}

}  // namespace

std::vector<std::vector<double>> ReferenceForward(const GgufFile& f, const HParams& hp,
                                                  const std::vector<int32_t>& tokens) {
  const bool neox = hp.arch == "qwen2" || hp.arch == "qwen3";
  const size_t D = static_cast<size_t>(hp.n_embd), hd = static_cast<size_t>(hp.head_dim);
  const size_t nh = static_cast<size_t>(hp.n_head), nkv = static_cast<size_t>(hp.n_head_kv);
  const double eps = hp.rms_eps;
  const Matrix embd = Load(f, "token_embd.weight");
  const Matrix out_norm = Load(f, "output_norm.weight");
  const Matrix output = Has(f, "output.weight") ? Load(f, "output.weight") : embd;
  Matrix freqs;
  const bool has_freqs = Has(f, "rope_freqs.weight");
  if (has_freqs) freqs = Load(f, "rope_freqs.weight");

  const size_t T = tokens.size();
  std::vector<Vec> x(T);
  for (size_t t = 0; t < T; ++t) {
    x[t].assign(embd.w.begin() + static_cast<ptrdiff_t>(static_cast<size_t>(tokens[t]) * D),
                embd.w.begin() + static_cast<ptrdiff_t>((static_cast<size_t>(tokens[t]) + 1) * D));
  }
  for (int64_t il = 0; il < hp.n_layer; ++il) {
    const std::string p = "blk." + std::to_string(il) + ".";
    const Matrix attn_norm = Load(f, p + "attn_norm.weight"), wq = Load(f, p + "attn_q.weight"),
                 wk = Load(f, p + "attn_k.weight"), wv = Load(f, p + "attn_v.weight"),
                 wo = Load(f, p + "attn_output.weight"), ffn_norm = Load(f, p + "ffn_norm.weight"),
                 wg = Load(f, p + "ffn_gate.weight"), wu = Load(f, p + "ffn_up.weight"),
                 wd = Load(f, p + "ffn_down.weight");
    const bool bias = Has(f, p + "attn_q.bias");
    const bool qk_norm = Has(f, p + "attn_q_norm.weight");
    std::vector<Vec> Q(T), K(T), V(T);
    for (size_t t = 0; t < T; ++t) {
      const Vec xn = RmsNorm(x[t], 0, D, attn_norm, eps);
      Q[t] = MatVec(wq, xn);
      K[t] = MatVec(wk, xn);
      V[t] = MatVec(wv, xn);
      if (bias) {
        const Matrix bq = Load(f, p + "attn_q.bias"), bk = Load(f, p + "attn_k.bias"), bv = Load(f, p + "attn_v.bias");
        for (size_t i = 0; i < Q[t].size(); ++i) Q[t][i] += bq.w[i];
        for (size_t i = 0; i < K[t].size(); ++i) K[t][i] += bk.w[i];
        for (size_t i = 0; i < V[t].size(); ++i) V[t][i] += bv.w[i];
      }
      if (qk_norm) {
        const Matrix qn = Load(f, p + "attn_q_norm.weight"), kn = Load(f, p + "attn_k_norm.weight");
        for (size_t h = 0; h < nh; ++h) {
          const Vec r = RmsNorm(Q[t], h * hd, hd, qn, eps);
          std::copy(r.begin(), r.end(), Q[t].begin() + static_cast<ptrdiff_t>(h * hd));
        }
        for (size_t h = 0; h < nkv; ++h) {
          const Vec r = RmsNorm(K[t], h * hd, hd, kn, eps);
          std::copy(r.begin(), r.end(), K[t].begin() + static_cast<ptrdiff_t>(h * hd));
        }
      }
      for (size_t h = 0; h < nh; ++h) Rope(&Q[t][h * hd], hp.n_rot, neox, static_cast<double>(t), hp, has_freqs ? &freqs : nullptr);
      for (size_t h = 0; h < nkv; ++h) Rope(&K[t][h * hd], hp.n_rot, neox, static_cast<double>(t), hp, has_freqs ? &freqs : nullptr);
    }
    for (size_t t = 0; t < T; ++t) {
      Vec attn(nh * hd, 0.0);
      for (size_t h = 0; h < nh; ++h) {
        const size_t kvh = h / (nh / nkv);
        Vec s(t + 1);
        double max = -INFINITY;
        for (size_t j = 0; j <= t; ++j) {
          double d = 0;
          for (size_t i = 0; i < hd; ++i) d += Q[t][h * hd + i] * K[j][kvh * hd + i];
          s[j] = d / std::sqrt(static_cast<double>(hd));
          max = std::max(max, s[j]);
        }
        double sum = 0;
        for (size_t j = 0; j <= t; ++j) { s[j] = std::exp(s[j] - max); sum += s[j]; }
        for (size_t j = 0; j <= t; ++j) {
          for (size_t i = 0; i < hd; ++i) attn[h * hd + i] += s[j] / sum * V[j][kvh * hd + i];
        }
      }
      const Vec o = MatVec(wo, attn);
      for (size_t i = 0; i < D; ++i) x[t][i] += o[i];
      const Vec xn = RmsNorm(x[t], 0, D, ffn_norm, eps);
      const Vec g = MatVec(wg, xn), u = MatVec(wu, xn);
      Vec h(g.size());
      for (size_t i = 0; i < g.size(); ++i) h[i] = g[i] / (1.0 + std::exp(-g[i])) * u[i];
      const Vec d = MatVec(wd, h);
      for (size_t i = 0; i < D; ++i) x[t][i] += d[i];
    }
  }
  std::vector<Vec> logits(T);
  for (size_t t = 0; t < T; ++t) logits[t] = MatVec(output, RmsNorm(x[t], 0, D, out_norm, eps));
  return logits;
}

}  // namespace hearth::engine::testing
