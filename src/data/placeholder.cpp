#include "common/status.h"  // placeholder: removed when the first data source lands
