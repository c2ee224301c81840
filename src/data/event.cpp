#include "data/event.h"

namespace hearth::data {

std::string_view LayerName(Layer layer) {
  switch (layer) {
    case Layer::kText: return "text";
    case Layer::kVisual: return "visual";
    case Layer::kAuditory: return "auditory";
    case Layer::kBehavioral: return "behavioral";
    case Layer::kEnvironmental: return "environmental";
    case Layer::kResidential: return "residential";
  }
  return "text";
}

bool ParseLayer(std::string_view name, Layer* out) {
  for (Layer l : kAllLayers) {
    if (LayerName(l) == name) {
      *out = l;
      return true;
    }
  }
  return false;
}

}  // namespace hearth::data
