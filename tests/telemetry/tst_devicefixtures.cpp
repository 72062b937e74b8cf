// The nvidia-smi parser on output recorded on a real NVIDIA H200 by scripts/device-check
// (tests/fixtures/h200/SOURCE.md): idle and under a known load, with and without header and
// units, the workbench's field list and the one the SSH sampler will use. The values asserted
// are the ones the recordings hold; other tools' views of the same moment (nvidia-smi -L,
// -q -x, NVML) are checked to agree with what the parser makes of the CSV.

#include "core/gpu/nvidiasmiparser.h"

#include <QFile>
#include <QRegularExpression>
#include <QTest>
#include <QXmlStreamReader>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace P = NvidiaSmiParser;

namespace {

constexpr qint64 kMiB = 1024 * 1024;
constexpr char16_t kUuid[] = u"GPU-f7e4e3c0-eb27-e41e-ac44-9bd58c875404";
constexpr char16_t kDriver[] = u"580.159.04";
constexpr qint64 kTotalMiB = 143771;
constexpr qint64 kLoadPid = 1016; // the script's gpuwb-load, 4096 MiB allocated

QByteArray fixture(const QString &name)
{
    QFile f(qEnvironmentVariable("GPUWB_FIXTURES") + u"/h200/"_s + name);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read fixture h200/%s", qPrintable(name));
    return f.readAll();
}

QStringList workbenchFields()
{
    return P::queryGpuFields();
}

QStringList sshFields()
{
    return u"index,uuid,name,utilization.gpu,utilization.memory,memory.used,memory.total,"
           "temperature.gpu,power.draw,power.limit,clocks.sm,fan.speed,pstate"_s.split(u',');
}

GpuSnapshot snapshot(const QString &file, const QStringList &fieldsIfNoHeader = {})
{
    const Result<GpuSnapshot> r = P::parseQueryGpu(fixture(file), fieldsIfNoHeader);
    if (!r)
        qFatal("%s: %s", qPrintable(file), qPrintable(r.errorMessage()));
    return *r;
}

GpuSample onlyGpu(const QString &file, const QStringList &fieldsIfNoHeader = {})
{
    const GpuSnapshot s = snapshot(file, fieldsIfNoHeader);
    if (s.gpus.size() != 1)
        qFatal("%s: %d GPUs", qPrintable(file), int(s.gpus.size()));
    return s.gpus.first();
}

QList<P::ComputeApp> apps(const QString &file)
{
    const Result<QList<P::ComputeApp>> r = P::parseComputeApps(fixture(file));
    if (!r)
        qFatal("%s: %s", qPrintable(file), qPrintable(r.errorMessage()));
    return *r;
}

// The text of the first element with this name under <gpu> of `nvidia-smi -q -x`, below
// the element `parent` when one is given.
QString xmlValue(const QByteArray &xml, const QString &parent, const QString &name)
{
    QXmlStreamReader reader(xml);
    bool inParent = parent.isEmpty();
    while (!reader.atEnd()) {
        reader.readNext();
        if (!parent.isEmpty() && reader.name() == parent)
            inParent = reader.isStartElement();
        else if (inParent && reader.isStartElement() && reader.name() == name)
            return reader.readElementText();
    }
    return {};
}

// The identity and limits of the card, the same in every recording.
void checkStatic(const GpuSample &g)
{
    QCOMPARE(g.index, 0);
    QCOMPARE(g.uuid, QString::fromUtf16(kUuid));
    QCOMPARE(g.name, u"NVIDIA H200"_s);
    QVERIFY(g.name.contains(u"H200"_s));
    QCOMPARE(g.memoryTotalBytes.value(), kTotalMiB * kMiB);
    QCOMPARE(g.powerLimitMilliwatts.value(), 700000.0);
    QVERIFY2(!g.fanSpeedPercent, "the H200 has no fan: fan.speed is [N/A]");
}

} // namespace

class TestDeviceFixtures : public QObject
{
    Q_OBJECT
private slots:
    void workbenchIdle();
    void workbenchIdleNoHeaderNoUnits();
    void workbenchLoad();
    void sshFieldsIdleAndLoad();
    void sshFieldsNoHeaderNoUnits();
    void computeAppsIdleIsEmpty();
    void computeAppsUnderLoad();
    void computeAppsDuringKernelTests();
    void otherToolsAgree();
    void nvmlMemoryV2AgreesWithNvidiaSmi();
};

void TestDeviceFixtures::workbenchIdle()
{
    const GpuSnapshot s = snapshot(u"querygpu-workbench-idle.csv"_s);
    QCOMPARE(s.driverVersion, QString::fromUtf16(kDriver));
    QCOMPARE(s.gpus.size(), 1);
    // 2026/11/26 00:22:14.849, local time of the machine, which ran on UTC.
    QVERIFY(s.timestampMs > 0);
    const GpuSample g = s.gpus.first();
    checkStatic(g);
    QCOMPARE(g.utilizationGpuPercent.value(), 0.0);
    QCOMPARE(g.utilizationMemoryPercent.value(), 0.0);
    // memory.used leaves out the 616 MiB the driver reserves (see otherToolsAgree).
    QCOMPARE(g.memoryUsedBytes.value(), qint64(0));
    QCOMPARE(g.temperatureCelsius.value(), 38.0);
    QCOMPARE(g.powerMilliwatts.value(), 81370.0);
    QCOMPARE(g.smClockMhz.value(), 345);
    QCOMPARE(g.memoryClockMhz.value(), 3201);
}

void TestDeviceFixtures::workbenchIdleNoHeaderNoUnits()
{
    // Without a header the columns come from the list asked for, and units from defaults.
    const GpuSnapshot s =
        snapshot(u"querygpu-workbench-idle-noheader-nounits.csv"_s, workbenchFields());
    QCOMPARE(s.driverVersion, QString::fromUtf16(kDriver));
    QVERIFY(s.timestampMs > 0);
    const GpuSample g = s.gpus.first();
    checkStatic(g);
    QCOMPARE(g.memoryUsedBytes.value(), qint64(0));
    QCOMPARE(g.temperatureCelsius.value(), 38.0);
    QCOMPARE(g.powerMilliwatts.value(), 81370.0);
    QCOMPARE(g.smClockMhz.value(), 345);
    QCOMPARE(g.memoryClockMhz.value(), 3201);

    // Without the list the parser must refuse rather than guess the columns.
    const Result<GpuSnapshot> unknown =
        P::parseQueryGpu(fixture(u"querygpu-workbench-idle-noheader-nounits.csv"_s));
    QVERIFY(!unknown);
    QCOMPARE(unknown.error().code, ErrorCode::GpuSmiNoHeader);
}

void TestDeviceFixtures::workbenchLoad()
{
    const GpuSample g = onlyGpu(u"querygpu-workbench-load.csv"_s);
    checkStatic(g);
    QCOMPARE(g.utilizationGpuPercent.value(), 100.0);
    QCOMPARE(g.utilizationMemoryPercent.value(), 21.0);
    QCOMPARE(g.memoryUsedBytes.value(), 4623 * kMiB);
    QCOMPARE(g.temperatureCelsius.value(), 53.0);
    QCOMPARE(g.powerMilliwatts.value(), 490240.0);
    QCOMPARE(g.smClockMhz.value(), 1980);
    QCOMPARE(g.memoryClockMhz.value(), 3201);

    // Loaded draws more than idle, within the limit: W became mW in both.
    const GpuSample idle = onlyGpu(u"querygpu-workbench-idle.csv"_s);
    QVERIFY(g.powerMilliwatts.value() > 5 * idle.powerMilliwatts.value());
    QVERIFY(g.powerMilliwatts.value() < g.powerLimitMilliwatts.value());
}

void TestDeviceFixtures::sshFieldsIdleAndLoad()
{
    // clocks.sm is asked for and comes back as "clocks.current.sm [MHz]"; pstate is ignored.
    const QByteArray header = fixture(u"querygpu-ssh-idle.csv"_s).split('\n').first();
    QVERIFY(header.contains("clocks.current.sm [MHz]"));
    QVERIFY(!header.contains("clocks.sm"));

    const GpuSnapshot idleSnapshot = snapshot(u"querygpu-ssh-idle.csv"_s);
    QVERIFY(idleSnapshot.driverVersion.isEmpty()); // not in this list
    QCOMPARE(idleSnapshot.timestampMs, qint64(0));
    const GpuSample idle = idleSnapshot.gpus.first();
    checkStatic(idle);
    QCOMPARE(idle.utilizationGpuPercent.value(), 0.0);
    QCOMPARE(idle.memoryUsedBytes.value(), qint64(0));
    QCOMPARE(idle.temperatureCelsius.value(), 38.0);
    QCOMPARE(idle.powerMilliwatts.value(), 81380.0);
    QCOMPARE(idle.smClockMhz.value(), 345);
    QVERIFY(!idle.memoryClockMhz);

    const GpuSample load = onlyGpu(u"querygpu-ssh-load.csv"_s);
    checkStatic(load);
    QCOMPARE(load.utilizationGpuPercent.value(), 100.0);
    QCOMPARE(load.utilizationMemoryPercent.value(), 21.0);
    QCOMPARE(load.memoryUsedBytes.value(), 4623 * kMiB);
    QCOMPARE(load.temperatureCelsius.value(), 53.0);
    QCOMPARE(load.powerMilliwatts.value(), 490200.0);
    QCOMPARE(load.smClockMhz.value(), 1980);
}

void TestDeviceFixtures::sshFieldsNoHeaderNoUnits()
{
    const GpuSample idle = onlyGpu(u"querygpu-ssh-idle-noheader-nounits.csv"_s, sshFields());
    checkStatic(idle);
    QCOMPARE(idle.memoryUsedBytes.value(), qint64(0));
    QCOMPARE(idle.powerMilliwatts.value(), 81380.0);
    QCOMPARE(idle.smClockMhz.value(), 345);
    QCOMPARE(idle.temperatureCelsius.value(), 38.0);

    const GpuSample load = onlyGpu(u"querygpu-ssh-load-noheader-nounits.csv"_s, sshFields());
    checkStatic(load);
    QCOMPARE(load.utilizationGpuPercent.value(), 100.0);
    QCOMPARE(load.memoryUsedBytes.value(), 4623 * kMiB);
    QCOMPARE(load.powerMilliwatts.value(), 489740.0);
    QCOMPARE(load.smClockMhz.value(), 1980);
}

void TestDeviceFixtures::computeAppsIdleIsEmpty()
{
    // With no process nvidia-smi prints the header alone, for either field list.
    QCOMPARE(fixture(u"computeapps-idle.csv"_s).trimmed(),
             QByteArray("pid, process_name, used_gpu_memory [MiB]"));
    QVERIFY(apps(u"computeapps-idle.csv"_s).isEmpty());
    QVERIFY(apps(u"computeapps-workbench-idle.csv"_s).isEmpty());
}

void TestDeviceFixtures::computeAppsUnderLoad()
{
    const QList<P::ComputeApp> plain = apps(u"computeapps-load.csv"_s);
    QCOMPARE(plain.size(), 1);
    QCOMPARE(plain.first().process.pid, kLoadPid);
    QVERIFY(plain.first().process.name.endsWith(u"/gpuwb-load"_s));
    // 4096 MiB allocated by the program plus its CUDA context.
    QCOMPARE(plain.first().process.usedMemoryBytes.value(), 4614 * kMiB);
    QVERIFY(plain.first().gpuUuid.isEmpty());

    const QList<P::ComputeApp> workbench = apps(u"computeapps-workbench-load.csv"_s);
    QCOMPARE(workbench.size(), 1);
    QCOMPARE(workbench.first().gpuUuid, QString::fromUtf16(kUuid));
    QCOMPARE(workbench.first().gpuBusId, u"00000000:00:06.0"_s);
    QCOMPARE(workbench.first().process, plain.first().process);

    // The process lands on the GPU of the snapshot taken at the same moment, by uuid.
    GpuSnapshot s = snapshot(u"querygpu-workbench-load.csv"_s);
    P::attachProcesses(&s, workbench);
    QCOMPARE(s.gpus.first().processes.size(), 1);
    QCOMPARE(s.gpus.first().processes.first().pid, kLoadPid);
    // A single GPU also takes rows that do not name one.
    P::attachProcesses(&s, plain);
    QCOMPARE(s.gpus.first().processes.size(), 1);
    // The process's memory is part of memory.used (4614 of 4623 MiB).
    QVERIFY(s.gpus.first().memoryUsedBytes.value()
            >= s.gpus.first().processes.first().usedMemoryBytes.value());
}

void TestDeviceFixtures::computeAppsDuringKernelTests()
{
    const QList<P::ComputeApp> a = apps(u"computeapps-kernelstest.csv"_s);
    QCOMPARE(a.size(), 1);
    QCOMPARE(a.first().process.pid, qint64(1146));
    QVERIFY(a.first().process.name.endsWith(u"/build-kernels/gpuwb-kernels-test"_s));
    QCOMPARE(a.first().process.usedMemoryBytes.value(), 22 * kMiB);
}

void TestDeviceFixtures::otherToolsAgree()
{
    const GpuSample g = onlyGpu(u"querygpu-workbench-idle.csv"_s);

    // nvidia-smi -L: "GPU 0: NVIDIA H200 (UUID: GPU-...)"
    QCOMPARE(QString::fromUtf8(fixture(u"list.txt"_s)).trimmed(),
             u"GPU 0: %1 (UUID: %2)"_s.arg(g.name, g.uuid));
    QVERIFY(fixture(u"version.txt"_s).contains("DRIVER version      : 580.159.04\n"));

    // nvidia-smi -q -x, recorded in the same second as the idle CSV.
    const QByteArray xml = fixture(u"query-x.xml"_s);
    QCOMPARE(xmlValue(xml, {}, u"driver_version"_s), QString::fromUtf16(kDriver));
    QCOMPARE(xmlValue(xml, {}, u"product_name"_s), g.name);
    QCOMPARE(xmlValue(xml, {}, u"uuid"_s), g.uuid);
    QCOMPARE(xmlValue(xml, u"fb_memory_usage"_s, u"total"_s), u"%1 MiB"_s.arg(kTotalMiB));
    QCOMPARE(xmlValue(xml, u"fb_memory_usage"_s, u"used"_s), u"0 MiB"_s);
    QCOMPARE(xmlValue(xml, u"fb_memory_usage"_s, u"reserved"_s), u"616 MiB"_s);
    QCOMPARE(xmlValue(xml, {}, u"fan_speed"_s), u"N/A"_s);
    QCOMPARE(xmlValue(xml, {}, u"current_power_limit"_s), u"700.00 W"_s);

    // NVML itself (gpuwb-nvml-probe and raw calls): power in mW, W in nvidia-smi; the v1
    // memory call counts the reserved 615 MiB as used, nvidia-smi and the v2 call do not.
    const QByteArray semantics = fixture(u"nvml-semantics.txt"_s);
    QVERIFY(semantics.contains("nvmlDeviceGetPowerUsage rc=0 value=81393\n"));
    QVERIFY(semantics.contains("nvmlDeviceGetEnforcedPowerLimit rc=0 value=700000\n"));
    QVERIFY(semantics.contains("nvmlDeviceGetFanSpeed rc=3 value=0\n"));
    QVERIFY(semantics.contains("memory_v1 rc=0 total=150754820096 free=150109880320 "
                               "used=644939776 bytes"));
    QVERIFY(semantics.contains("memory_v2 rc=0 total=150754820096 reserved=644939776 "
                               "free=150109880320 used=0 bytes"));
    QCOMPARE(150754820096LL, kTotalMiB * kMiB);
    const QByteArray probe = fixture(u"nvml-probe.txt"_s);
    QVERIFY(probe.contains("GPU 0: NVIDIA H200  GPU-f7e4e3c0-eb27-e41e-ac44-9bd58c875404\n"));
    QVERIFY(probe.contains("  memory 615.062 MiB / 143771 MiB\n"));
    QVERIFY(probe.contains("  power 81.395 W / 700 W\n"));
    QVERIFY(probe.contains("    pid 1016  4614 MiB\n"));
}

void TestDeviceFixtures::nvmlMemoryV2AgreesWithNvidiaSmi()
{
    // nvml-semantics.txt holds, idle and under load, the raw v1 and v2 memory calls and then
    // nvidia-smi's memory fields "at the same moment". v2 must agree with nvidia-smi (each
    // figure rounded to a MiB there, so within 1 MiB); v1 must not, by the reserved memory.
    const QString text = QString::fromUtf8(fixture(u"nvml-semantics.txt"_s));
    const QStringList sections = text.split(u"### raw NVML ("_s, Qt::SkipEmptyParts);
    static const QRegularExpression v1(
        u"^memory_v1 rc=0 total=(\\d+) free=(\\d+) used=(\\d+) bytes"_s,
        QRegularExpression::MultilineOption);
    static const QRegularExpression v2(
        u"^memory_v2 rc=0 total=(\\d+) reserved=(\\d+) free=(\\d+) used=(\\d+) bytes"_s,
        QRegularExpression::MultilineOption);
    // memory.total, memory.reserved, memory.used, memory.free: the first four columns.
    static const QRegularExpression smi(
        u"^(\\d+) MiB, (\\d+) MiB, (\\d+) MiB, (\\d+) MiB, "_s,
        QRegularExpression::MultilineOption);
    int compared = 0;
    for (const QString &section : sections) {
        const QRegularExpressionMatch m1 = v1.match(section);
        const QRegularExpressionMatch m2 = v2.match(section);
        const QRegularExpressionMatch ms = smi.match(section);
        QVERIFY2(m1.hasMatch() && m2.hasMatch() && ms.hasMatch(), qPrintable(section));
        const qint64 total = m2.captured(1).toLongLong();
        const qint64 reserved = m2.captured(2).toLongLong();
        const qint64 free = m2.captured(3).toLongLong();
        const qint64 used = m2.captured(4).toLongLong();
        QCOMPARE(used + free + reserved, total);
        QCOMPARE(total, ms.captured(1).toLongLong() * kMiB);
        const auto agrees = [](qint64 bytes, const QString &mib) {
            return qAbs(double(bytes) / kMiB - mib.toDouble()) <= 1.0;
        };
        QVERIFY2(agrees(reserved, ms.captured(2)), qPrintable(section));
        QVERIFY2(agrees(used, ms.captured(3)), qPrintable(section));
        QVERIFY2(agrees(free, ms.captured(4)), qPrintable(section));
        // v1: same total and free, used = total - free, the reserved memory counted.
        QCOMPARE(m1.captured(1).toLongLong(), total);
        QCOMPARE(m1.captured(2).toLongLong(), free);
        QCOMPARE(m1.captured(3).toLongLong(), used + reserved);
        QVERIFY(!agrees(m1.captured(3).toLongLong(), ms.captured(3)));
        ++compared;
    }
    QCOMPARE(compared, 2); // idle and load
}

} // namespace gpuwb

QTEST_GUILESS_MAIN(gpuwb::TestDeviceFixtures)
#include "tst_devicefixtures.moc"
