#pragma once

#include <QtGlobal>

// Programmer errors (principle 3): log where it happened and recover with `action`
// (usually `return` or `return {}`), never abort a running workbench.
#define GPUWB_CHECK(cond, action)                                                          \
    if (Q_LIKELY(cond)) {                                                                   \
    } else {                                                                               \
        qCritical("GPUWB_CHECK failed: \"%s\" in %s:%d", #cond, __FILE__, __LINE__);       \
        action;                                                                            \
    }                                                                                      \
    do {                                                                                   \
    } while (false)
