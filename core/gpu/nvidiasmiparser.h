#pragma once

#include "core/gpu/gpusample.h"
#include "core/util/result.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QSet>
#include <QStringList>

#include <optional>

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

// The --query-gpu field names a driver offers, from `nvidia-smi --help-query-gpu` (every
// quoted name of a `"name" or "alias"` line, canonical names and aliases alike).
QSet<QString> parseHelpQueryGpu(const QByteArray &helpText);

// The fields to stream from a host that offers `offered`: queryGpuFields() that the driver
// knows, with "count" right after "timestamp" when offered (it tells when a pass is complete)
// and "power.draw.instant" after "power.draw" where the driver has it.
// Empty when not even one of uuid/index/name is offered.
QStringList chooseQueryGpuFields(const QSet<QString> &offered);

// The process group and session of a /proc/PID/stat line. Fields are counted from the LAST
// ')' because the command name (field 2) may hold spaces and parentheses.
struct ProcStat
{
    qint64 pid = 0;
    qint64 processGroup = 0;
    qint64 session = 0;
};
std::optional<ProcStat> parseProcStat(const QByteArray &statLine);

// Incremental parser of `--query-gpu=FIELDS --format=csv,noheader,nounits -lms N` output as
// it arrives: bytes may be split anywhere (inside a line or a UTF-8 sequence). A pass becomes
// a snapshot as soon as it is complete: when it has `count` rows (if "count" is a field), else
// when a GPU repeats (or at finish()). Lines longer than maxLineBytes, rows that do not parse
// and nvidia-smi's error lines are skipped and reported by takeProblems(); an error that ends
// the stream (an invalid field, no driver, no devices) is also kept in fatalError().
// A value type with no thread of its own.
class QueryGpuStream
{
public:
    static constexpr qsizetype kMaxLineBytes = 16 * 1024;

    explicit QueryGpuStream(QStringList fields, qsizetype maxLineBytes = kMaxLineBytes);

    QList<GpuSnapshot> feed(QByteArrayView bytes);
    // The output ended: the pass in progress, if it has rows.
    QList<GpuSnapshot> finish();
    QList<Error> takeProblems();
    std::optional<Error> fatalError() const { return m_fatal; }

private:
    void line(QByteArrayView bytes, QList<GpuSnapshot> *out);
    void emitPending(QList<GpuSnapshot> *out);

    QStringList m_fields;
    qsizetype m_maxLineBytes;
    int m_countColumn = -1;
    int m_nameColumn = -1;
    bool m_hasIdentity = false;
    QByteArray m_buffer;
    bool m_discarding = false; // inside an overlong line, until its end
    GpuSnapshot m_pending;
    QSet<QString> m_seen;
    int m_expected = 0; // rows of the current pass, from the count column; 0 unknown
    QList<Error> m_problems;
    std::optional<Error> m_fatal;
};

} // namespace gpuwb::NvidiaSmiParser
