// The GPU panel fed by replayed recordings: one card per GPU, charts with points re-sliced by
// the window selector, the process model under QAbstractItemModelTester, the plain "no GPU"
// message, and a screenshot in the build directory for a look.

#include "core/gpu/gpusampler.h"
#include "core/gpu/replaygpusource.h"
#include "ui/charts/gpuchart.h"
#include "ui/gpu/gpucard.h"
#include "ui/gpu/gpupanel.h"
#include "ui/gpu/gpuprocessmodel.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTest>

#include <cmath>

using namespace Qt::StringLiterals;
using namespace gpuwb;

namespace {

constexpr qint64 kT0 = 1'700'000'000'000;
constexpr qint64 kMiB = 1024 * 1024;

QString fixture(const QString &name)
{
    return qEnvironmentVariable("GPUWB_FIXTURES") + u"/nvidia-smi/"_s + name;
}

// `count` snapshots of a recording, one second apart.
QList<GpuSnapshot> replay(const QString &queryGpu, int count, const QString &computeApps = {})
{
    ReplayGpuSource source(fixture(queryGpu), computeApps.isEmpty() ? QString()
                                                                      : fixture(computeApps));
    const Status status = source.open();
    if (!status)
        qFatal("%s", qPrintable(status.errorMessage()));
    QList<GpuSnapshot> snapshots;
    for (int i = 0; i < count; ++i) {
        GpuSnapshot s = source.sample().value();
        s.timestampMs = kT0 + i * 1000;
        snapshots.append(s);
    }
    return snapshots;
}

void feed(GpuPanel &panel, const QList<GpuSnapshot> &snapshots)
{
    for (const GpuSnapshot &s : snapshots)
        panel.onSampled(s);
}

} // namespace

class TestGpuPanel : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void oneCardPerGpu();
    void windowChangeReslices();
    void processesOfTheGpu();
    void processModel();
    void noGpuMessage();
    void failureAfterSamplesKeepsCards();
    void gpuSetChanges();
    void wiredToARealSampler();
    void oneRepaintPerTick();
    void screenshot();
};

void TestGpuPanel::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
}

void TestGpuPanel::oneCardPerGpu()
{
    GpuPanel panel;
    QVERIFY(panel.cards().isEmpty());
    QVERIFY(!panel.isShowingNoGpu());
    feed(panel, replay(u"querygpu-4xt4-510.108.03.csv"_s, 30));
    QCOMPARE(panel.cards().size(), 4);
    QVERIFY(panel.messageText().isEmpty());
    for (int i = 0; i < 4; ++i) {
        GpuCard *card = panel.cards().at(i);
        QCOMPARE(card->uuid(), u"pci:0000000%1:00:00.0"_s.arg(i + 1));
        QCOMPARE(card->heading(), u"GPU %1 · Tesla T4"_s.arg(i));
        GpuChart *util = card->chart(GpuMetric::UtilizationGpuPercent);
        QCOMPARE(util->points().size(), 30);
        QCOMPARE(util->points().last(), QPointF(0, 0));
        QCOMPARE(util->points().first(), QPointF(-29, 0));
        QCOMPARE(util->yMin(), 0.0);
        QCOMPARE(util->yMax(), 100.0);
        QCOMPARE(util->titleText(), u"Utilisation · 0 %"_s);
        GpuChart *memory = card->chart(GpuMetric::MemoryUsedMiB);
        QCOMPARE(memory->yMax(), 16384.0);
        QCOMPARE(card->chart(GpuMetric::TemperatureCelsius)->points().size(), 30);
        // The T4 recording has no power or clock columns: empty charts say so.
        QVERIFY(card->chart(GpuMetric::PowerWatts)->points().isEmpty());
        QCOMPARE(card->chart(GpuMetric::PowerWatts)->titleText(), u"Power · n/a"_s);
    }
    QCOMPARE(panel.cards()[0]->chart(GpuMetric::MemoryUsedMiB)->titleText(),
             u"Memory · 257 / 16384 MiB"_s);
    QCOMPARE(panel.cards()[2]->chart(GpuMetric::TemperatureCelsius)->titleText(),
             u"Temperature · 53 °C"_s);
}

void TestGpuPanel::windowChangeReslices()
{
    GpuPanel panel;
    QCOMPARE(panel.windowMinutes(), 5);
    feed(panel, replay(u"querygpu-h100-590.48.01.csv"_s, 20 * 60));
    GpuChart *util = panel.cards().first()->chart(GpuMetric::UtilizationGpuPercent);
    QCOMPARE(util->points().size(), 5 * 60 + 1);
    QCOMPARE(util->windowSeconds(), 300.0);

    auto *selector = panel.findChild<QComboBox *>(u"windowSelector"_s);
    QVERIFY(selector);
    QCOMPARE(selector->count(), 3);
    selector->setCurrentIndex(selector->findData(1));
    QCOMPARE(panel.windowMinutes(), 1);
    QCOMPARE(util->points().size(), 61);
    QCOMPARE(util->points().first().x(), -60.0);
    QCOMPARE(util->windowSeconds(), 60.0);

    panel.setWindowMinutes(15);
    QCOMPARE(selector->currentData().toInt(), 15);
    QCOMPARE(util->points().size(), 15 * 60 + 1);
    for (GpuChart *chart : panel.cards().first()->charts())
        QCOMPARE(chart->windowSeconds(), 900.0);

    panel.setWindowMinutes(7); // not offered: ignored
    QCOMPARE(panel.windowMinutes(), 15);
}

void TestGpuPanel::processesOfTheGpu()
{
    GpuPanel panel;
    feed(panel, replay(u"querygpu-h100-590.48.01.csv"_s, 3, u"computeapps-h100-590.48.01.csv"_s));
    QCOMPARE(panel.cards().size(), 1);
    GpuCard *card = panel.cards().first();
    GpuProcessModel *model = card->processModel();
    QAbstractItemModelTester tester(model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model->rowCount(), 3);
    QCOMPARE(model->index(2, GpuProcessModel::PidColumn).data().toString(), u"11345"_s);
    QCOMPARE(model->index(2, GpuProcessModel::NameColumn).data().toString(), u"./gpu_burn"_s);
    QCOMPARE(model->index(2, GpuProcessModel::MemoryColumn).data().toString(), u"15690 MiB"_s);
    auto *view = card->findChild<QTableView *>(u"processView"_s);
    QVERIFY(view);
    QCOMPARE(view->model()->rowCount(), 3);
    // Sorted by memory, largest first.
    QCOMPARE(view->model()->index(0, GpuProcessModel::PidColumn).data().toString(), u"11345"_s);
    GpuChart *power = card->chart(GpuMetric::PowerWatts);
    QCOMPARE(power->titleText(), u"Power · 632.0 W"_s);
    QVERIFY(power->yMax() >= 700.0);
    QCOMPARE(card->chart(GpuMetric::SmClockMhz)->titleText(), u"SM clock · 1980 MHz"_s);
}

void TestGpuPanel::processModel()
{
    GpuProcessModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.rowCount(), 0);
    QCOMPARE(model.columnCount(), 3);
    QCOMPARE(model.headerData(GpuProcessModel::MemoryColumn, Qt::Horizontal).toString(),
             u"GPU memory"_s);

    const QList<GpuProcess> first{
        {10, u"python3"_s, 100 * kMiB},
        {11, u"$(rm -rf ~) \"quoted\"\nnext line"_s, std::nullopt},
        {12, QString::fromUtf8("caf\xc3\xa9 \xff\xfe"), 0},
    };
    model.setProcesses(first);
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.index(1, GpuProcessModel::NameColumn).data().toString(), first[1].name);
    QCOMPARE(model.index(1, GpuProcessModel::MemoryColumn).data().toString(), u"n/a"_s);
    QCOMPARE(model.index(1, GpuProcessModel::MemoryColumn).data(GpuProcessModel::SortRole)
                 .toLongLong(),
             -1);
    QCOMPARE(model.index(0, GpuProcessModel::PidColumn).data(GpuProcessModel::SortRole)
                 .toLongLong(),
             10);

    // Same processes, new memory: cells change, no reset.
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    QList<GpuProcess> second = first;
    second[0].usedMemoryBytes = 200 * kMiB;
    model.setProcesses(second);
    QCOMPARE(reset.size(), 0);
    QCOMPARE(changed.size(), 1);
    QCOMPARE(model.index(0, GpuProcessModel::MemoryColumn).data().toString(), u"200 MiB"_s);
    model.setProcesses(second); // nothing new: no signal
    QCOMPARE(changed.size(), 1);

    // Different processes: reset.
    model.setProcesses({{99, QString(), 1 * kMiB}});
    QCOMPARE(reset.size(), 1);
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.index(0, GpuProcessModel::NameColumn).data().toString(), u"?"_s);
    model.setProcesses({});
    QCOMPARE(model.rowCount(), 0);
    QVERIFY(!model.index(5, 0).isValid());
}

void TestGpuPanel::noGpuMessage()
{
    GpuPanel panel;
    panel.resize(800, 600);
    panel.show();
    const QString detail = u"NVIDIA driver library libnvidia-ml.so.1 not found: install the "
                           "NVIDIA driver, or add a remote GPU host"_s;
    panel.onSourceFailed(Error{u"gpu.nvml-unavailable"_s, detail});
    QVERIFY(panel.isShowingNoGpu());
    QVERIFY(panel.cards().isEmpty());
    const QString text = panel.messageText();
    QVERIFY(text.startsWith(u"No NVIDIA GPU on this machine. Add a remote GPU host to run jobs and "
                            "see its GPUs."_s));
    QVERIFY(text.contains(detail));
    auto *label = panel.findChild<QLabel *>(u"gpuMessage"_s);
    QVERIFY(label);
    QVERIFY(label->isVisible());

    // A GPU appearing later (a replay, a driver loaded) replaces the message.
    feed(panel, replay(u"querygpu-l40s-595.80.csv"_s, 2));
    QVERIFY(!panel.isShowingNoGpu());
    QCOMPARE(panel.cards().size(), 1);

    // A host that answers with no GPUs at all.
    GpuPanel empty;
    empty.onSampled(GpuSnapshot{kT0, u"550.1"_s, {}});
    QVERIFY(empty.isShowingNoGpu());
}

void TestGpuPanel::failureAfterSamplesKeepsCards()
{
    GpuPanel panel;
    feed(panel, replay(u"querygpu-4xt4-510.108.03.csv"_s, 5));
    panel.onSourceFailed(Error{u"gpu.nvml-failed"_s, u"GPU is lost"_s});
    QCOMPARE(panel.cards().size(), 4);
    QVERIFY(!panel.isShowingNoGpu());
    QVERIFY(panel.statusText().contains(u"GPU is lost"_s));
    feed(panel, replay(u"querygpu-4xt4-510.108.03.csv"_s, 1));
    QVERIFY(panel.statusText().isEmpty());
}

void TestGpuPanel::gpuSetChanges()
{
    GpuPanel panel;
    feed(panel, replay(u"querygpu-4xt4-510.108.03.csv"_s, 3));
    QCOMPARE(panel.cards().size(), 4);
    const QList<GpuSnapshot> h100 = replay(u"querygpu-h100-590.48.01.csv"_s, 3);
    for (GpuSnapshot s : h100) {
        s.timestampMs += 10'000;
        panel.onSampled(s);
    }
    QCOMPARE(panel.cards().size(), 1);
    QCOMPARE(panel.cards().first()->uuid(), u"GPU-00000000-0000-0000-0000-000000000000"_s);
    QCOMPARE(panel.findChildren<GpuCard *>().size(), 1);
}

void TestGpuPanel::wiredToARealSampler()
{
    GpuPanel panel;
    GpuSampler sampler(
        std::make_unique<ReplayGpuSource>(fixture(u"querygpu-4xt4-510.108.03.csv"_s)), 20);
    connect(&sampler, &GpuSampler::opened, &panel, &GpuPanel::onOpened);
    connect(&sampler, &GpuSampler::sampled, &panel, &GpuPanel::onSampled);
    connect(&sampler, &GpuSampler::failed, &panel, &GpuPanel::onSourceFailed);
    sampler.start();
    QTRY_COMPARE_WITH_TIMEOUT(panel.cards().size(), 4, 30000);
    QTRY_VERIFY_WITH_TIMEOUT(
        panel.cards().first()->chart(GpuMetric::UtilizationGpuPercent)->points().size() >= 2,
        30000);

    GpuPanel failing;
    GpuSampler broken(std::make_unique<ReplayGpuSource>(u"/nonexistent.csv"_s), 20);
    connect(&broken, &GpuSampler::failed, &failing, &GpuPanel::onSourceFailed);
    broken.start();
    QTRY_VERIFY_WITH_TIMEOUT(failing.isShowingNoGpu(), 30000);
    QVERIFY(failing.messageText().contains(u"/nonexistent.csv"_s));
}

namespace {

// Counts paint events of the widgets it watches.
class PaintCounter : public QObject
{
public:
    int paints = 0;
    QString name;
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (event->type() == QEvent::Paint)
            ++paints;
        return QObject::eventFilter(watched, event);
    }
};

} // namespace

void TestGpuPanel::oneRepaintPerTick()
{
    GpuPanel panel;
    panel.resize(1100, 560);
    const QList<GpuSnapshot> snapshots = replay(u"querygpu-h100-590.48.01.csv"_s, 10);
    panel.onSampled(snapshots.first());
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    for (int i = 0; i < 5; ++i) // let the first show settle
        QCoreApplication::processEvents();
    QList<PaintCounter *> counters;
    for (GpuChart *chart : panel.cards().first()->charts()) {
        for (QWidget *viewport : chart->findChildren<QWidget *>()) {
            auto *counter = new PaintCounter;
            counter->name = QString::fromLatin1(viewport->metaObject()->className()) + u'/'
                + viewport->objectName() + u'/' + chart->objectName();
            counter->setParent(&panel);
            viewport->installEventFilter(counter);
            counters.append(counter);
        }
    }
    for (int tick = 1; tick <= 3; ++tick) {
        panel.onSampled(snapshots.at(tick));
        for (int i = 0; i < 5; ++i)
            QCoreApplication::processEvents();
        for (PaintCounter *counter : std::as_const(counters)) {
            QVERIFY2(counter->paints <= tick,
                     qPrintable(QString::number(counter->paints) + u" "_s + counter->name));
        }
    }
    // And the charts did repaint (the check above is not vacuous).
    QTRY_VERIFY(std::any_of(counters.cbegin(), counters.cend(),
                            [](const PaintCounter *c) { return c->paints > 0; }));
}

void TestGpuPanel::screenshot()
{
    const QString dir = qEnvironmentVariable("GPUWB_BUILD_DIR", QDir::tempPath());
    for (const bool dark : {false, true}) {
        GpuPanel panel;
        if (dark) {
            QPalette p;
            p.setColor(QPalette::Window, QColor(0x20, 0x22, 0x25));
            p.setColor(QPalette::Base, QColor(0x18, 0x1a, 0x1c));
            p.setColor(QPalette::Text, QColor(0xe8, 0xe8, 0xe8));
            p.setColor(QPalette::WindowText, QColor(0xe8, 0xe8, 0xe8));
            p.setColor(QPalette::ButtonText, QColor(0xe8, 0xe8, 0xe8));
            p.setColor(QPalette::Button, QColor(0x30, 0x32, 0x35));
            p.setColor(QPalette::Mid, QColor(0x50, 0x50, 0x50));
            p.setColor(QPalette::Highlight, QColor(0x3d, 0xae, 0xe9));
            p.setColor(QPalette::PlaceholderText, QColor(0xa0, 0xa0, 0xa0));
            panel.setPalette(p);
            panel.setAutoFillBackground(true);
        }
        panel.resize(1100, 560);
        panel.onOpened(u"replay of querygpu-h100-590.48.01.csv"_s);
        // Vary the recording so the lines have a shape.
        QList<GpuSnapshot> snapshots = replay(u"querygpu-h100-590.48.01.csv"_s, 240,
                                              u"computeapps-h100-590.48.01.csv"_s);
        for (int i = 0; i < snapshots.size(); ++i) {
            GpuSample &g = snapshots[i].gpus.first();
            const double wave = 0.5 + 0.5 * std::sin(i / 15.0);
            g.utilizationGpuPercent = std::round(20 + 80 * wave);
            g.memoryUsedBytes = qint64((20000 + 30000 * wave)) * kMiB;
            g.temperatureCelsius = std::round(40 + 25 * wave);
            g.powerMilliwatts = 150000 + 480000 * wave;
            g.smClockMhz = int(1200 + 780 * wave);
            panel.onSampled(snapshots[i]);
        }
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        const QString path =
            dir + (dark ? u"/gpupanel-dark.png"_s : u"/gpupanel.png"_s);
        QVERIFY(panel.grab().save(path));
        qInfo("screenshot: %s", qPrintable(path));
    }
    GpuPanel none;
    none.resize(700, 300);
    none.onSourceFailed(Error{u"gpu.nvml-unavailable"_s,
                              u"NVIDIA driver library libnvidia-ml.so.1 not found: install the "
                              "NVIDIA driver, or add a remote GPU host"_s});
    none.show();
    QVERIFY(QTest::qWaitForWindowExposed(&none));
    QVERIFY(none.grab().save(dir + u"/gpupanel-nogpu.png"_s));
}

QTEST_MAIN(TestGpuPanel)
#include "tst_gpupanel.moc"
