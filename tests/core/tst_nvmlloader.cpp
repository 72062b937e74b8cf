// The NVML loader and NvmlGpuSource: the clear error where there is no driver (this machine),
// and every path through a fake libnvidia-ml built for the tests (tests/fake-nvml).

#include "core/gpu/nvml/nvmlloader.h"
#include "core/gpu/nvmlgpusource.h"

#include <QFileInfo>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace gpuwb;

namespace {

QString fakeLibrary()
{
    return qEnvironmentVariable("GPUWB_BUILD_DIR") + u"/tests/fake-nvml/libnvidia-ml-fake.so"_s;
}

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
    QCOMPARE(nvml.driverVersion(), std::string("999.12.34"));
    QCOMPARE(nvml.nvmlVersion(), std::string()); // not exported: empty, no crash
    QCOMPARE(nvml.deviceCount().value_or(0), 2u);

    const NvmlDeviceReading d0 = nvml.readDevice(0);
    QVERIFY(d0.error.empty());
    QCOMPARE(d0.name.value(), std::string("Fake GPU 0"));
    QCOMPARE(d0.uuid.value(), std::string("GPU-fake-0000"));
    QCOMPARE(d0.utilizationGpuPercent.value(), 40u);
    QCOMPARE(d0.utilizationMemoryPercent.value(), 10u);
    QCOMPARE(d0.memoryUsedBytes.value(), 1ULL << 30);
    QCOMPARE(d0.memoryTotalBytes.value(), 16ULL << 30);
    QCOMPARE(d0.temperatureCelsius.value(), 55u);
    QCOMPARE(d0.powerMilliwatts.value(), 123456u);
    QCOMPARE(d0.powerLimitMilliwatts.value(), 300000u);
    QCOMPARE(d0.smClockMhz.value(), 1410u);
    QCOMPARE(d0.memoryClockMhz.value(), 1215u);
    QVERIFY(!d0.fanSpeedPercent); // the fake has no nvmlDeviceGetFanSpeed
    // 70 processes: more than the first buffer, so the loader had to ask again.
    QVERIFY(d0.processes.has_value());
    QCOMPARE(d0.processes->size(), size_t(70));
    QCOMPARE(d0.processes->front().pid, 1000u);
    QCOMPARE(d0.processes->front().usedMemoryBytes.value(), 1ULL << 20);
    QCOMPARE(d0.processes->at(68).usedMemoryBytes.value(), 69ULL << 20);
    QVERIFY(!d0.processes->back().usedMemoryBytes); // NVML_VALUE_NOT_AVAILABLE

    const NvmlDeviceReading d1 = nvml.readDevice(1);
    QVERIFY(!d1.temperatureCelsius); // Not Supported on that board
    QCOMPARE(d1.memoryUsedBytes.value(), 2ULL << 30);
    QVERIFY(d1.processes.has_value());
    QVERIFY(d1.processes->empty());

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
    QCOMPARE(source.description(), u"NVML, driver 999.12.34"_s);
    const Result<GpuSnapshot> s = source.sample();
    QVERIFY(s.ok());
    QVERIFY(s->timestampMs > 0);
    QCOMPARE(s->driverVersion, u"999.12.34"_s);
    QCOMPARE(s->gpus.size(), 3);
    const GpuSample &g = s->gpus.first();
    QCOMPARE(g.index, 0);
    QCOMPARE(g.uuid, u"GPU-fake-0000"_s);
    QCOMPARE(g.name, u"Fake GPU 0"_s);
    QCOMPARE(g.utilizationGpuPercent.value(), 40.0);
    QCOMPARE(g.memoryUsedBytes.value(), qint64(1) << 30);
    QCOMPARE(g.powerMilliwatts.value(), 123456.0);
    QCOMPARE(g.smClockMhz.value(), 1410);
    QVERIFY(!g.fanSpeedPercent);
    QCOMPARE(g.processes.size(), 70);
    QCOMPARE(g.processes.first().pid, 1000);
    QVERIFY(!s->gpus[1].temperatureCelsius);
    QCOMPARE(s->gpus[2].uuid, u"GPU-fake-0002"_s);
}

void TestNvmlLoader::sourceWithoutGpus()
{
    EnvGuard devices("GPUWB_FAKE_NVML_DEVICES", "0");
    NvmlGpuSource source(fakeLibrary());
    const Status status = source.open();
    QVERIFY(!status.ok());
    QCOMPARE(status.error().code, u"gpu.no-devices"_s);
    QVERIFY(status.error().message.contains(u"reports no GPU"_s));
}

void TestNvmlLoader::sourceWithoutDriver()
{
    NvmlGpuSource source(u"/nonexistent/libnvidia-ml.so.1"_s);
    const Status status = source.open();
    QVERIFY(!status.ok());
    QCOMPARE(status.error().code, u"gpu.nvml-unavailable"_s);
    QVERIFY(status.error().message.contains(
        u"install the NVIDIA driver, or add a remote GPU host"_s));
    QVERIFY(!source.sample().ok());
}

QTEST_GUILESS_MAIN(TestNvmlLoader)
#include "tst_nvmlloader.moc"
