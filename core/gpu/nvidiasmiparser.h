#pragma once

#include "core/gpu/gpusample.h"
#include "core/util/result.h"

#include <QByteArray>
#include <QList>
#include <QStringList>

// Pure functions that turn `nvidia-smi --query-gpu=... --format=csv[,noheader][,nounits]` and
// `--query-compute-apps=...` output into samples (principle 7). Columns are found by header
// name, never by position; units come from the header or the value; null markers ([N/A],
// N/A, [Not Supported], [Unknown Error], ...) and empty fields leave a metric absent.
namespace gpuwb::NvidiaSmiParser {

// One process row of --query-compute-apps, with the GPU it runs on (uuid or bus id, as asked).
struct ComputeApp
{
    QString gpuUuid;
    QString gpuBusId;
    GpuProcess process;
};

// The --query-gpu fields the workbench asks for, in this order.
QStringList queryGpuFields();
// The --query-compute-apps fields the workbench asks for.
QStringList computeAppsFields();

// Canonical field name for an alias nvidia-smi accepts (gpu_name -> name, clocks.sm ->
// clocks.current.sm, used_memory -> used_gpu_memory, ...); other names come back unchanged.
QString canonicalField(const QString &field);

// The stable key of a GPU without a uuid column: "pci:<bus id>", else "gpu<index>".
QString fallbackKey(const QString &busId, int index);

// Parses --query-gpu output: each sampling pass (rows until a GPU repeats, as `-l` logs
// hold) becomes one snapshot, its timestamp from the first row's timestamp column (local
// time) or 0. `fieldsIfNoHeader` names the columns of `noheader` output (aliases allowed).
// An error when nvidia-smi reported one, or no GPU row could be read.
Result<QList<GpuSnapshot>> parseQueryGpuPasses(const QByteArray &output,
                                               const QStringList &fieldsIfNoHeader = {});
// The first pass of parseQueryGpuPasses: what one nvidia-smi invocation printed.
Result<GpuSnapshot> parseQueryGpu(const QByteArray &output,
                                  const QStringList &fieldsIfNoHeader = {});

// Parses --query-compute-apps output. Header only (no processes) is an empty list.
Result<QList<ComputeApp>> parseComputeApps(const QByteArray &output,
                                           const QStringList &fieldsIfNoHeader = {});

// Gives each GPU of the snapshot the processes that run on it (matched by uuid or bus id;
// with one GPU and rows that name none, they all go to it).
void attachProcesses(GpuSnapshot *snapshot, const QList<ComputeApp> &apps);

} // namespace gpuwb::NvidiaSmiParser
