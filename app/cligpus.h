#pragma once

#include <QStringList>

namespace gpuwb {

// `gpuwb gpus [HOST] [--watch] [--interval SECONDS]`: the GPUs of this machine (NVML) or of an
// SSH host (nvidia-smi over one connection), one report or, with --watch, one per sample.
// Returns the exit code: 0, 1 (failure), 2 (usage), 3 (no NVIDIA driver there), 128 + signal.
int gpusCommand(const QStringList &arguments);

} // namespace gpuwb
