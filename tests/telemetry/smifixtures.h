#pragma once

// Reading the recorded nvidia-smi fixtures, shared by the parser tests.

#include <QByteArray>
#include <QFile>
#include <QString>
#include <QStringList>

namespace gpuwb::test {

constexpr qint64 kMiB = 1024 * 1024;

inline QString fixtureDir()
{
    return qEnvironmentVariable("GPUWB_FIXTURES") + QStringLiteral("/nvidia-smi");
}

inline QByteArray fixture(const QString &name)
{
    QFile f(fixtureDir() + u'/' + name);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read fixture %s", qPrintable(name));
    return f.readAll();
}

// The columns of the recordings that were made with `noheader` (from their .source files).
inline QStringList noHeaderFields(const QString &file)
{
    if (file.startsWith(QStringLiteral("querygpu-a100-sxm4-40gb"))) {
        return QStringLiteral("timestamp,name,pci.bus_id,driver_version,pstate,pcie.link.gen.max,"
                              "pcie.link.gen.current,temperature.gpu,utilization.gpu,"
                              "utilization.memory,memory.total,memory.free,memory.used")
            .split(u',');
    }
    if (file.startsWith(QStringLiteral("querygpu-unknown2gb-na"))) {
        return QStringLiteral("memory.total,memory.free,memory.used,temperature.gpu,fan.speed,"
                              "utilization.gpu,utilization.memory")
            .split(u',');
    }
    return {};
}

} // namespace gpuwb::test
