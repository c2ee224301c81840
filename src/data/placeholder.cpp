#include "common/status.h"  // placeholder until the data node lands
