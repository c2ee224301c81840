#include "common/status.h"  // placeholder: removed when the first engine source lands
