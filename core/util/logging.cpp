#include "core/util/logging.h"

Q_LOGGING_CATEGORY(lcFs, "gpuwb.fs", QtInfoMsg)
Q_LOGGING_CATEGORY(lcSsh, "gpuwb.ssh", QtInfoMsg)
Q_LOGGING_CATEGORY(lcJobs, "gpuwb.jobs", QtInfoMsg)
Q_LOGGING_CATEGORY(lcGpu, "gpuwb.gpu", QtInfoMsg)
Q_LOGGING_CATEGORY(lcUi, "gpuwb.ui", QtInfoMsg)
