#pragma once

#include "core/gpu/gpusample.h"
#include "core/telemetry/gputelemetry.h"

#include <QString>

namespace gpuwb {

// Short texts about GPUs and hosts for people, shared by the GPU panel, its cards and the
// main window's status bar. Pure functions.
namespace GpuText {

// "This machine" for "local", the alias for "ssh:<alias>", the id otherwise.
QString hostLabel(const QString &hostId);
// Bytes as GiB with one decimal ("31.2"), or as a whole number when it is one ("80").
QString gib(qint64 bytes);
// The host's line in its section of the panel: calm for NoDriver, the message otherwise.
QString statusText(GpuHostStatus status, const QString &message);
// The compact summary of one host for the status bar:
// "gpu-box: 2 GPUs · 87% · 61 °C · 31.2/80 GiB", or the calm no-driver line.
QString summary(const QString &hostId, GpuHostStatus status, const GpuSnapshot &latest);
// The numbers of one GPU on one line: "87 % · 31.2/80 GiB · 61 °C · 350/700 W · ..."
QString metricsLine(const GpuSample &gpu);

} // namespace GpuText

} // namespace gpuwb
