// One GUI per user and data folder (issue 10, item 5): a second `gpuwb PROJECT` hands the
// project to the running window and exits instead of opening a second window on the same
// jobs and history. Real processes under Xvfb.
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;

class TestSingleInstance : public QObject
{
    Q_OBJECT
private slots:
    void secondStartRaisesTheFirst()
    {
        const QString gpuwb = qEnvironmentVariable("GPUWB_GPUWB");
        QVERIFY2(!gpuwb.isEmpty(), "GPUWB_GPUWB names the gpuwb executable");
        QTemporaryDir home;
        QVERIFY(QDir(home.path()).mkpath(u"tmp"_s) && QDir(home.path()).mkpath(u"project"_s));
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(u"HOME"_s, home.path());
        env.insert(u"XDG_CONFIG_HOME"_s, home.filePath(u"config"_s));
        env.insert(u"GPUWB_DATA_DIR"_s, home.filePath(u"data"_s));
        env.insert(u"TMPDIR"_s, home.filePath(u"tmp"_s)); // where the local socket lives

        QProcess first;
        first.setProcessEnvironment(env);
        first.start(gpuwb, {});
        QVERIFY(first.waitForStarted());
        // Listening once its socket is there.
        QTRY_VERIFY_WITH_TIMEOUT(
            !QDir(home.filePath(u"tmp"_s)).entryList({u"gpuwb-*"_s}, QDir::System).isEmpty(),
            60000);

        QProcess second;
        second.setProcessEnvironment(env);
        second.start(gpuwb, {home.filePath(u"project"_s)});
        QVERIFY(second.waitForFinished(30000));
        QCOMPARE(second.exitCode(), 0);
        QVERIFY2(second.readAllStandardError().contains("already running"), "no hand-over");
        QByteArray firstErr;
        QTRY_VERIFY_WITH_TIMEOUT(
            (firstErr += first.readAllStandardError()).contains("raised by a second start"),
            30000);
        QVERIFY2(firstErr.contains(QFile::encodeName(home.filePath(u"project"_s))),
                 firstErr.constData());
        QCOMPARE(first.state(), QProcess::Running);

        // Another data folder is another workbench: it starts its own window.
        QProcessEnvironment other = env;
        other.insert(u"GPUWB_DATA_DIR"_s, home.filePath(u"other-data"_s));
        QProcess third;
        third.setProcessEnvironment(other);
        third.start(gpuwb, {});
        QVERIFY(third.waitForStarted());
        QVERIFY(!third.waitForFinished(3000)); // still running: a window of its own
        third.terminate();
        QVERIFY(third.waitForFinished(30000));
        first.terminate();
        QVERIFY(first.waitForFinished(30000));
    }
};

QTEST_GUILESS_MAIN(TestSingleInstance)
#include "tst_singleinstance.moc"
