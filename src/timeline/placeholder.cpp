#include "common/status.h"  // placeholder: removed when the first timeline source lands
