#include "engine/session.h"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "common/log.h"

namespace hearth::engine {

Result<std::unique_ptr<Session>> Session::Open(const Model& model, const SessionOptions& o) {
  const HParams& hp = model.hparams();
  PlanRequest req;
  req.n_ctx = o.n_ctx > 0 ? o.n_ctx : std::min<int64_t>(hp.n_ctx_train, 4096);
  req.n_seq = 1;
  req.n_batch = std::min(o.n_batch, req.n_ctx);
  req.all_logits = o.all_logits;
  req.n_threads = o.n_threads > 0 ? o.n_threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  HEARTH_ASSIGN_OR_RETURN(MemoryPlan plan, PlanMemory(model, req));
  MemoryBudget budget;
  if (o.mem_budget) {
    budget = FixedBudget(*o.mem_budget);
  } else {
    HEARTH_ASSIGN_OR_RETURN(budget, DetectBudget(o.mem_reserve));
  }
  HEARTH_RETURN_IF_ERROR(CheckPlanFits(plan, model, budget));

  std::unique_ptr<Session> s(new Session(model, std::move(plan)));
  const ScratchLayout& lay = s->plan_.scratch;
  s->pool_ = std::make_unique<kernels::ThreadPool>(req.n_threads);
  s->pool_->Reserve(static_cast<size_t>(lay.kernel_shared_bytes), static_cast<size_t>(lay.kernel_per_thread_bytes));
  HEARTH_ASSIGN_OR_RETURN(s->cache_, KvCache::Create(hp.n_layer, req.n_ctx, hp.kv_dim()));
  HEARTH_ASSIGN_OR_RETURN(s->buffers_, ForwardBuffers::Create(model, lay));
  s->tokens_.reserve(static_cast<size_t>(req.n_ctx));
  log::Debug("engine", "session opened",
            {{"ctx", req.n_ctx}, {"threads", req.n_threads}, {"plan_bytes", s->plan_.Total()},
             {"budget_bytes", budget.budget}});
  return s;
}

Status Session::EvaluateBatches(std::span<const int32_t> tokens, const LogitsFn* on_logits) {
  if (tokens.empty()) return Status::InvalidArgument("no tokens to evaluate");
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (n_past() + n > n_ctx()) {
    return Status::OutOfRange(fmt::format(
        "context full: {} cached + {} new tokens exceed the context of {} positions "
        "(open a session with a larger context, or start over)",
        n_past(), n, n_ctx()));
  }
  const int64_t n_vocab = model_.hparams().n_vocab;
  for (int64_t i = 0; i < n; ++i) {
    if (tokens[static_cast<size_t>(i)] < 0 || tokens[static_cast<size_t>(i)] >= n_vocab) {
      return Status::InvalidArgument(fmt::format("token id {} at index {} is outside the vocabulary [0, {})",
                                                 tokens[static_cast<size_t>(i)], i, n_vocab));
    }
  }
  const int64_t nb = plan_.scratch.n_batch;
  for (int64_t start = 0; start < n; start += nb) {
    const int64_t count = std::min(nb, n - start);
    Status st = Forward(model_, tokens.data() + start, count, n_past(), on_logits != nullptr, *cache_, *buffers_, *pool_);
    if (!st.ok()) {
      // Keep the cache consistent with tokens_: the failed batch is not kept.
      cache_->SetSize(n_past());
      has_logits_ = false;
      return st;
    }
    tokens_.insert(tokens_.end(), tokens.begin() + start, tokens.begin() + start + count);
    last_row_ = on_logits != nullptr ? count - 1 : 0;
    if (on_logits != nullptr) {
      for (int64_t i = 0; i < count; ++i) {
        (*on_logits)(start + i, std::span<const float>(buffers_->logits() + i * n_vocab, static_cast<size_t>(n_vocab)));
      }
    }
  }
  has_logits_ = true;
  return Status::Ok();
}

Status Session::Evaluate(std::span<const int32_t> tokens) { return EvaluateBatches(tokens, nullptr); }

Status Session::Score(std::span<const int32_t> tokens, const LogitsFn& on_logits) {
  if (!plan_.request.all_logits) {
    return Status::FailedPrecondition("Score needs a session opened with all_logits");
  }
  return EvaluateBatches(tokens, &on_logits);
}

Result<int64_t> Session::EvaluatePrompt(std::span<const int32_t> tokens) {
  if (tokens.empty()) return Status::InvalidArgument("empty prompt");
  if (static_cast<int64_t>(tokens.size()) > n_ctx()) {
    return Status::OutOfRange(fmt::format("prompt of {} tokens exceeds the context of {} positions", tokens.size(), n_ctx()));
  }
  size_t common = 0;
  while (common < tokens_.size() && common < tokens.size() && tokens_[common] == tokens[common]) ++common;
  // Re-evaluate at least the last prompt token so logits() belong to it.
  if (common == tokens.size()) --common;
  Truncate(static_cast<int64_t>(common));
  HEARTH_RETURN_IF_ERROR(Evaluate(tokens.subspan(common)));
  return static_cast<int64_t>(common);
}

std::span<const float> Session::logits() const {
  if (!has_logits_) return {};
  const int64_t n_vocab = model_.hparams().n_vocab;
  return std::span<const float>(buffers_->logits() + last_row_ * n_vocab, static_cast<size_t>(n_vocab));
}

void Session::Truncate(int64_t n) {
  n = std::clamp<int64_t>(n, 0, n_past());
  if (n == n_past()) return;
  tokens_.resize(static_cast<size_t>(n));
  cache_->SetSize(n);
  has_logits_ = false;
}

}  // namespace hearth::engine
