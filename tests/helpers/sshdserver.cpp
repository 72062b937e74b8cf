#include "helpers/sshdserver.h"
