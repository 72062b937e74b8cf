// The parts of the nvidia-smi parser that the remote monitor uses: which fields a driver offers
// (--help-query-gpu), the fields chosen from them, /proc/PID/stat, and the incremental stream
// of `-lms` output fed in arbitrary chunks.

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

// A recording as the monitor's stream sees it: data rows only, columns named.
struct Body
{
    QStringList fields;
    QByteArray rows;
};

Body noHeaderBody(const QString &file)
{
    Body body;
    const QByteArray data = fixture(file);
    body.fields = noHeaderFields(file);
    if (!body.fields.isEmpty()) {
        body.rows = data;
        return body;
    }
    const qsizetype end = data.indexOf('\n');
    const QList<QByteArray> header = data.left(end).split(',');
    for (QByteArray h : header) {
        h = h.trimmed();
        if (const qsizetype unit = h.indexOf(" ["); unit >= 0)
            h.truncate(unit);
        body.fields.append(QString::fromUtf8(h));
    }
    body.rows = data.mid(end + 1);
    return body;
}

QList<GpuSnapshot> streamAll(const Body &body, const QList<qsizetype> &chunkSizes)
{
    P::QueryGpuStream stream(body.fields);
    QList<GpuSnapshot> out;
    qsizetype at = 0;
    int i = 0;
    while (at < body.rows.size()) {
        const qsizetype n = std::min(chunkSizes.at(i++ % chunkSizes.size()),
                                     body.rows.size() - at);
        out += stream.feed(QByteArrayView(body.rows).sliced(at, n));
        at += n;
    }
    out += stream.finish();
    return out;
}

void compareSnapshots(const QList<GpuSnapshot> &got, const QList<GpuSnapshot> &want)
{
    QCOMPARE(got.size(), want.size());
    for (qsizetype i = 0; i < got.size(); ++i) {
        QCOMPARE(got.at(i).gpus, want.at(i).gpus);
        QCOMPARE(got.at(i).driverVersion, want.at(i).driverVersion);
        QCOMPARE(got.at(i).timestampMs, want.at(i).timestampMs);
    }
}

} // namespace

class TestNvidiaSmiStream : public QObject
{
    Q_OBJECT
private slots:
    void helpQueryGpu();
    void chooseFields();
    void procStat();
    void streamMatchesWholeParse_data();
    void streamMatchesWholeParse();
    void streamEmitsOnCount();
    void streamSplitUtf8();
    void streamHostileLines();
    void streamErrorLines();
};

void TestNvidiaSmiStream::helpQueryGpu()
{
    const QSet<QString> v590 = P::parseHelpQueryGpu(fixture(u"help-query-gpu-590.48.01.txt"_s));
    const QSet<QString> v465 = P::parseHelpQueryGpu(fixture(u"help-query-gpu-465.27.txt"_s));
    // Counts from the fixtures' README (canonical names), aliases on top.
    QVERIFY(v465.size() >= 115);
    QVERIFY(v590.size() >= 212);
    for (const QString &f : {u"timestamp"_s, u"count"_s, u"name"_s, u"gpu_name"_s, u"uuid"_s,
                             u"gpu_uuid"_s, u"clocks.current.sm"_s, u"clocks.sm"_s,
                             u"power.draw"_s, u"fan.speed"_s}) {
        QVERIFY2(v465.contains(f), qPrintable(f));
        QVERIFY2(v590.contains(f), qPrintable(f));
    }
    QVERIFY(v590.contains(u"power.draw.instant"_s));
    QVERIFY(v590.contains(u"gpu.power.draw.instant"_s));
    QVERIFY(!v465.contains(u"power.draw.instant"_s));
    // Prose that quotes values is not a field.
    QVERIFY(!v465.contains(u"Default"_s));
    QVERIFY(!v590.contains(u"Exclusive_Process"_s));
    QVERIFY(P::parseHelpQueryGpu({}).isEmpty());
    QVERIFY(P::parseHelpQueryGpu("\"$(reboot)\"\n\"a\" or \"b; rm\"\n\xff\xfe\n").isEmpty());
}

void TestNvidiaSmiStream::chooseFields()
{
    const QStringList f590 = P::chooseQueryGpuFields(
        P::parseHelpQueryGpu(fixture(u"help-query-gpu-590.48.01.txt"_s)));
    const QStringList f465 = P::chooseQueryGpuFields(
        P::parseHelpQueryGpu(fixture(u"help-query-gpu-465.27.txt"_s)));
    QCOMPARE(f590.mid(0, 2), (QStringList{u"timestamp"_s, u"count"_s}));
    QVERIFY(f590.contains(u"power.draw.instant"_s));
    QVERIFY(!f465.contains(u"power.draw.instant"_s));
    QVERIFY(f465.size() < f590.size());
    for (const QString &f : P::queryGpuFields())
        QVERIFY(f465.contains(f));
    // Only what the driver offers.
    const QStringList few = P::chooseQueryGpuFields({u"uuid"_s, u"memory.used"_s, u"bogus"_s});
    QCOMPARE(few, (QStringList{u"uuid"_s, u"memory.used"_s}));
    QVERIFY(P::chooseQueryGpuFields({u"memory.used"_s}).isEmpty());
}

void TestNvidiaSmiStream::procStat()
{
    const auto s = P::parseProcStat("4242 (python) S 1 4240 4200 0 -1 4194560 100 0 0 0\n");
    QVERIFY(s);
    QCOMPARE(s->pid, 4242);
    QCOMPARE(s->processGroup, 4240);
    QCOMPARE(s->session, 4200);
    // comm with spaces and parentheses: fields count from the last ')'.
    const auto t = P::parseProcStat("77 (a) b (c) ) R 5 78 79 0 -1 0");
    QVERIFY(t);
    QCOMPARE(t->processGroup, 78);
    QCOMPARE(t->session, 79);
    QVERIFY(!P::parseProcStat(""));
    QVERIFY(!P::parseProcStat("garbage"));
    QVERIFY(!P::parseProcStat("12 (x) S 1"));
    QVERIFY(!P::parseProcStat("12 (x) S 1 abc 3"));
    QVERIFY(!P::parseProcStat("-1 (x) S 1 2 3"));
}

void TestNvidiaSmiStream::streamMatchesWholeParse_data()
{
    QTest::addColumn<QString>("file");
    const QStringList files =
        QDir(fixtureDir()).entryList({u"querygpu-*.csv"_s}, QDir::Files, QDir::Name);
    QVERIFY2(files.size() >= 16, "the nvidia-smi fixtures are missing");
    for (const QString &f : files)
        QTest::newRow(qPrintable(f)) << f;
}

void TestNvidiaSmiStream::streamMatchesWholeParse()
{
    QFETCH(QString, file);
    const Body body = noHeaderBody(file);
    const Result<QList<GpuSnapshot>> whole = P::parseQueryGpuPasses(body.rows, body.fields);
    QVERIFY2(whole.ok(), qPrintable(whole.errorMessage()));
    compareSnapshots(streamAll(body, {1}), *whole);
    compareSnapshots(streamAll(body, {body.rows.size()}), *whole);
    QRandomGenerator random(qHash(file));
    for (int round = 0; round < 5; ++round) {
        QList<qsizetype> sizes;
        for (int i = 0; i < 64; ++i)
            sizes.append(1 + random.bounded(200));
        compareSnapshots(streamAll(body, sizes), *whole);
    }
}

void TestNvidiaSmiStream::streamEmitsOnCount()
{
    P::QueryGpuStream stream({u"timestamp"_s, u"count"_s, u"index"_s, u"uuid"_s, u"name"_s,
                              u"utilization.gpu"_s});
    QVERIFY(stream.feed("2025/01/02 03:04:05.678, 2, 0, GPU-a, NVIDIA H100, 10\n").isEmpty());
    // The second row completes the pass at once, without waiting for a repeat.
    const QList<GpuSnapshot> one = stream.feed("2025/01/02 03:04:05.690, 2, 1, GPU-b, "
                                               "NVIDIA H100, 20\n");
    QCOMPARE(one.size(), 1);
    QCOMPARE(one.first().gpus.size(), 2);
    QCOMPARE(one.first().gpus.at(1).uuid, u"GPU-b"_s);
    QCOMPARE(*one.first().gpus.at(1).utilizationGpuPercent, 20.0);
    QCOMPARE(one.first().timestampMs,
             QDateTime::fromString(u"2025/01/02 03:04:05.678"_s, u"yyyy/MM/dd HH:mm:ss.zzz"_s)
                 .toMSecsSinceEpoch());
    // A pass cut short (a GPU fell off the bus) ends when a GPU repeats.
    QVERIFY(stream.feed("2025/01/02 03:04:06.678, 2, 0, GPU-a, NVIDIA H100, [N/A]\n").isEmpty());
    const QList<GpuSnapshot> two =
        stream.feed("2025/01/02 03:04:07.678, 2, 0, GPU-a, NVIDIA H100, [Not Supported]\n");
    QCOMPARE(two.size(), 1);
    QCOMPARE(two.first().gpus.size(), 1);
    QVERIFY(!two.first().gpus.first().utilizationGpuPercent);
    QCOMPARE(stream.finish().size(), 1);
    QVERIFY(stream.takeProblems().isEmpty());
}

void TestNvidiaSmiStream::streamSplitUtf8()
{
    P::QueryGpuStream stream({u"index"_s, u"name"_s, u"temperature.gpu"_s});
    const QByteArray row = QString(u"0, Tésla ⚡ GPU, 41\n"_s).toUtf8();
    QList<GpuSnapshot> out;
    for (qsizetype i = 0; i < row.size(); ++i)
        out += stream.feed(QByteArrayView(row).sliced(i, 1));
    out += stream.finish();
    QCOMPARE(out.size(), 1);
    QCOMPARE(out.first().gpus.first().name, u"Tésla ⚡ GPU"_s);
    QCOMPARE(*out.first().gpus.first().temperatureCelsius, 41.0);
}

void TestNvidiaSmiStream::streamHostileLines()
{
    P::QueryGpuStream stream({u"index"_s, u"uuid"_s, u"name"_s, u"memory.used"_s}, 256);
    QList<GpuSnapshot> out;
    out += stream.feed("0, GPU-a, A, 100\n");
    // An endless line: never buffered past the bound, skipped, reported once.
    const QByteArray junk(100000, 'x');
    for (int i = 0; i < 10; ++i)
        out += stream.feed(junk);
    out += stream.feed("\n");
    out += stream.feed("1, GPU-b, $(rm -rf ~); `id`, 200\n"); // hostile but well formed
    out += stream.feed("1, GPU-c\n");                          // truncated row
    out += stream.feed("\xff\xfe\x00\x01, \x80, \xc3\n");      // not UTF-8
    out += stream.feed("\r\n\n   \n");
    out += stream.feed("0, GPU-a, A, 300\r\n"); // repeat: the first pass is complete
    out += stream.feed("0, GPU-a, A, 400"); // no newline yet
    QCOMPARE(out.size(), 1);
    QCOMPARE(out.first().gpus.size(), 2);
    QCOMPARE(out.first().gpus.at(1).name, u"$(rm -rf ~); `id`"_s);
    QCOMPARE(*out.first().gpus.at(1).memoryUsedBytes, 200 * kMiB);
    const QList<Error> problems = stream.takeProblems();
    QCOMPARE(problems.size(), 3);
    QCOMPARE(problems.at(0).code, ErrorCode::GpuSmiLineTooLong);
    QCOMPARE(problems.at(1).code, ErrorCode::GpuSmiBadRow);
    QVERIFY(!stream.fatalError());
    const QList<GpuSnapshot> last = stream.finish();
    QCOMPARE(last.size(), 2); // the pass with 300, then the unterminated 400
    QCOMPARE(*last.at(1).gpus.first().memoryUsedBytes, 400 * kMiB);
}

void TestNvidiaSmiStream::streamErrorLines()
{
    P::QueryGpuStream stream({u"index"_s, u"uuid"_s, u"fan.speed"_s});
    QVERIFY(stream.feed("Field \"fan.speed\" is not a valid field to query.\n\n").isEmpty());
    QVERIFY(stream.fatalError());
    QCOMPARE(stream.fatalError()->code, ErrorCode::GpuSmiInvalidField);
    P::QueryGpuStream noDriver({u"index"_s});
    noDriver.feed("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver."
                  " Make sure that the latest NVIDIA driver is installed and running.\n");
    QCOMPARE(noDriver.fatalError()->code, ErrorCode::GpuSmiFailed);
    P::QueryGpuStream none({u"index"_s});
    none.feed("No devices were found\n");
    QCOMPARE(none.fatalError()->code, ErrorCode::GpuNoDevices);
    QVERIFY(none.finish().isEmpty());
}

QTEST_GUILESS_MAIN(TestNvidiaSmiStream)
#include "tst_nvidiasmistream.moc"
