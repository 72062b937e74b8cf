// Hosts as they are (issue 10, items 1, 6 and 14): the same remote loop (commands, listing,
// sync, launch, stop, GPU telemetry) against a real sshd whose user logs in with dash, with a
// bash whose ~/.bashrc prints a banner on every command (and sets umask 077), with tcsh and
// with fish.
#include "core/jobs/jobhistory.h"
#include "core/remote/remotejob.h"
#include "core/ssh/remotecommand.h"
#include "core/ssh/remotepath.h"
#include "core/ssh/sftpops.h"
#include "core/ssh/sshconnection.h"
#include "core/ssh/sshconnections.h"
#include "core/sync/projectsync.h"
#include "core/sync/remotetree.h"
#include "core/telemetry/remotegpumonitor.h"
#include "core/util/shellquote.h"
#include "helpers/sshtest.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <optional>

using namespace Qt::StringLiterals;
using namespace gpuwb;
using gpuwb::test::SshdServer;

Q_DECLARE_METATYPE(gpuwb::test::SshdServer::Account)

namespace {

constexpr int WaitMs = 120000; // a loaded 2-core box running two tests at once

bool writeAs(const passwd *pw, const QByteArray &path, const QByteArray &data, mode_t mode)
{
    const int fd = ::open(path.constData(), O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0)
        return false;
    const bool ok = ::write(fd, data.constData(), size_t(data.size())) == data.size();
    ::close(fd);
    return ok && ::chmod(path.constData(), mode) == 0
        && (!pw || ::chown(path.constData(), pw->pw_uid, pw->pw_gid) == 0);
}

bool mkdirAs(const passwd *pw, const QByteArray &path)
{
    return ::mkdir(path.constData(), 0755) == 0
        && ::chown(path.constData(), pw->pw_uid, pw->pw_gid) == 0;
}

quint32 modeOf(const QString &path)
{
    struct stat st;
    if (::lstat(QFile::encodeName(path).constData(), &st) != 0)
        return 0xFFFFFFFF;
    return quint32(st.st_mode & 07777);
}

QString ownUmask()
{
    QFile status(u"/proc/self/status"_s);
    if (!status.open(QIODevice::ReadOnly))
        return {};
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("Umask:"))
            return QString::fromLatin1(line.mid(6).trimmed());
    }
    return {};
}

struct JobWatch
{
    QStringList lines;
    std::optional<JobResult> result;
    void follow(Job *job, QObject *context)
    {
        QObject::connect(job, &Job::output, context, [this](const OutputBatch &batch) {
            for (const OutputLine &line : batch.lines) {
                if (line.stream != OutputStream::System)
                    lines.append(line.text);
            }
        });
        QObject::connect(job, &Job::finished, context,
                         [this](const JobResult &r) { result = r; });
    }
};

} // namespace

class TestHostShells : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<SshdServer> m_server;
    std::unique_ptr<SshConnection> m_connection;
    std::unique_ptr<QTemporaryDir> m_local;
    QString m_scratch;
    QStringList m_jobFolders;
    const passwd *m_user = nullptr;

    bool startAs(SshdServer::Account account, bool standIn = false)
    {
        SshdServer::Options o;
        o.account = account;
        m_server = std::make_unique<SshdServer>(o);
        QString why;
        if (!m_server->start(&why)) {
            qWarning("sshd fixture: %s", qPrintable(why));
            return false;
        }
        if (standIn
            && test::installNvidiaSmiStandIn(*m_server, u"querygpu-h100-590.48.01.csv"_s,
                                             u"help-query-gpu-590.48.01.txt"_s)
                   .isEmpty())
            return false;
        if (!test::useClientHome(*m_server))
            return false;
        m_user = ::getpwnam(m_server->user().toLocal8Bit().constData());
        SshConnection::Options options;
        options.connectTimeoutSeconds = 20;
        m_connection = std::make_unique<SshConnection>(m_server->alias(), options);
        m_scratch = m_server->makeRemoteScratchDir();
        m_local = std::make_unique<QTemporaryDir>();
        return m_user && !m_scratch.isEmpty() && m_local->isValid();
    }

    Result<RemoteCommand> runRemote(const QByteArray &script)
    {
        std::optional<Result<RemoteCommand>> answer;
        QObject context;
        m_connection->call<RemoteCommand>(
            &context,
            [script](SshSessionContext &ctx) { return RemoteCommand::run(ctx.session(), script); },
            [&answer](Result<RemoteCommand> r) { answer = std::move(r); });
        QDeadlineTimer deadline(WaitMs);
        while (!answer && !deadline.hasExpired())
            QTest::qWait(20);
        if (!answer)
            return Error{ErrorCode::Timeout, u"no answer"_s};
        return *answer;
    }

    Status syncNow(const QString &remoteRoot)
    {
        ProjectSync sync(m_connection.get(), m_local->path(),
                         Location::remote(m_server->alias(), remoteRoot), SyncOptions{});
        std::optional<Status> done;
        QObject context;
        connect(&sync, &ProjectSync::finished, &context, [&done](const Status &s) { done = s; });
        sync.run();
        QDeadlineTimer deadline(WaitMs);
        while (!done && !deadline.hasExpired())
            QTest::qWait(20);
        return done ? *done : Status(Error{ErrorCode::Timeout, u"the sync did not finish"_s});
    }

    RemoteJob *makeJob(const JobSpec &spec, JobWatch *watch)
    {
        const QString id = u"sh%1-%2"_s.arg(QCoreApplication::applicationPid())
                               .arg(m_jobFolders.size() + 1);
        m_jobFolders.append(m_server->userHome() + u'/' + RemoteJob::remoteJobDir(id));
        auto *job = new RemoteJob(m_connection.get(), id, spec,
                                  m_local->filePath(id + u".log"_s), this);
        watch->follow(job, this);
        return job;
    }

    static void accounts()
    {
        QTest::addColumn<SshdServer::Account>("account");
        QTest::newRow("sh") << SshdServer::Account::Plain;
        QTest::newRow("bash-banner") << SshdServer::Account::BashBanner;
        QTest::newRow("tcsh") << SshdServer::Account::Tcsh;
        QTest::newRow("fish") << SshdServer::Account::Fish;
    }

private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void cleanup()
    {
        m_connection.reset();
        for (const QString &dir : std::as_const(m_jobFolders))
            QDir(dir).removeRecursively();
        m_jobFolders.clear();
        m_server.reset();
        m_local.reset();
    }

    // Every remote command reaches /bin/sh byte for byte: quotes, `!`, backslashes, newlines,
    // non-UTF-8 bytes, a here-document; whatever the login shell printed comes before it.
    void commandsRunInSh_data() { accounts(); }
    void commandsRunInSh()
    {
        QFETCH(SshdServer::Account, account);
        if (!startAs(account))
            QFAIL("sshd fixture did not start");
        const QByteArray script = "printf 'gpuwb-start\\n'; a='it'\\''s'; printf '%s|%s|%s\\n' "
                                  "\"$a\" \"!x\" 'back\\slash'\n"
                                  "cat <<'EOF'\nline $HOME `id`\nEOF\n"
                                  "printf '%s\\n' 'caf\xe9'; echo \"$0\"; exit 7";
        Result<RemoteCommand> r = runRemote(script);
        QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
        QCOMPARE(r->exitCode, 7);
        const qsizetype at = r->output.indexOf("gpuwb-start\n");
        QVERIFY2(at >= 0, r->output.constData());
        QCOMPARE(r->output.mid(at),
                 QByteArray("gpuwb-start\nit's|!x|back\\slash\nline $HOME `id`\ncaf\xe9\n/bin/sh\n"));
        if (account == SshdServer::Account::BashBanner)
            QVERIFY2(r->output.startsWith("Welcome!"), r->output.constData()); // rc file ran
    }

    // Item 1: the first record of a listing after a banner without a final newline is read
    // right, so the planner never takes the folder for a file (which used to remove it with
    // the results in it).
    void bannerNeverCostsAFolder_data() { accounts(); }
    void bannerNeverCostsAFolder()
    {
        QFETCH(SshdServer::Account, account);
        if (!startAs(account))
            QFAIL("sshd fixture did not start");
        const QByteArray remote = QFile::encodeName(m_scratch + u"/proj"_s);
        QVERIFY(mkdirAs(m_user, remote));
        QVERIFY(mkdirAs(m_user, remote + "/a"));
        QVERIFY(writeAs(m_user, remote + "/a/results.bin", "weeks of work", 0644));
        QVERIFY(writeAs(m_user, remote + "/a/x.py", "old", 0644));
        const QByteArray local = QFile::encodeName(m_local->path());
        QVERIFY(QDir().mkpath(m_local->filePath(u"a"_s)));
        QVERIFY(writeAs(nullptr, local + "/a/x.py", "print('new')\n", 0644));

        // The listing itself: exactly what is there.
        std::optional<Result<RemoteTree>> listed;
        QObject context;
        m_connection->call<RemoteTree>(
            &context,
            [remote](SshSessionContext &ctx) -> Result<RemoteTree> {
                Result<sftp_session_struct *> sftp = ctx.sftp();
                if (!sftp)
                    return sftp.error();
                std::atomic_bool cancel = false;
                return RemoteTree::list(ctx.session(), *sftp, remote, IgnoreRules(), cancel);
            },
            [&listed](Result<RemoteTree> t) { listed = std::move(t); });
        QTRY_VERIFY_WITH_TIMEOUT(listed.has_value(), WaitMs);
        QVERIFY2(listed->ok(), qPrintable(listed->errorMessage()));
        const RemoteTree &tree = listed->value();
        QCOMPARE(tree.items.size(), 3);
        QVERIFY(tree.items.value(u"a"_s).isDirectory);
        QCOMPARE(tree.items.value(u"a/results.bin"_s).size, 13);
        QCOMPARE(tree.items.value(u"a/x.py"_s).kind, RemoteTree::Kind::File);

        const Status synced = syncNow(QFile::decodeName(remote));
        QVERIFY2(synced.ok(), qPrintable(synced.errorMessage()));
        QCOMPARE(test::readOnDisk(remote + "/a/results.bin"), QByteArray("weeks of work"));
        QCOMPARE(test::readOnDisk(remote + "/a/x.py"), QByteArray("print('new')\n"));
    }

    // A job runs with its environment and exit code, its files are private whatever the
    // host's umask (item 6), and Stop ends it: all through the user's login shell.
    void jobRunsAndStops_data() { accounts(); }
    void jobRunsAndStops()
    {
        QFETCH(SshdServer::Account, account);
        if (!startAs(account))
            QFAIL("sshd fixture did not start");
        for (int i = 0; i < 20; ++i) // enough files for the tar stream
            QVERIFY(writeAs(nullptr,
                            QFile::encodeName(m_local->filePath(u"f%1.txt"_s.arg(i))),
                            QByteArray::number(i), 0644));
        JobSpec spec;
        spec.name = u"shells"_s;
        spec.command = u"cat f7.txt; echo \" $TOKEN\"; umask; exit 3"_s;
        spec.environment.insert(u"TOKEN"_s, u"s3cr'et !x"_s);
        spec.projectDirectory = m_local->path();
        spec.workingDirectory = m_local->path();
        spec.remoteDirectory = m_scratch + u"/proj"_s;
        spec.targetId = u"ssh:"_s + m_server->alias();
        JobWatch watch;
        RemoteJob *job = makeJob(spec, &watch);
        job->start();
        QTRY_VERIFY_WITH_TIMEOUT(watch.result.has_value(), WaitMs);
        QCOMPARE(int(watch.result->state), int(JobState::Failed));
        QCOMPARE(watch.result->exitCode, 3);
        QVERIFY2(watch.lines.contains(u"7 s3cr'et !x"_s), qPrintable(watch.lines.join(u'|')));
        // The job itself runs with the host's umask: 077 for the bash account, else sshd's,
        // which is this test's own.
        const QString umask = account == SshdServer::Account::BashBanner ? u"0077"_s
                                                                         : ownUmask();
        QVERIFY2(watch.lines.contains(umask), qPrintable(watch.lines.join(u'|')));
        const QString folder = m_jobFolders.last();
        QCOMPARE(modeOf(folder), 0700u);
        for (const QString &file :
             {u"run.sh"_s, u"log"_s, u"pid"_s, u"status"_s, u"boot"_s, u"node"_s})
            QVERIFY2(modeOf(folder + u'/' + file) == 0600u, qPrintable(file));
        QCOMPARE(modeOf(m_local->filePath(QFileInfo(job->logPath()).fileName())), 0600u);

        // Stop: the whole group goes, the state is Stopped.
        JobSpec sleeper = spec;
        sleeper.command = u"echo started; sleep 300 & sleep 300; echo never"_s;
        JobWatch second;
        RemoteJob *longJob = makeJob(sleeper, &second);
        longJob->start();
        QTRY_VERIFY_WITH_TIMEOUT(second.lines.contains(u"started"_s), WaitMs);
        longJob->stop();
        QTRY_VERIFY_WITH_TIMEOUT(second.result.has_value(), WaitMs);
        QCOMPARE(int(second.result->state), int(JobState::Stopped));
        QVERIFY(!second.lines.contains(u"never"_s));
        QTRY_VERIFY_WITH_TIMEOUT(test::processesBelow(m_server->pid()).filter(u"sleep 300"_s)
                                     .isEmpty(),
                                 20000);
    }

    // A user whose home is missing: sshd lets them in, in "/". That "/" is never taken for
    // the home (it would put the project in /gpuwb/…, and the folder-owner check would
    // compare against root's): the sync and the job stop with one line naming the folder,
    // and nothing is written anywhere.
    void missingHomeIsSaid()
    {
        SshdServer::Options o;
        o.account = SshdServer::Account::NoHome;
        m_server = std::make_unique<SshdServer>(o);
        QString why;
        QVERIFY2(m_server->start(&why), qPrintable(why));
        QVERIFY(test::useClientHome(*m_server));
        SshConnection::Options options;
        options.connectTimeoutSeconds = 20;
        m_connection = std::make_unique<SshConnection>(m_server->alias(), options);
        m_local = std::make_unique<QTemporaryDir>();
        QVERIFY(m_local->isValid());
        QVERIFY(writeAs(nullptr, QFile::encodeName(m_local->filePath(u"main.py"_s)), "x", 0644));
        const QString home = m_server->userHome();

        // What the file browser, the sync and the job ask first: where ~ is.
        std::optional<Result<QString>> asked;
        QObject context;
        m_connection->call<QString>(
            &context,
            [](SshSessionContext &ctx) -> Result<QString> {
                Result<sftp_session_struct *> sftp = ctx.sftp();
                if (!sftp)
                    return sftp.error();
                return SftpOps::homeDirectory(*sftp, u"nohome"_s);
            },
            [&asked](Result<QString> r) { asked = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(asked.has_value(), WaitMs);
        QVERIFY2(!asked->ok(), qPrintable(asked->ok() ? asked->value() : QString()));
        QCOMPARE(asked->error().code, ErrorCode::NoHome);
        QVERIFY2(asked->errorMessage().contains(home), qPrintable(asked->errorMessage()));
        QVERIFY2(asked->errorMessage().contains(u"nothing was sent"_s),
                 qPrintable(asked->errorMessage()));

        JobSpec spec;
        spec.name = u"nohome"_s;
        spec.command = u"echo ran"_s;
        spec.projectDirectory = m_local->path();
        spec.workingDirectory = m_local->path();
        spec.targetId = u"ssh:"_s + m_server->alias(); // the default folder, below ~
        JobWatch watch;
        auto *job = new RemoteJob(m_connection.get(), u"nohome%1"_s.arg(::getpid()), spec,
                                  m_local->filePath(u"nohome.log"_s), this);
        watch.follow(job, this);
        job->start();
        QTRY_VERIFY_WITH_TIMEOUT(watch.result.has_value(), WaitMs);
        QCOMPARE(int(watch.result->state), int(JobState::FailedToStart));
        QVERIFY2(watch.result->message.contains(home), qPrintable(watch.result->message));
        QVERIFY(!watch.lines.contains(u"ran"_s));

        QVERIFY(!QFileInfo::exists(home));
        QVERIFY(!QFileInfo::exists(u"/gpuwb"_s));
        QVERIFY(!QFileInfo::exists(u"/.gpuwb"_s));
    }

    // GPU telemetry's probe, stream and process loop run in sh too.
    void telemetryGoesLive_data() { accounts(); }
    void telemetryGoesLive()
    {
        QFETCH(SshdServer::Account, account);
        RemoteGpuMonitor::clearProbeCache();
        if (!startAs(account, true))
            QFAIL("sshd fixture or the stand-in did not start");
        RemoteGpuMonitor monitor(m_connection.get(), 500);
        QSignalSpy sampled(&monitor, &RemoteGpuMonitor::sampled);
        monitor.start();
        m_connection->connectToHost();
        QTRY_VERIFY_WITH_TIMEOUT(!sampled.isEmpty(), WaitMs);
        QCOMPARE(monitor.status(), GpuHostStatus::Live);
        const auto snapshot = sampled.last().at(0).value<GpuSnapshot>();
        QVERIFY(!snapshot.gpus.isEmpty());
        QVERIFY(monitor.fields().contains(u"count"_s));
        monitor.stop();
    }
};

QTEST_GUILESS_MAIN(TestHostShells)
#include "tst_hostshells.moc"
