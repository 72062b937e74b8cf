// The NVML loader and NvmlGpuSource: the clear error where there is no driver (this machine),
// and every path through a fake libnvidia-ml built for the tests (tests/fake-nvml).

#include "core/gpu/nvml/nvmlloader.h"
#include "core/gpu/nvmlgpusource.h"

#include <QFileInfo>
#include <QProcess>
#include <QTest>

#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace gpuwb;

namespace {

constexpr unsigned long long kMiB = 1ULL << 20;

QString fakeLibrary()
{
    return qEnvironmentVariable("GPUWB_BUILD_DIR") + u"/tests/fake-nvml/libnvidia-ml-fake.so"_s;
}

// The same fake built without nvmlDeviceGetMemoryInfo_v2 (a driver before 510).
QString fakeLibraryWithoutMemoryV2()
{
    return qEnvironmentVariable("GPUWB_BUILD_DIR")
        + u"/tests/fake-nvml/libnvidia-ml-fake-nomemv2.so"_s;
}

// tests/fixtures/h200/nvml-semantics.txt, "raw NVML (load)": what the fake's device 3 replays.
constexpr unsigned long long kH200Total = 150754820096ULL;
constexpr unsigned long long kH200Reserved = 644939776ULL;
constexpr unsigned long long kH200Free = 145262510080ULL;
constexpr unsigned long long kH200UsedV2 = 4847370240ULL;
constexpr unsigned long long kH200UsedV1 = 5492310016ULL;
constexpr unsigned long long kH200SmiUsedMiB = 4623; // nvidia-smi's memory.used, same moment

// Sets an environment variable for one scope.
class EnvGuard
{
public:
    EnvGuard(const char *name, const QByteArray &value) : m_name(name) { qputenv(name, value); }
    ~EnvGuard() { qunsetenv(m_name); }

private:
    const char *m_name;
};

} // namespace

class TestNvmlLoader : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void noDriverSaysWhatToDo();
    void missingLibraryFromEnvironment();
    void fakeDriverReadsEverything();
    void fakeDriverInitFails();
    void sourceOverFakeDriver();
    void sourceWithoutGpus();
    void memoryV2LeavesReservedOut();
    void memoryV1WhenTheCallFails();
    void memoryV1WhenTheSymbolIsMissing();
    void sourceReportsNvidiaSmiMemory();
    void sourceFillsProcessGroupAndSession();
    void sourceWithoutDriver();
};

void TestNvmlLoader::initTestCase()
{
    qunsetenv("GPUWB_NVML_LIBRARY");
    QVERIFY2(QFileInfo::exists(fakeLibrary()),
             qPrintable(u"build the gpuwb-fake-nvml target: "_s + fakeLibrary()));
}

void TestNvmlLoader::noDriverSaysWhatToDo()
{
    NvmlLoader nvml;
    if (nvml.open()) {
        // A machine with a driver: the loader must work for real instead.
        QVERIFY(nvml.deviceCount().has_value());
        QVERIFY(!nvml.driverVersion().empty());
        return;
    }
    QVERIFY(!nvml.isOpen());
    const QString error = QString::fromStdString(nvml.error());
    QVERIFY2(error.startsWith(u"NVIDIA driver library libnvidia-ml.so.1 not found: install the "
                              "NVIDIA driver, or add a remote GPU host"_s),
             qPrintable(error));
    QVERIFY(!nvml.deviceCount().has_value());
    QCOMPARE(nvml.readDevice(0).error, std::string("NVML is not open"));
    QVERIFY(nvml.readAll().empty());
}

void TestNvmlLoader::missingLibraryFromEnvironment()
{
    const QByteArray path = "/nonexistent/$(reboot)/libnvidia-ml.so.1";
    EnvGuard env("GPUWB_NVML_LIBRARY", path);
    NvmlLoader nvml;
    QVERIFY(!nvml.open());
    const QString error = QString::fromStdString(nvml.error());
    QVERIFY2(error.startsWith(u"NVIDIA driver library "_s + QString::fromLatin1(path)
                              + u" not found: install the NVIDIA driver, or add a remote GPU "
                                "host"_s),
             qPrintable(error));
    QCOMPARE(nvml.libraryPath(), path.toStdString());
}

void TestNvmlLoader::fakeDriverReadsEverything()
{
    EnvGuard devices("GPUWB_FAKE_NVML_DEVICES", "2");
    NvmlLoader nvml;
    // Found through the environment, as the app would.
    EnvGuard env("GPUWB_NVML_LIBRARY", fakeLibrary().toLocal8Bit());
    QVERIFY2(nvml.open(), nvml.error().c_str());
    QVERIFY(nvml.isOpen());
    QCOMPARE(nvml.libraryPath(), fakeLibrary().toStdString());
    // Every expected value below is recorded nvidia-smi output (tests/fixtures/nvidia-smi/),
    // the source the fake replays; MiB and W converted to NVML's bytes and mW.
    QCOMPARE(nvml.driverVersion(), std::string("590.48.01"));
    QCOMPARE(nvml.nvmlVersion(), std::string()); // not exported: empty, no crash
    QCOMPARE(nvml.deviceCount().value_or(0), 2u);

    // querygpu-h100-590.48.01.csv and computeapps-h100-590.48.01.csv.
    const NvmlDeviceReading d0 = nvml.readDevice(0);
    QVERIFY(d0.error.empty());
    QCOMPARE(d0.name.value(), std::string("NVIDIA H100 80GB HBM3"));
    QCOMPARE(d0.uuid.value(), std::string("GPU-00000000-0000-0000-0000-000000000000"));
    QCOMPARE(d0.utilizationGpuPercent.value(), 100u);
    QCOMPARE(d0.utilizationMemoryPercent.value(), 11u);
    QCOMPARE(d0.memoryUsedBytes.value(), 19818ULL * kMiB);
    QCOMPARE(d0.memoryTotalBytes.value(), 81559ULL * kMiB);
    QCOMPARE(d0.temperatureCelsius.value(), 59u);
    QCOMPARE(d0.powerMilliwatts.value(), 631950u);      // 631.95 W
    QCOMPARE(d0.powerLimitMilliwatts.value(), 700000u); // enforced.power.limit 700.00 W
    QCOMPARE(d0.smClockMhz.value(), 1980u);
    QCOMPARE(d0.memoryClockMhz.value(), 2619u);
    QVERIFY(!d0.fanSpeedPercent); // the fake has no nvmlDeviceGetFanSpeed
    // The fake's first answer is Insufficient Size, so these arrived on the loader's retry.
    QVERIFY(d0.processes.has_value());
    QCOMPARE(d0.processes->size(), size_t(3));
    QCOMPARE(d0.processes->at(0).pid, 11327u);
    QCOMPARE(d0.processes->at(0).usedMemoryBytes.value(), 2566ULL * kMiB);
    QCOMPARE(d0.processes->at(1).pid, 11328u);
    QCOMPARE(d0.processes->at(1).usedMemoryBytes.value(), 1542ULL * kMiB);
    QCOMPARE(d0.processes->at(2).pid, 11345u);
    QCOMPARE(d0.processes->at(2).usedMemoryBytes.value(), 15690ULL * kMiB);

    // querygpu-h100-mig-590.48.01.csv: under MIG the GPU-level utilisation is [N/A], which
    // NVML answers with Not Supported: the metric is absent, the rest still read.
    const NvmlDeviceReading d1 = nvml.readDevice(1);
    QVERIFY(d1.error.empty());
    QVERIFY(!d1.utilizationGpuPercent);
    QVERIFY(!d1.utilizationMemoryPercent);
    QCOMPARE(d1.memoryUsedBytes.value(), 11125ULL * kMiB);
    QCOMPARE(d1.temperatureCelsius.value(), 53u);
    QCOMPARE(d1.powerMilliwatts.value(), 433780u);
    QVERIFY(d1.processes.has_value());
    QCOMPARE(d1.processes->size(), size_t(3));
    QCOMPARE(d1.processes->back().pid, 21198u);
    QCOMPARE(d1.processes->back().usedMemoryBytes.value(), 7484ULL * kMiB);

    // Only two devices asked for: the third recorded one stays hidden.
    QVERIFY(!nvml.readDevice(2).error.empty());

    const NvmlDeviceReading missing = nvml.readDevice(7);
    QVERIFY2(missing.error.find("could not open GPU 7") != std::string::npos,
             missing.error.c_str());
    QVERIFY(!missing.name);

    QCOMPARE(nvml.readAll().size(), size_t(2));
    nvml.close();
    QVERIFY(!nvml.isOpen());
    QVERIFY(!nvml.deviceCount().has_value());
}

void TestNvmlLoader::fakeDriverInitFails()
{
    EnvGuard fail("GPUWB_FAKE_NVML_INIT_FAIL", "1");
    NvmlLoader nvml;
    QVERIFY(!nvml.open(fakeLibrary().toStdString()));
    const QString error = QString::fromStdString(nvml.error());
    QVERIFY2(error.contains(u"could not start: Driver Not Loaded (NVML error 9)"_s),
             qPrintable(error));
    QVERIFY(error.contains(u"add a remote GPU host"_s));
}

void TestNvmlLoader::sourceOverFakeDriver()
{
    EnvGuard devices("GPUWB_FAKE_NVML_DEVICES", "3");
    NvmlGpuSource source(fakeLibrary());
    QCOMPARE(source.description(), u"NVML"_s);
    const Status status = source.open();
    QVERIFY2(status.ok(), qPrintable(status.errorMessage()));
    QCOMPARE(source.description(), u"NVML, driver 590.48.01"_s);
    const Result<GpuSnapshot> s = source.sample();
    QVERIFY(s.ok());
    QVERIFY(s->timestampMs > 0);
    QCOMPARE(s->driverVersion, u"590.48.01"_s);
    QCOMPARE(s->gpus.size(), 3);
    const GpuSample &g = s->gpus.first();
    QCOMPARE(g.index, 0);
    QCOMPARE(g.uuid, u"GPU-00000000-0000-0000-0000-000000000000"_s);
    QCOMPARE(g.name, u"NVIDIA H100 80GB HBM3"_s);
    QCOMPARE(g.utilizationGpuPercent.value(), 100.0);
    QCOMPARE(g.memoryUsedBytes.value(), qint64(19818) * qint64(kMiB));
    QCOMPARE(g.powerMilliwatts.value(), 631950.0);
    QCOMPARE(g.smClockMhz.value(), 1980);
    QVERIFY(!g.fanSpeedPercent);
    QCOMPARE(g.processes.size(), 3);
    QCOMPARE(g.processes.first().pid, 11327);
    QCOMPARE(g.processes.first().usedMemoryBytes.value(), qint64(2566) * qint64(kMiB));
    QVERIFY(!s->gpus[1].utilizationGpuPercent); // MIG: [N/A] in the capture
    QCOMPARE(s->gpus[1].temperatureCelsius.value(), 53.0);

    // querygpu-rtx2080super-win-466.63.csv with computeapps-rtx2080super-win-591.86.csv:
    // on Windows (WDDM) no process's memory is known.
    const GpuSample &win = s->gpus[2];
    QCOMPARE(win.uuid, u"GPU-1937b558-347d-0f30-105b-893b98985668"_s);
    QCOMPARE(win.name, u"NVIDIA GeForce RTX 2080 SUPER"_s);
    QCOMPARE(win.utilizationGpuPercent.value(), 0.0);
    QCOMPARE(win.utilizationMemoryPercent.value(), 10.0);
    QCOMPARE(win.memoryTotalBytes.value(), qint64(8192) * qint64(kMiB));
    QCOMPARE(win.processes.size(), 12);
    QCOMPARE(win.processes.first().pid, 12444);
    QCOMPARE(win.processes.last().pid, 26660);
    for (const GpuProcess &p : win.processes)
        QVERIFY(!p.usedMemoryBytes); // NVML_VALUE_NOT_AVAILABLE

    // A second sample reads the same recording (the process query succeeds first time now).
    const Result<GpuSnapshot> again = source.sample();
    QVERIFY(again.ok());
    QCOMPARE(again->gpus.first().processes.size(), 3);
}

void TestNvmlLoader::sourceWithoutGpus()
{
    EnvGuard devices("GPUWB_FAKE_NVML_DEVICES", "0");
    NvmlGpuSource source(fakeLibrary());
    const Status status = source.open();
    QVERIFY(!status.ok());
    QCOMPARE(status.error().code, ErrorCode::GpuNoDevices);
    QVERIFY(status.error().message.contains(u"reports no GPU"_s));
}

void TestNvmlLoader::sourceWithoutDriver()
{
    NvmlGpuSource source(u"/nonexistent/libnvidia-ml.so.1"_s);
    const Status status = source.open();
    QVERIFY(!status.ok());
    QCOMPARE(status.error().code, ErrorCode::GpuNvmlUnavailable);
    QVERIFY(status.error().message.contains(
        u"install the NVIDIA driver, or add a remote GPU host"_s));
    QVERIFY(!source.sample().ok());
}

void TestNvmlLoader::memoryV2LeavesReservedOut()
{
    EnvGuard devices("GPUWB_FAKE_NVML_DEVICES", "4");
    NvmlLoader nvml;
    QVERIFY2(nvml.open(fakeLibrary().toStdString()), nvml.error().c_str());
    QCOMPARE(nvml.deviceCount().value_or(0), 4u);

    // The H200 as recorded: v2's used is nvidia-smi's memory.used, and the recorded figures
    // add up (the fake checks the caller's version field, so this also checks ours).
    const NvmlDeviceReading h200 = nvml.readDevice(3);
    QVERIFY(h200.error.empty());
    QCOMPARE(h200.name.value(), std::string("NVIDIA H200"));
    QCOMPARE(h200.memoryTotalBytes.value(), kH200Total);
    QCOMPARE(h200.memoryUsedBytes.value(), kH200UsedV2);
    QCOMPARE(h200.memoryReservedBytes.value(), kH200Reserved);
    QCOMPARE(kH200UsedV2 + kH200Free + kH200Reserved, kH200Total);
    QCOMPARE((kH200UsedV2 + kMiB / 2) / kMiB, kH200SmiUsedMiB);
    QCOMPARE(h200.powerMilliwatts.value(), 488972u);
    QCOMPARE(h200.temperatureCelsius.value(), 53u);
    QCOMPARE(h200.processes->size(), size_t(1));
    QCOMPARE(h200.processes->front().pid, 1016u);
    // The process's memory is part of v2's used (4614 of 4622.8 MiB).
    QVERIFY(h200.processes->front().usedMemoryBytes.value() <= *h200.memoryUsedBytes);

    // The H100 recordings: used as nvidia-smi printed it, reserved beside it.
    const NvmlDeviceReading h100 = nvml.readDevice(0);
    QCOMPARE(h100.memoryUsedBytes.value(), 19818ULL * kMiB);
    QCOMPARE(h100.memoryReservedBytes.value(), 478ULL * kMiB); // 479 printed, rounded
    QCOMPARE(*h100.memoryUsedBytes + *h100.memoryReservedBytes + 61263ULL * kMiB,
             *h100.memoryTotalBytes);

    // Driver 466 (the Windows RTX 2080 SUPER) had no v2 call: v1 for that device alone, with
    // no reserved figure, while the others keep v2.
    const NvmlDeviceReading old = nvml.readDevice(2);
    QCOMPARE(old.memoryUsedBytes.value(), 856ULL * kMiB);
    QCOMPARE(old.memoryTotalBytes.value(), 8192ULL * kMiB);
    QVERIFY(!old.memoryReservedBytes);
}

void TestNvmlLoader::memoryV1WhenTheCallFails()
{
    EnvGuard devices("GPUWB_FAKE_NVML_DEVICES", "4");
    EnvGuard v2("GPUWB_FAKE_NVML_MEMORY_V2", "absent"); // Function Not Found
    NvmlLoader nvml;
    QVERIFY2(nvml.open(fakeLibrary().toStdString()), nvml.error().c_str());
    const NvmlDeviceReading h200 = nvml.readDevice(3);
    // v1 as recorded: the 615 MiB the driver reserves count as used.
    QCOMPARE(h200.memoryUsedBytes.value(), kH200UsedV1);
    QCOMPARE(kH200UsedV1, kH200UsedV2 + kH200Reserved);
    QCOMPARE(kH200UsedV1, kH200Total - kH200Free);
    QCOMPARE(h200.memoryTotalBytes.value(), kH200Total);
    QVERIFY(!h200.memoryReservedBytes);
    const NvmlDeviceReading h100 = nvml.readDevice(0);
    QCOMPARE(h100.memoryUsedBytes.value(), (19818ULL + 478ULL) * kMiB);
    QVERIFY(!h100.memoryReservedBytes);
    // Everything else still reads.
    QCOMPARE(h200.powerMilliwatts.value(), 488972u);
}

void TestNvmlLoader::memoryV1WhenTheSymbolIsMissing()
{
    QVERIFY2(QFileInfo::exists(fakeLibraryWithoutMemoryV2()),
             qPrintable(u"build gpuwb-fake-nvml-nomemv2: "_s + fakeLibraryWithoutMemoryV2()));
    EnvGuard devices("GPUWB_FAKE_NVML_DEVICES", "4");
    NvmlLoader nvml;
    QVERIFY2(nvml.open(fakeLibraryWithoutMemoryV2().toStdString()), nvml.error().c_str());
    const NvmlDeviceReading h200 = nvml.readDevice(3);
    QCOMPARE(h200.memoryUsedBytes.value(), kH200UsedV1);
    QCOMPARE(h200.memoryTotalBytes.value(), kH200Total);
    QVERIFY(!h200.memoryReservedBytes);
    QCOMPARE(nvml.readDevice(2).memoryUsedBytes.value(), 856ULL * kMiB);
}

void TestNvmlLoader::sourceReportsNvidiaSmiMemory()
{
    // What the workbench shows for the H200 is nvidia-smi's figure, not v1's 5237 MiB.
    EnvGuard devices("GPUWB_FAKE_NVML_DEVICES", "4");
    NvmlGpuSource source(fakeLibrary());
    QVERIFY(source.open().ok());
    const Result<GpuSnapshot> s = source.sample();
    QVERIFY(s.ok());
    QCOMPARE(s->gpus.size(), 4);
    const GpuSample &h200 = s->gpus[3];
    QCOMPARE(h200.uuid, u"GPU-f7e4e3c0-eb27-e41e-ac44-9bd58c875404"_s);
    QCOMPARE(h200.memoryUsedBytes.value(), qint64(kH200UsedV2));
    QCOMPARE(qRound64(double(*h200.memoryUsedBytes) / double(kMiB)), qint64(kH200SmiUsedMiB));
    QCOMPARE(h200.memoryTotalBytes.value(), qint64(kH200Total));
}

void TestNvmlLoader::sourceFillsProcessGroupAndSession()
{
    // A live process in a session of its own (as the workbench starts jobs), which the fake
    // lists on device 0 after the recorded ones.
    QProcess child;
    child.setProgram(u"/bin/sleep"_s);
    child.setArguments({u"60"_s});
    child.setChildProcessModifier([] { ::setsid(); });
    child.start();
    QVERIFY(child.waitForStarted(30000));
    const qint64 pid = child.processId();
    EnvGuard extra("GPUWB_FAKE_NVML_EXTRA_PID", QByteArray::number(pid));
    EnvGuard devices("GPUWB_FAKE_NVML_DEVICES", "1");

    NvmlGpuSource source(fakeLibrary());
    QVERIFY(source.open().ok());
    const Result<GpuSnapshot> s = source.sample();
    QVERIFY(s.ok());
    const QList<GpuProcess> &processes = s->gpus.first().processes;
    QCOMPARE(processes.size(), 4);
    const GpuProcess &live = processes.last();
    QCOMPARE(live.pid, pid);
    QCOMPARE(live.name, u"sleep"_s);
    QVERIFY(!live.usedMemoryBytes);
    QCOMPARE(live.processGroup.value_or(-1), pid);
    QCOMPARE(live.session.value_or(-1), pid);

    // The recorded pids belong to another machine: here they are absent unless some process
    // of this machine happens to have that pid, in which case it must be that process's.
    for (qsizetype i = 0; i < 3; ++i) {
        const GpuProcess &p = processes[i];
        const pid_t group = ::getpgid(pid_t(p.pid));
        if (group < 0)
            QVERIFY2(!p.processGroup && !p.session, qPrintable(QString::number(p.pid)));
        else
            QCOMPARE(p.processGroup.value_or(-1), qint64(group));
    }

    // Once the process has ended its group and session are unknown, not stale.
    child.kill();
    QVERIFY(child.waitForFinished(30000));
    const Result<GpuSnapshot> after = source.sample();
    QVERIFY(after.ok());
    const GpuProcess &gone = after->gpus.first().processes.last();
    QCOMPARE(gone.pid, pid);
    if (::getpgid(pid_t(pid)) < 0) { // (unless the pid was taken again meanwhile)
        QVERIFY(!gone.processGroup);
        QVERIFY(!gone.session);
    }
}

QTEST_GUILESS_MAIN(TestNvmlLoader)
#include "tst_nvmlloader.moc"
