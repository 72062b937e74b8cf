#include "core/gpu/replaygpusource.h"

#include "core/gpu/nvidiasmiparser.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

Result<QByteArray> readFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return Error{ErrorCode::GpuReplayUnreadable,
                     u"Cannot read the GPU recording %1: %2. Check the path in GPUWB_GPU_REPLAY."_s
                         .arg(path, file.errorString())};
    }
    // Recordings are small; refuse anything absurd rather than filling memory.
    constexpr qint64 kMaxBytes = 64 * 1024 * 1024;
    if (file.size() > kMaxBytes) {
        return Error{ErrorCode::GpuReplayTooLarge,
                     u"The GPU recording %1 is larger than 64 MiB; use a shorter one."_s.arg(path)};
    }
    return file.readAll();
}

} // namespace

ReplayGpuSource::ReplayGpuSource(QString queryGpuCsv, QString computeAppsCsv,
                                 QStringList fieldsIfNoHeader)
    : m_queryGpuCsv(std::move(queryGpuCsv)), m_computeAppsCsv(std::move(computeAppsCsv)),
      m_fieldsIfNoHeader(std::move(fieldsIfNoHeader))
{
}

QString ReplayGpuSource::description() const
{
    return u"replay of %1"_s.arg(QFileInfo(m_queryGpuCsv).fileName());
}

Status ReplayGpuSource::open()
{
    m_passes.clear();
    m_next = 0;
    Result<QByteArray> text = readFile(m_queryGpuCsv);
    if (!text)
        return text.error();
    Result<QList<GpuSnapshot>> passes =
        NvidiaSmiParser::parseQueryGpuPasses(*text, m_fieldsIfNoHeader);
    if (!passes) {
        return Error{passes.error().code,
                     u"The GPU recording %1 cannot be replayed: %2"_s.arg(m_queryGpuCsv,
                                                                          passes.error().message)};
    }
    QList<GpuSnapshot> result = std::move(passes).value();
    if (!m_computeAppsCsv.isEmpty()) {
        Result<QByteArray> appsText = readFile(m_computeAppsCsv);
        if (!appsText)
            return appsText.error();
        Result<QList<NvidiaSmiParser::ComputeApp>> apps =
            NvidiaSmiParser::parseComputeApps(*appsText);
        if (!apps)
            return apps.error();
        for (GpuSnapshot &pass : result)
            NvidiaSmiParser::attachProcesses(&pass, *apps);
    }
    m_passes = std::move(result);
    return {};
}

Result<GpuSnapshot> ReplayGpuSource::sample()
{
    if (m_passes.isEmpty())
        return Error{ErrorCode::GpuReplayNotOpen, u"The GPU recording is not open."_s};
    GpuSnapshot snapshot = m_passes.at(m_next);
    m_next = (m_next + 1) % m_passes.size();
    snapshot.timestampMs = QDateTime::currentMSecsSinceEpoch();
    return snapshot;
}

} // namespace gpuwb
