// libFuzzer entry for the nvidia-smi CSV parsers. The first input byte picks what is fuzzed
// (so one corpus covers every entry), the rest is nvidia-smi's output:
//   0 parseQueryGpuPasses with a header       1 the same, noheader, with the workbench's fields
//   2 parseComputeApps with a header          3 the same, noheader, with the workbench's fields
//   4 one query-gpu pass and compute apps, split at the first blank line, then attachProcesses
//   5 QueryGpuStream (noheader,nounits, as `-lms N` prints it) with the workbench's fields,
//     fed in chunks of 1..16 bytes, a short line limit when bit 7 is set
//   6 parseProcStat (a /proc/PID/stat line)      7 QueryGpuStream with the SSH sampler's fields
// Bits 3-6 of the first byte set the chunk size of modes 5 and 7.
// Crashes, sanitizer reports and broken invariants (checked below) are the findings.

#include "core/gpu/nvidiasmiparser.h"

#include <QByteArray>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using namespace gpuwb;
using namespace Qt::StringLiterals;
namespace P = NvidiaSmiParser;

namespace {

void queryGpu(const QByteArray &text, const QStringList &fields)
{
    const Result<QList<GpuSnapshot>> passes = P::parseQueryGpuPasses(text, fields);
    if (!passes) {
        if (passes.error().code.isEmpty() || passes.error().message.isEmpty())
            std::abort(); // an error always says what happened
        return;
    }
    if (passes->isEmpty())
        std::abort(); // success means at least one GPU row
    for (const GpuSnapshot &s : *passes)
        for (const GpuSample &g : s.gpus)
            (void)g.uuid.size(); // touch every sample: ASan sees what the parser built
}

void computeApps(const QByteArray &text, const QStringList &fields)
{
    const Result<QList<P::ComputeApp>> apps = P::parseComputeApps(text, fields);
    if (!apps && (apps.error().code.isEmpty() || apps.error().message.isEmpty()))
        std::abort();
}

void combined(const QByteArray &text)
{
    qsizetype split = text.indexOf("\n\n");
    if (split < 0)
        split = text.size();
    Result<GpuSnapshot> snapshot = P::parseQueryGpu(text.left(split));
    const Result<QList<P::ComputeApp>> apps = P::parseComputeApps(text.mid(split));
    if (!snapshot || !apps)
        return;
    GpuSnapshot s = *snapshot;
    const qsizetype gpus = s.gpus.size();
    P::attachProcesses(&s, *apps);
    if (s.gpus.size() != gpus)
        std::abort(); // attaching processes never adds or drops a GPU
    qsizetype attached = 0;
    for (const GpuSample &g : s.gpus)
        attached += g.processes.size();
    if (attached > apps->size() * qMax<qsizetype>(1, gpus))
        std::abort();
}

void stream(const QByteArray &text, bool sshFields, std::uint8_t config)
{
    const QStringList fields = sshFields
        ? u"index,uuid,name,utilization.gpu,utilization.memory,memory.used,memory.total,"
          "temperature.gpu,power.draw,power.limit,clocks.sm,fan.speed,pstate"_s.split(u',')
        : P::queryGpuFields();
    const qsizetype chunk = ((config >> 3) & 0xF) + 1;
    P::QueryGpuStream parser(fields, (config & 0x80) ? 64 : P::QueryGpuStream::kMaxLineBytes);
    qsizetype snapshots = 0;
    for (qsizetype at = 0; at < text.size(); at += chunk)
        snapshots += parser.feed(QByteArrayView(text).mid(at, chunk)).size();
    snapshots += parser.finish().size();
    for (const Error &e : parser.takeProblems())
        if (e.message.isEmpty())
            std::abort(); // a problem always says what happened
    (void)snapshots;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size == 0)
        return 0;
    const int mode = data[0] & 7;
    const QByteArray text(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));
    switch (mode) {
    case 0: queryGpu(text, {}); break;
    case 1: queryGpu(text, P::queryGpuFields()); break;
    case 2: computeApps(text, {}); break;
    case 3: computeApps(text, P::computeAppsFields()); break;
    case 4: combined(text); break;
    case 5: stream(text, false, data[0]); break;
    case 6: (void)P::parseProcStat(text); break;
    default: stream(text, true, data[0]); break;
    }
    return 0;
}
