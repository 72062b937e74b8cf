#pragma once

#include <QLoggingCategory>

// One logging category per area; enable with QT_LOGGING_RULES="gpuwb.jobs.debug=true".
Q_DECLARE_LOGGING_CATEGORY(lcFs)
Q_DECLARE_LOGGING_CATEGORY(lcSsh)
Q_DECLARE_LOGGING_CATEGORY(lcJobs)
Q_DECLARE_LOGGING_CATEGORY(lcGpu)
Q_DECLARE_LOGGING_CATEGORY(lcUi)
