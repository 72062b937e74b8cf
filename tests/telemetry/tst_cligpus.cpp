// `gpuwb gpus HOST [--watch] [--interval S]` as a child process against the real loopback sshd
// with tests/helpers/nvidia-smi-standin as the host's nvidia-smi: one report per GPU, watch
// blocks separated by a blank line, Ctrl-C ends with 130 and leaves nothing on the host, a host
// without nvidia-smi gives the calm line and exit 3, bad arguments exit 2.

#include "helpers/sshtest.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace Qt::StringLiterals;
using namespace gpuwb;

namespace {

struct Run
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

} // namespace

class TestCliGpus : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<test::SshdServer> m_server;
    QTemporaryDir m_work;
    QProcessEnvironment m_env;

    bool prepare()
    {
        if (!m_work.isValid())
            return false;
        QFile known(m_server->clientSshDir() + u"/known_hosts"_s);
        if (!known.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return false;
        known.write(m_server->knownHostsLine() + '\n');
        known.close();
        m_env = QProcessEnvironment::systemEnvironment();
        m_env.insert(u"HOME"_s, m_server->clientHome());
        m_env.insert(u"XDG_CONFIG_HOME"_s, m_work.filePath(u"config"_s));
        m_env.insert(u"XDG_DATA_HOME"_s, m_work.filePath(u"data"_s));
        m_env.insert(u"XDG_CACHE_HOME"_s, m_work.filePath(u"cache"_s));
        m_env.insert(u"LC_ALL"_s, u"C.UTF-8"_s);
        m_env.remove(u"SSH_AUTH_SOCK"_s);
        m_env.remove(u"DISPLAY"_s);
        m_env.remove(u"GPUWB_GPU_REPLAY"_s);
        return true;
    }

    QProcess *start(const QStringList &arguments)
    {
        auto *process = new QProcess(this);
        process->setProcessEnvironment(m_env);
        process->setWorkingDirectory(m_work.path());
        process->setStandardInputFile(QProcess::nullDevice());
        process->setUnixProcessParameters(QProcess::UnixProcessFlag::CreateNewSession);
        process->start(qEnvironmentVariable("GPUWB_GPUWB"), QStringList{u"gpus"_s} + arguments);
        return process;
    }

    Run gpuwb(const QStringList &arguments)
    {
        std::unique_ptr<QProcess> process(start(arguments));
        Run run;
        if (!process->waitForFinished(120000)) {
            process->kill();
            process->waitForFinished();
            run.err = "gpuwb did not finish";
            return run;
        }
        run.exitCode = process->exitStatus() == QProcess::NormalExit ? process->exitCode() : -1;
        run.out = process->readAllStandardOutput();
        run.err = process->readAllStandardError();
        return run;
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY2(!qEnvironmentVariableIsEmpty("GPUWB_GPUWB"), "GPUWB_GPUWB names gpuwb");
    }
    void init()
    {
        m_server = std::make_unique<test::SshdServer>();
        GPUWB_START_SSHD(*m_server);
    }
    void cleanup() { m_server.reset(); }

    void oneSamplePerGpu();
    void watchAppendsBlocksUntilCtrlC();
    void noNvidiaSmi();
    void badArguments();
};

void TestCliGpus::oneSamplePerGpu()
{
    QVERIFY(!test::installNvidiaSmiStandIn(*m_server, u"querygpu-4xt4-510.108.03.csv"_s,
                                           u"help-query-gpu-590.48.01.txt"_s)
                 .isEmpty());
    QVERIFY(prepare());
    const Run run = gpuwb({m_server->alias()});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    const QString out = QString::fromUtf8(run.out);
    QVERIFY2(out.contains(u"GPU source: nvidia-smi on %1"_s.arg(m_server->alias())),
             run.out.constData());
    QVERIFY(out.contains(u"Driver: 510.108.03"_s));
    QCOMPARE(out.count(u": Tesla T4\n"_s), 4);
    QVERIFY(out.contains(u"pci:00000004:00:00.0"_s));
    QVERIFY(out.contains(u"257 / 16384 MiB"_s));
}

void TestCliGpus::watchAppendsBlocksUntilCtrlC()
{
    const QString bin = test::installNvidiaSmiStandIn(*m_server, u"querygpu-h100-590.48.01.csv"_s,
                                                      u"help-query-gpu-590.48.01.txt"_s);
    QVERIFY(!bin.isEmpty());
    QVERIFY(prepare());
    std::unique_ptr<QProcess> process(start({m_server->alias(), u"--watch"_s, u"--interval"_s,
                                             u"0.2"_s}));
    QByteArray out;
    QTRY_VERIFY_WITH_TIMEOUT((out += process->readAllStandardOutput()).count("GPU source:") >= 3,
                             60000);
    // Not a terminal: whole reports, a blank line between them.
    QVERIFY(!out.contains("\033["));
    QVERIFY(out.contains("\n\nGPU source: "));
    QVERIFY(out.contains("NVIDIA H100 80GB HBM3"));
    QFile log(bin + u"/standin.log"_s);
    QVERIFY(log.open(QIODevice::ReadOnly));
    QVERIFY(log.readAll().contains("-lms 200"));
    QVERIFY(test::processesBelow(m_server->pid()).size() >= 1);

    ::kill(pid_t(process->processId()), SIGINT);
    QVERIFY(process->waitForFinished(60000));
    QCOMPARE(process->exitStatus(), QProcess::NormalExit);
    QCOMPARE(process->exitCode(), 130);
    QTRY_VERIFY2_WITH_TIMEOUT(test::processesBelow(m_server->pid()).isEmpty(),
                              qPrintable(test::processesBelow(m_server->pid()).join(u'\n')),
                              60000);
}

void TestCliGpus::noNvidiaSmi()
{
    QVERIFY(prepare());
    const Run run = gpuwb({m_server->alias(), u"--watch"_s});
    QCOMPARE(run.exitCode, 69); // EX_UNAVAILABLE
    QCOMPARE(QString::fromUtf8(run.out),
             u"No NVIDIA driver on %1: nvidia-smi was not found. GPU telemetry is off for this "
             "host.\n"_s.arg(m_server->alias()));
}

void TestCliGpus::badArguments()
{
    QVERIFY(prepare());
    QCOMPARE(gpuwb({u"a"_s, u"b"_s}).exitCode, 2);
    QCOMPARE(gpuwb({u"--interval"_s, u"0.01"_s, m_server->alias()}).exitCode, 2);
    QCOMPARE(gpuwb({u"--interval"_s, u"$(id)"_s}).exitCode, 2);
    QCOMPARE(gpuwb({u"--bogus"_s}).exitCode, 2);
    // An alias that does not resolve: one line, exit 69 (EX_UNAVAILABLE; the GPU monitor's
    // status says the connection failed, not why, so not 68 as `gpuwb ls` gives).
    const Run unknown = gpuwb({u"no-such-host.invalid"_s});
    QCOMPARE(unknown.exitCode, 69);
    QVERIFY(unknown.err.startsWith("gpuwb: "));
}

QTEST_GUILESS_MAIN(TestCliGpus)
#include "tst_cligpus.moc"
