#include "nvmlloader.h"
