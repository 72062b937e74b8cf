// The nvidia-smi parser on every recorded fixture, with exact values for several, and on
// hostile input; plus the `gpuwb gpus` report built from parsed samples.

#include "core/gpu/gpureport.h"
#include "core/gpu/nvidiasmiparser.h"
#include "telemetry/smifixtures.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QRandomGenerator>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace gpuwb;
namespace P = gpuwb::NvidiaSmiParser;

namespace {

using test::fixture;
using test::fixtureDir;
using test::kMiB;
using test::noHeaderFields;

GpuSample onlyGpu(const QString &file)
{
    const Result<GpuSnapshot> r = P::parseQueryGpu(fixture(file), noHeaderFields(file));
    if (!r)
        qFatal("%s: %s", qPrintable(file), qPrintable(r.errorMessage()));
    if (r->gpus.size() != 1)
        qFatal("%s: %d GPUs", qPrintable(file), int(r->gpus.size()));
    return r->gpus.first();
}

} // namespace

class TestNvidiaSmiParser : public QObject
{
    Q_OBJECT
private slots:
    void everyQueryGpuFixtureParses_data();
    void everyQueryGpuFixtureParses();
    void everyComputeAppsFixtureParses_data();
    void everyComputeAppsFixtureParses();

    void t4Nounits();
    void fourT4s();
    void a100NoHeaderLog();
    void h100Old();
    void h100WithUnits();
    void h100Mig();
    void h200();
    void l40s();
    void rtx2080SuperLinuxAndWindows();
    void rtx2080TiUnknownError();
    void t4BothNullMarkers();
    void p100();
    void unknown2gbNoHeader();

    void computeAppsH100();
    void computeAppsWindowsPathsAndNoMemory();
    void computeAppsVgpuHost();
    void attachProcessesByUuid();

    void errors_data();
    void errors();
    void hostileRows();
    void hostileProcessNames();
    void nonUtf8();
    void crlfAndBlankLines();
    void hugeInput();
    void aliasesAndFields();

    void report();
};

void TestNvidiaSmiParser::everyQueryGpuFixtureParses_data()
{
    QTest::addColumn<QString>("file");
    const QStringList files =
        QDir(fixtureDir()).entryList({u"querygpu-*.csv"_s}, QDir::Files, QDir::Name);
    QVERIFY2(files.size() >= 16, "the nvidia-smi fixtures are missing");
    for (const QString &f : files)
        QTest::newRow(qPrintable(f)) << f;
}

void TestNvidiaSmiParser::everyQueryGpuFixtureParses()
{
    QFETCH(QString, file);
    const Result<QList<GpuSnapshot>> passes =
        P::parseQueryGpuPasses(fixture(file), noHeaderFields(file));
    QVERIFY2(passes.ok(), qPrintable(passes.errorMessage()));
    QVERIFY(!passes->isEmpty());
    for (const GpuSnapshot &pass : *passes) {
        QVERIFY(!pass.gpus.isEmpty());
        for (const GpuSample &gpu : pass.gpus) {
            QVERIFY(!gpu.uuid.isEmpty());
            // Every recording has at least temperature or memory.
            QVERIFY(gpu.temperatureCelsius || gpu.memoryUsedBytes);
        }
    }
}

void TestNvidiaSmiParser::everyComputeAppsFixtureParses_data()
{
    QTest::addColumn<QString>("file");
    const QStringList files =
        QDir(fixtureDir()).entryList({u"computeapps-*.csv"_s}, QDir::Files, QDir::Name);
    QVERIFY(files.size() >= 6);
    for (const QString &f : files)
        QTest::newRow(qPrintable(f)) << f;
}

void TestNvidiaSmiParser::everyComputeAppsFixtureParses()
{
    QFETCH(QString, file);
    const Result<QList<P::ComputeApp>> apps = P::parseComputeApps(fixture(file));
    QVERIFY2(apps.ok(), qPrintable(apps.errorMessage()));
    const int dataLines = int(fixture(file).trimmed().count('\n'));
    QCOMPARE(apps->size(), dataLines);
    for (const P::ComputeApp &app : *apps) {
        QVERIFY(!app.gpuUuid.isEmpty());
        QVERIFY(!app.process.name.isEmpty());
    }
}

void TestNvidiaSmiParser::t4Nounits()
{
    const Result<GpuSnapshot> r = P::parseQueryGpu(fixture(u"querygpu-t4-510.108.03.csv"_s));
    QVERIFY(r.ok());
    QCOMPARE(r->driverVersion, u"510.108.03"_s);
    QCOMPARE(r->timestampMs,
             QDateTime(QDate(2023, 1, 11), QTime(0, 39, 18, 982)).toMSecsSinceEpoch());
    const GpuSample &g = r->gpus.first();
    QCOMPARE(g.index, 0);
    QCOMPARE(g.name, u"Tesla T4"_s);
    QCOMPARE(g.uuid, u"pci:00000001:00:00.0"_s);
    QCOMPARE(g.utilizationGpuPercent.value(), 0.0);
    QCOMPARE(g.utilizationMemoryPercent.value(), 0.0);
    QCOMPARE(g.memoryUsedBytes.value(), 159 * kMiB);
    QCOMPARE(g.memoryTotalBytes.value(), 15360 * kMiB);
    QCOMPARE(g.temperatureCelsius.value(), 36.0);
    QVERIFY(!g.powerMilliwatts);
    QVERIFY(!g.smClockMhz);
    QVERIFY(!g.fanSpeedPercent);
}

void TestNvidiaSmiParser::fourT4s()
{
    const Result<QList<GpuSnapshot>> passes =
        P::parseQueryGpuPasses(fixture(u"querygpu-4xt4-510.108.03.csv"_s));
    QVERIFY(passes.ok());
    QCOMPARE(passes->size(), 1);
    const QList<GpuSample> &gpus = passes->first().gpus;
    QCOMPARE(gpus.size(), 4);
    const QList<double> temps{48, 51, 53, 53};
    const QList<qint64> used{257, 14, 14, 14};
    for (int i = 0; i < 4; ++i) {
        QCOMPARE(gpus[i].index, i);
        QCOMPARE(gpus[i].uuid, u"pci:0000000%1:00:00.0"_s.arg(i + 1));
        QCOMPARE(gpus[i].temperatureCelsius.value(), temps[i]);
        QCOMPARE(gpus[i].memoryUsedBytes.value(), used[i] * kMiB);
        QCOMPARE(gpus[i].memoryTotalBytes.value(), 16384 * kMiB);
    }
}

void TestNvidiaSmiParser::a100NoHeaderLog()
{
    const QString file = u"querygpu-a100-sxm4-40gb-545.23.08.csv"_s;
    const Result<GpuSnapshot> unnamed = P::parseQueryGpu(fixture(file));
    QVERIFY(!unnamed.ok());
    QCOMPARE(unnamed.error().code, ErrorCode::GpuSmiNoHeader);

    // Aliases are fine in the field list.
    QStringList fields = noHeaderFields(file);
    fields[1] = u"gpu_name"_s;
    const Result<QList<GpuSnapshot>> passes = P::parseQueryGpuPasses(fixture(file), fields);
    QVERIFY2(passes.ok(), qPrintable(passes.errorMessage()));
    // A -l log: three passes (the author cut the last one short).
    QCOMPARE(passes->size(), 3);
    QCOMPARE(passes->at(0).gpus.size(), 3);
    QCOMPARE(passes->at(1).gpus.size(), 3);
    QCOMPARE(passes->at(2).gpus.size(), 2);
    QCOMPARE(passes->at(1).timestampMs,
             QDateTime(QDate(2024, 6, 1), QTime(11, 27, 15, 309)).toMSecsSinceEpoch());
    const GpuSample &g = passes->at(1).gpus.at(0);
    QCOMPARE(g.name, u"NVIDIA A100-SXM4-40GB"_s);
    QCOMPARE(g.uuid, u"pci:00000000:8B:00.0"_s);
    QCOMPARE(g.utilizationGpuPercent.value(), 3.0);
    QCOMPARE(g.memoryUsedBytes.value(), 38803 * kMiB);
    QCOMPARE(g.memoryTotalBytes.value(), 40960 * kMiB);
    QCOMPARE(g.temperatureCelsius.value(), 42.0);
    QCOMPARE(passes->at(0).driverVersion, u"545.23.08"_s);
}

void TestNvidiaSmiParser::h100Old()
{
    const GpuSample g = onlyGpu(u"querygpu-h100-535.161.07.csv"_s);
    QCOMPARE(g.name, u"NVIDIA H100 80GB HBM3"_s);
    // power.draw.instant (70.68 W) is preferred over power.draw.average (70.89 W).
    QCOMPARE(g.powerMilliwatts.value(), 70680.0);
    QCOMPARE(g.smClockMhz.value(), 345);
    QCOMPARE(g.memoryClockMhz.value(), 2619);
    QCOMPARE(g.temperatureCelsius.value(), 26.0);
    QCOMPARE(g.memoryTotalBytes.value(), 81559 * kMiB);
    QCOMPARE(g.memoryUsedBytes.value(), 0);
}

void TestNvidiaSmiParser::h100WithUnits()
{
    const Result<GpuSnapshot> r = P::parseQueryGpu(fixture(u"querygpu-h100-590.48.01.csv"_s));
    QVERIFY(r.ok());
    QCOMPARE(r->driverVersion, u"590.48.01"_s);
    const GpuSample &g = r->gpus.first();
    QCOMPARE(g.uuid, u"GPU-00000000-0000-0000-0000-000000000000"_s);
    QCOMPARE(g.index, 0);
    QCOMPARE(g.utilizationGpuPercent.value(), 100.0);
    QCOMPARE(g.utilizationMemoryPercent.value(), 11.0);
    QCOMPARE(g.memoryUsedBytes.value(), 19818 * kMiB);
    QCOMPARE(g.memoryTotalBytes.value(), 81559 * kMiB);
    QCOMPARE(g.temperatureCelsius.value(), 59.0);
    QCOMPARE(g.powerMilliwatts.value(), 631950.0);
    QCOMPARE(g.powerLimitMilliwatts.value(), 700000.0);
    QCOMPARE(g.smClockMhz.value(), 1980);
    QCOMPARE(g.memoryClockMhz.value(), 2619);
    QVERIFY(!g.fanSpeedPercent); // [N/A] on a passive card
}

void TestNvidiaSmiParser::h100Mig()
{
    const GpuSample g = onlyGpu(u"querygpu-h100-mig-590.48.01.csv"_s);
    QVERIFY(!g.utilizationGpuPercent); // MIG: [N/A] at the GPU level
    QVERIFY(!g.utilizationMemoryPercent);
    QCOMPARE(g.memoryUsedBytes.value(), 11125 * kMiB);
    QCOMPARE(g.powerMilliwatts.value(), 433780.0);
    QCOMPARE(g.temperatureCelsius.value(), 53.0);
}

void TestNvidiaSmiParser::h200()
{
    const GpuSample g = onlyGpu(u"querygpu-h200-580.173.02.csv"_s);
    QCOMPARE(g.name, u"NVIDIA H200"_s);
    QCOMPARE(g.memoryTotalBytes.value(), 143771 * kMiB);
    QCOMPARE(g.powerMilliwatts.value(), 85120.0);
    QCOMPARE(g.smClockMhz.value(), 345);
    QCOMPARE(g.memoryClockMhz.value(), 3201);
    QCOMPARE(g.temperatureCelsius.value(), 37.0);
}

void TestNvidiaSmiParser::l40s()
{
    const GpuSample g = onlyGpu(u"querygpu-l40s-595.80.csv"_s);
    QCOMPARE(g.name, u"NVIDIA L40S"_s);
    QCOMPARE(g.utilizationGpuPercent.value(), 9.0);
    QCOMPARE(g.memoryUsedBytes.value(), 1235 * kMiB);
    QCOMPARE(g.memoryTotalBytes.value(), 46068 * kMiB);
    QCOMPARE(g.powerMilliwatts.value(), 110230.0);
    QCOMPARE(g.powerLimitMilliwatts.value(), 350000.0);
    QCOMPARE(g.smClockMhz.value(), 2520);
    QCOMPARE(g.memoryClockMhz.value(), 9001);
}

void TestNvidiaSmiParser::rtx2080SuperLinuxAndWindows()
{
    const GpuSample linux = onlyGpu(u"querygpu-rtx2080super-465.27.csv"_s);
    QCOMPARE(linux.uuid, u"GPU-1937b558-347d-0f30-105b-893b98985668"_s);
    QCOMPARE(linux.fanSpeedPercent.value(), 38);
    QCOMPARE(linux.memoryUsedBytes.value(), 344 * kMiB);
    QCOMPARE(linux.memoryTotalBytes.value(), 7979 * kMiB);
    QCOMPARE(linux.utilizationMemoryPercent.value(), 10.0);
    QCOMPARE(linux.powerMilliwatts.value(), 30370.0);
    QCOMPARE(linux.powerLimitMilliwatts.value(), 250000.0);

    const GpuSample win = onlyGpu(u"querygpu-rtx2080super-win-466.63.csv"_s);
    QCOMPARE(win.memoryTotalBytes.value(), 8192 * kMiB);
    QCOMPARE(win.powerMilliwatts.value(), 31120.0);

    const GpuSample win610 = onlyGpu(u"querygpu-rtx2080super-win-610.62.csv"_s);
    QCOMPARE(win610.utilizationGpuPercent.value(), 7.0);
    QCOMPARE(win610.memoryUsedBytes.value(), 1366 * kMiB);
    QCOMPARE(win610.powerMilliwatts.value(), 97990.0);
    QCOMPARE(win610.smClockMhz.value(), 2040);
    QCOMPARE(win610.temperatureCelsius.value(), 44.0);
}

void TestNvidiaSmiParser::rtx2080TiUnknownError()
{
    const GpuSample g = onlyGpu(u"querygpu-rtx2080ti-win-442.19.csv"_s);
    QCOMPARE(g.name, u"GeForce RTX 2080 Ti"_s);
    QCOMPARE(g.uuid, u"gpu0"_s);
    QCOMPARE(g.utilizationGpuPercent.value(), 100.0);
    QCOMPARE(g.utilizationMemoryPercent.value(), 37.0);
    QCOMPARE(g.powerMilliwatts.value(), 228820.0);
    QCOMPARE(g.powerLimitMilliwatts.value(), 210000.0);
    QCOMPARE(g.fanSpeedPercent.value(), 56);
    QCOMPARE(g.memoryClockMhz.value(), 6800);
    QVERIFY(!g.smClockMhz);
}

void TestNvidiaSmiParser::t4BothNullMarkers()
{
    const GpuSample g = onlyGpu(u"querygpu-t4-550.54.15.csv"_s);
    // power.draw.average is [N/A]; power.draw.instant holds the reading.
    QCOMPARE(g.powerMilliwatts.value(), 9310.0);
    QCOMPARE(g.smClockMhz.value(), 300);
    QCOMPARE(g.temperatureCelsius.value(), 26.0);
}

void TestNvidiaSmiParser::p100()
{
    const GpuSample g = onlyGpu(u"querygpu-p100-unknown.csv"_s);
    QCOMPARE(g.uuid, u"GPU-ef1b2c9b-38d8-2090-2bd1-f567a3eb42a6"_s);
    QVERIFY(!g.fanSpeedPercent);
    QVERIFY(!g.memoryTotalBytes);
    QCOMPARE(g.memoryUsedBytes.value(), 0);
    QCOMPARE(g.powerMilliwatts.value(), 28160.0);
    QCOMPARE(g.smClockMhz.value(), 405);
    QCOMPARE(g.memoryClockMhz.value(), 715);
}

void TestNvidiaSmiParser::unknown2gbNoHeader()
{
    const GpuSample g = onlyGpu(u"querygpu-unknown2gb-na.csv"_s);
    QCOMPARE(g.memoryTotalBytes.value(), 2004 * kMiB);
    QCOMPARE(g.memoryUsedBytes.value(), 0);
    QCOMPARE(g.temperatureCelsius.value(), 44.0);
    QVERIFY(!g.fanSpeedPercent);
    QCOMPARE(g.name, QString());
}

void TestNvidiaSmiParser::computeAppsH100()
{
    const Result<QList<P::ComputeApp>> apps =
        P::parseComputeApps(fixture(u"computeapps-h100-590.48.01.csv"_s));
    QVERIFY(apps.ok());
    QCOMPARE(apps->size(), 3);
    QCOMPARE(apps->at(0).process,
             (GpuProcess{11327, u"/root/tools/memhog"_s, 2566 * kMiB, {}, {}}));
    QCOMPARE(apps->at(2).process, (GpuProcess{11345, u"./gpu_burn"_s, 15690 * kMiB, {}, {}}));
    QCOMPARE(apps->at(0).gpuUuid, u"GPU-00000000-0000-0000-0000-000000000000"_s);
    QCOMPARE(apps->at(0).gpuBusId, u"00000000:00:09.0"_s);

    const Result<QList<P::ComputeApp>> none =
        P::parseComputeApps(fixture(u"computeapps-h100-590.48.01-noprocs.csv"_s));
    QVERIFY(none.ok());
    QVERIFY(none->isEmpty());

    const Result<QList<P::ComputeApp>> mig =
        P::parseComputeApps(fixture(u"computeapps-h100-mig-590.48.01.csv"_s));
    QVERIFY(mig.ok());
    QCOMPARE(mig->at(0).process, (GpuProcess{21180, u"/root/tools/memhog"_s, 2296 * kMiB, {}, {}}));

    const Result<QList<P::ComputeApp>> rtx =
        P::parseComputeApps(fixture(u"computeapps-rtx4080super-595.71.05.csv"_s));
    QVERIFY(rtx.ok());
    QCOMPARE(rtx->at(0).process, (GpuProcess{2165, u"/usr/bin/kwin_wayland"_s, 25 * kMiB, {}, {}}));
}

void TestNvidiaSmiParser::computeAppsWindowsPathsAndNoMemory()
{
    const Result<QList<P::ComputeApp>> apps =
        P::parseComputeApps(fixture(u"computeapps-rtx2080super-win-591.86.csv"_s));
    QVERIFY(apps.ok());
    QCOMPARE(apps->size(), 12);
    for (const P::ComputeApp &a : *apps)
        QVERIFY(!a.process.usedMemoryBytes); // WDDM: [N/A]
    QCOMPARE(apps->at(4).process.pid, 20372);
    QCOMPARE(apps->at(4).process.name, u"C:\\Program Files\\NZXT CAM\\NZXT CAM.exe"_s);
}

void TestNvidiaSmiParser::computeAppsVgpuHost()
{
    const Result<QList<P::ComputeApp>> apps =
        P::parseComputeApps(fixture(u"computeapps-vgpu-host-unknown.csv"_s));
    QVERIFY(apps.ok());
    QCOMPARE(apps->size(), 3);
    QCOMPARE(apps->at(0).gpuUuid, u"GPU-d0180485-9584-433c-6782-c335d5df2cb3"_s);
    QCOMPARE(apps->at(0).process.name, u"vgpu"_s);
    QCOMPARE(apps->at(0).process.pid, 0);
    QVERIFY(!apps->at(0).process.usedMemoryBytes);
}

void TestNvidiaSmiParser::attachProcessesByUuid()
{
    Result<GpuSnapshot> snapshot =
        P::parseQueryGpu(fixture(u"querygpu-h100-590.48.01.csv"_s));
    QVERIFY(snapshot.ok());
    const Result<QList<P::ComputeApp>> apps =
        P::parseComputeApps(fixture(u"computeapps-h100-590.48.01.csv"_s));
    QVERIFY(apps.ok());
    P::attachProcesses(&snapshot.value(), *apps);
    QCOMPARE(snapshot->gpus.first().processes.size(), 3);

    // Without uuids, the bus id finds the GPU.
    Result<GpuSnapshot> t4s = P::parseQueryGpu(fixture(u"querygpu-4xt4-510.108.03.csv"_s));
    QVERIFY(t4s.ok());
    P::ComputeApp app{QString(), u"00000003:00:00.0"_s, GpuProcess{42, u"python3"_s, kMiB, {}, {}}};
    P::attachProcesses(&t4s.value(), {app});
    QCOMPARE(t4s->gpus[2].processes, QList<GpuProcess>{app.process});
    QVERIFY(t4s->gpus[0].processes.isEmpty());
}

void TestNvidiaSmiParser::errors_data()
{
    QTest::addColumn<QByteArray>("output");
    QTest::addColumn<ErrorCode>("code");
    QTest::newRow("empty") << QByteArray() << ErrorCode::GpuSmiEmpty;
    QTest::newRow("blank lines") << QByteArray("\n\r\n  \n") << ErrorCode::GpuSmiEmpty;
    QTest::newRow("invalid field")
        << QByteArray("Field \"memory.bogus\" is not a valid field to query.\n\n")
        << ErrorCode::GpuSmiInvalidField;
    QTest::newRow("driver down")
        << QByteArray("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA "
                      "driver. Make sure that the latest NVIDIA driver is installed and running.\n")
        << ErrorCode::GpuSmiFailed;
    QTest::newRow("no devices") << QByteArray("No devices were found\n") << ErrorCode::GpuNoDevices;
    QTest::newRow("garbage") << QByteArray("\xff\xfe\x00\x01 $(rm -rf /); `id`\n\"quoted\"")
                             << ErrorCode::GpuSmiNoHeader;
    QTest::newRow("header only") << QByteArray("name, memory.used [MiB]\n")
                                 << ErrorCode::GpuSmiNoRows;
    QTest::newRow("only truncated rows")
        << QByteArray("uuid, memory.used [MiB], temperature.gpu\nGPU-1, 5\n")
        << ErrorCode::GpuSmiNoRows;
}

void TestNvidiaSmiParser::errors()
{
    QFETCH(QByteArray, output);
    QFETCH(ErrorCode, code);
    const Result<GpuSnapshot> r = P::parseQueryGpu(output);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, code);
    QVERIFY(!r.error().message.isEmpty());
}

void TestNvidiaSmiParser::hostileRows()
{
    const QByteArray text =
        "name, uuid, memory.used [MiB], temperature.gpu, power.draw [W]\n"
        "Evil, GPU, \"Name\", GPU-1, 5 MiB, 40, 100.5 W\n" // commas in the name
        "Short, GPU-2, 7\n"                                // truncated: skipped
        "$(reboot), GPU-3, 12abc, 1e400, -3 W\n"           // nonsense values: absent
        "`id`, GPU-4, 5 GiB, 40 C, 250 mW\n"
        "Cut, GPU-5, 1";                                   // cut off at the end
    const Result<GpuSnapshot> r = P::parseQueryGpu(text);
    QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
    QCOMPARE(r->gpus.size(), 3);
    QCOMPARE(r->gpus[0].name, u"Evil, GPU, \"Name\""_s);
    QCOMPARE(r->gpus[0].uuid, u"GPU-1"_s);
    QCOMPARE(r->gpus[0].memoryUsedBytes.value(), 5 * kMiB);
    QCOMPARE(r->gpus[0].powerMilliwatts.value(), 100500.0);
    QCOMPARE(r->gpus[1].name, u"$(reboot)"_s);
    QVERIFY(!r->gpus[1].memoryUsedBytes);
    QVERIFY(!r->gpus[1].temperatureCelsius);
    QCOMPARE(r->gpus[1].powerMilliwatts.value(), -3000.0);
    QCOMPARE(r->gpus[2].memoryUsedBytes.value(), 5 * 1024 * kMiB);
    QCOMPARE(r->gpus[2].temperatureCelsius.value(), 40.0);
    QCOMPARE(r->gpus[2].powerMilliwatts.value(), 250.0);

    // Surplus fields and no free-text column: the row cannot be trusted.
    const Result<GpuSnapshot> noName =
        P::parseQueryGpu("uuid, memory.used [MiB]\nGPU-1, 5, 6\nGPU-2, 7\n");
    QVERIFY(noName.ok());
    QCOMPARE(noName->gpus.size(), 1);
    QCOMPARE(noName->gpus[0].uuid, u"GPU-2"_s);

    // Unknown units are not guessed at.
    const Result<GpuSnapshot> units = P::parseQueryGpu("uuid, memory.used [MB]\nGPU-1, 5\n");
    QVERIFY(units.ok());
    QVERIFY(!units->gpus[0].memoryUsedBytes);

    // A process row whose pid is not a number is not a process.
    const Result<QList<P::ComputeApp>> apps = P::parseComputeApps(
        "gpu_uuid, pid, process_name, used_gpu_memory [MiB]\n"
        "GPU-1, abc, x, 1 MiB\nGPU-1, 7, a, b, c, 2 MiB\n");
    QVERIFY(apps.ok());
    QCOMPARE(apps->size(), 1);
    QCOMPARE(apps->at(0).process, (GpuProcess{7, u"a, b, c"_s, 2 * kMiB, {}, {}}));
}

// Issue 10, item 13: a co-tenant chooses its process name. Asked last (as the monitor asks),
// a name with commas, line breaks or nvidia-smi's own error words stays in its own row; the
// rows around it are untouched.
void TestNvidiaSmiParser::hostileProcessNames()
{
    const QStringList fields{u"gpu_uuid"_s, u"pid"_s, u"used_gpu_memory"_s, u"process_name"_s};
    const QByteArray rows = "GPU-1, 100, 10, python3\n"
                            "GPU-1, 101, 20, NVIDIA-SMI has failed because it couldn't communicate "
                            "with the NVIDIA driver\n"
                            "GPU-1, 102, 30, evil\nNo devices were found\n@@end\n"
                            "GPU-1, 103, 40, a, b\n"
                            "GPU-1, 104, 50, train.py\n";
    const Result<QList<P::ComputeApp>> apps = P::parseComputeApps(rows, fields);
    QVERIFY2(apps.ok(), qPrintable(apps.errorMessage()));
    QCOMPARE(apps->size(), 5);
    QCOMPARE(apps->at(0).process.name, u"python3"_s);
    QCOMPARE(apps->at(1).process.pid, 101);
    QVERIFY(apps->at(1).process.name.contains(u"couldn't communicate"_s));
    QCOMPARE(apps->at(2).process.pid, 102);
    QCOMPARE(apps->at(2).process.name, u"evil No devices were found @@end"_s);
    QCOMPARE(apps->at(2).process.usedMemoryBytes.value(), 30 * kMiB);
    QCOMPARE(apps->at(3).process.name, u"a, b"_s);
    QCOMPARE(apps->at(4).process, (GpuProcess{104, u"train.py"_s, 50 * kMiB, {}, {}}));

    // The real failure still reads as one.
    const Result<QList<P::ComputeApp>> failed = P::parseComputeApps(
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n", fields);
    QVERIFY(!failed.ok());
    QCOMPARE(failed.error().code, ErrorCode::GpuSmiFailed);
}

void TestNvidiaSmiParser::nonUtf8()
{
    const QByteArray text = "name, uuid, temperature.gpu\n\xff\xfe\xc3GPU\x80, GPU-9, 33\n";
    const Result<GpuSnapshot> r = P::parseQueryGpu(text);
    QVERIFY(r.ok());
    QCOMPARE(r->gpus.size(), 1);
    QCOMPARE(r->gpus[0].uuid, u"GPU-9"_s);
    QVERIFY(r->gpus[0].name.contains(u"GPU"_s));
    QCOMPARE(r->gpus[0].temperatureCelsius.value(), 33.0);

    const Result<QList<P::ComputeApp>> apps =
        P::parseComputeApps("pid, process_name\n12, caf\xe9\n");
    QVERIFY(apps.ok());
    QCOMPARE(apps->size(), 1);
    QVERIFY(apps->at(0).process.name.startsWith(u"caf"_s));
}

void TestNvidiaSmiParser::crlfAndBlankLines()
{
    const Result<GpuSnapshot> r =
        P::parseQueryGpu("name, utilization.gpu [%]\r\n\r\nX, 5 %\r\nY, [Not Supported]\r\n");
    QVERIFY(r.ok());
    QCOMPARE(r->gpus.size(), 2);
    QCOMPARE(r->gpus[0].utilizationGpuPercent.value(), 5.0);
    QVERIFY(!r->gpus[1].utilizationGpuPercent);
    QCOMPARE(r->gpus[1].index, 1);
}

void TestNvidiaSmiParser::hugeInput()
{
    const QByteArray recording = fixture(u"querygpu-4xt4-510.108.03.csv"_s);
    const qsizetype headerEnd = recording.indexOf('\n') + 1;
    QByteArray text = recording.left(headerEnd);
    const QByteArray rows = recording.mid(headerEnd).trimmed() + '\n';
    for (int i = 0; i < 5000; ++i)
        text += rows;
    const Result<QList<GpuSnapshot>> passes = P::parseQueryGpuPasses(text);
    QVERIFY(passes.ok());
    QCOMPARE(passes->size(), 5000);
    QCOMPARE(passes->last().gpus.size(), 4);

    // One absurdly long line.
    const Result<GpuSnapshot> longLine =
        P::parseQueryGpu("name, uuid\n" + QByteArray(4 * 1024 * 1024, 'x') + ", GPU-1\n");
    QVERIFY(longLine.ok());
    QCOMPARE(longLine->gpus[0].name.size(), 4 * 1024 * 1024);
}

void TestNvidiaSmiParser::aliasesAndFields()
{
    QCOMPARE(P::canonicalField(u"gpu_name"_s), u"name"_s);
    QCOMPARE(P::canonicalField(u"clocks.sm"_s), u"clocks.current.sm"_s);
    QCOMPARE(P::canonicalField(u"used_memory"_s), u"used_gpu_memory"_s);
    QCOMPARE(P::canonicalField(u"memory.used"_s), u"memory.used"_s);
    // Our own query reads back with noheader, given its field list.
    QVERIFY(P::queryGpuFields().contains(u"uuid"_s));
    const Result<GpuSnapshot> r = P::parseQueryGpu(
        "2024/01/02 03:04:05.678, 550.1, 0, GPU-a, Tesla X, 00000000:01:00.0, 50 %, 20 %, 100 MiB,"
        " 200 MiB, 60, 70.5 W, 300.00 W, 1500 MHz, 5000 MHz, 30 %\n",
        P::queryGpuFields());
    QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
    const GpuSample &g = r->gpus.first();
    QCOMPARE(g, (GpuSample{0, u"GPU-a"_s, u"Tesla X"_s, 50.0, 20.0, 100 * kMiB, 200 * kMiB,
                           60.0, 70500.0, 300000.0, 1500, 5000, 30, {}}));
    QCOMPARE(r->driverVersion, u"550.1"_s);
}

void TestNvidiaSmiParser::report()
{
    Result<GpuSnapshot> snapshot = P::parseQueryGpu(fixture(u"querygpu-h100-590.48.01.csv"_s));
    QVERIFY(snapshot.ok());
    const Result<QList<P::ComputeApp>> apps =
        P::parseComputeApps(fixture(u"computeapps-h100-590.48.01.csv"_s));
    QVERIFY(apps.ok());
    P::attachProcesses(&snapshot.value(), *apps);
    const QString text = formatGpuReport(*snapshot, u"NVML, driver 590.48.01"_s);
    QVERIFY2(text.contains(u"GPU source: NVML, driver 590.48.01"_s), qPrintable(text));
    QVERIFY(text.contains(u"Driver: 590.48.01"_s));
    QVERIFY(text.contains(u"GPU 0: NVIDIA H100 80GB HBM3"_s));
    QVERIFY(text.contains(u"100 % (memory 11 %)"_s));
    QVERIFY(text.contains(u"19818 / 81559 MiB"_s));
    QVERIFY(text.contains(u"632.0 W / 700.0 W"_s));
    QVERIFY(text.contains(u"SM 1980 MHz, memory 2619 MHz"_s));
    QVERIFY(text.contains(u"Fan          n/a"_s));
    QVERIFY(text.contains(u"11345"_s));
    QVERIFY(text.contains(u"./gpu_burn"_s));

    const QString none = formatGpuReport(GpuSnapshot{}, u"replay of x.csv"_s);
    QVERIFY(none.contains(u"No NVIDIA GPU found."_s));
}

QTEST_GUILESS_MAIN(TestNvidiaSmiParser)
#include "tst_nvidiasmiparser.moc"
