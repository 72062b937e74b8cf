#include "core/remote/remotejobscript.h"

#include "core/util/shellquote.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>

using namespace Qt::StringLiterals;

namespace gpuwb::RemoteJobScript {

namespace {

QString absoluteOnRemote(const QString &path, const QString &home)
{
    if (path.startsWith(u'/'))
        return QDir::cleanPath(path);
    if (path == u"~"_s)
        return QDir::cleanPath(home);
    const QString rest = path.startsWith(u"~/"_s) ? path.mid(2) : path;
    return QDir::cleanPath(home + u'/' + rest);
}

bool isEnvName(const QString &name)
{
    static const QRegularExpression re(u"^[A-Za-z_][A-Za-z0-9_]*$"_s);
    return re.match(name).hasMatch();
}

} // namespace

QString defaultRemoteFolder(const QString &projectDirectory)
{
    const QString path = QDir::cleanPath(QDir(projectDirectory).absolutePath());
    QString name = QFileInfo(path).fileName();
    if (name.isEmpty())
        name = u"project"_s;
    const QByteArray hash = QCryptographicHash::hash(QFile::encodeName(path),
                                                     QCryptographicHash::Sha256)
                                .toHex()
                                .left(8);
    return u"gpuwb/"_s + name + u'-' + QString::fromLatin1(hash);
}

QString projectFolder(const JobSpec &spec, const QString &remoteHome)
{
    if (spec.projectDirectory.isEmpty())
        return {};
    if (!spec.remoteDirectory.isEmpty())
        return absoluteOnRemote(spec.remoteDirectory, remoteHome);
    return absoluteOnRemote(defaultRemoteFolder(spec.projectDirectory), remoteHome);
}

QString workingFolder(const JobSpec &spec, const QString &remoteHome)
{
    const QString project = projectFolder(spec, remoteHome);
    if (!project.isEmpty()) {
        QString relative = u"."_s;
        if (!spec.workingDirectory.isEmpty()) {
            const QString r = QDir(spec.projectDirectory).relativeFilePath(spec.workingDirectory);
            if (r != u".."_s && !r.startsWith(u"../"_s) && !QDir::isAbsolutePath(r))
                relative = r;
        }
        return QDir::cleanPath(project + u'/' + relative);
    }
    const QString dir = !spec.workingDirectory.isEmpty() ? spec.workingDirectory
                                                         : spec.remoteDirectory;
    return dir.isEmpty() ? QDir::cleanPath(remoteHome) : absoluteOnRemote(dir, remoteHome);
}

Result<QByteArray> wrapperScript(const JobSpec &spec, const QString &jobDir,
                                 const QString &workDir)
{
    QString env;
    const QMap<QString, QString> environment = jobEnvironment(spec);
    for (auto it = environment.cbegin(); it != environment.cend(); ++it) {
        if (!isEnvName(it.key()))
            return Error{ErrorCode::BadEnvironment,
                         u"\"%1\" is not a valid environment variable name; use letters, digits "
                         "and _, not starting with a digit."_s.arg(it.key())};
        env += u"    export "_s + it.key() + u'=' + shellQuote(it.value()) + u'\n';
    }
    // The job's own shell, as on every target: setup, then the command.
    const QString job = jobShellScript(spec);

    QString s;
    s += u"# GPU Workbench job wrapper (written by gpuwb): runs the job and records its end.\n"_s;
    // pid, status and their temporaries are the user's alone; the job itself gets the
    // umask the host gave this shell back.
    s += u"gpuwb_umask=$(umask)\numask 077\n"_s;
    s += u"gpuwb_job="_s + shellQuote(jobDir) + u'\n';
    s += u"cd \"$gpuwb_job\" || exit 1\n"_s;
    // The wrapper was started as a session (or group) leader, so its group is the job's; ps
    // says so where it exists, else $$ is it.
    s += u"gpuwb_pgid=$(ps -o pgid= -p $$ 2>/dev/null | tr -d ' ')\n"_s;
    s += u"case $gpuwb_pgid in ''|*[!0-9]*) gpuwb_pgid=$$ ;; esac\n"_s;
    // The boot the job runs in, so that a liveness check after a reboot is not fooled by a
    // reused process group id; written before `pid`, which the check waits for.
    s += u"cat /proc/sys/kernel/random/boot_id > boot 2>/dev/null\n"_s;
    // The node too: a cluster's login alias may reach another node with the same home, where
    // neither the boot id nor the process group says anything about this job.
    s += u"uname -n > node 2>/dev/null\n"_s;
    s += u"printf '%s\\n' \"$gpuwb_pgid\" > pid.tmp && mv -f pid.tmp pid\n"_s;
    // Caught, not ignored: the job's processes keep the default action of TERM and INT (a
    // caught signal is reset in children), while this shell lives on to write the status.
    s += u"trap ':' TERM INT\n"_s;
    s += u"if cd "_s + shellQuote(workDir) + u" 2>/dev/null; then\n"_s;
    s += u"    umask \"$gpuwb_umask\"\n"_s;
    s += env;
    s += u"    /bin/sh -c "_s + shellQuote(job)
         + u" gpuwb-job </dev/null >>\"$gpuwb_job/log\" 2>&1\n"_s;
    s += u"    gpuwb_rc=$?\n    umask 077\nelse\n"_s;
    s += u"    printf 'gpuwb: the working folder %s does not exist on this host\\n' "_s
         + shellQuote(workDir) + u" >>\"$gpuwb_job/log\"\n"_s;
    s += u"    gpuwb_rc=1\nfi\n"_s;
    // 128+N is how a shell reports death by signal N; a program that exits with such a code
    // itself is reported as that signal too (the shell cannot tell the two apart).
    s += u"if [ \"$gpuwb_rc\" -gt 128 ] && kill -l \"$((gpuwb_rc - 128))\" >/dev/null 2>&1; "
         "then\n    gpuwb_end=\"signal $((gpuwb_rc - 128))\"\nelse\n"
         "    gpuwb_end=\"exit $gpuwb_rc\"\nfi\n"_s;
    s += u"printf '%s\\n' \"$gpuwb_end\" > \"$gpuwb_job/status.tmp\" && "
         "mv -f \"$gpuwb_job/status.tmp\" \"$gpuwb_job/status\"\n"_s;
    return s.toUtf8();
}

QString launchCommand(const QString &jobDir)
{
    // setsid (util-linux) makes the wrapper a session leader; without it, `set -m` gives the
    // background job its own process group in shells with job control (bash, ksh); where
    // neither works the wrapper stays in the exec channel's group, which sshd made for this
    // command alone and which the launching shell leaves at once. nohup (coreutils) ignores
    // SIGHUP; all three standard streams are detached so the channel closes at once.
    const QString run = u"nohup sh run.sh </dev/null >/dev/null 2>&1 &"_s;
    return u"cd "_s + shellQuote(jobDir)
           + u" && if command -v setsid >/dev/null 2>&1; then setsid "_s + run
           + u" else set -m 2>/dev/null; "_s + run + u" fi"_s;
}

QString signalCommand(qint64 pgid, const QString &signalName)
{
    // `kill -SIG -PGID`: dash's kill takes no `--`, and every POSIX shell reads a negative
    // number after the signal as a process group.
    return shellJoin({u"kill"_s, u"-"_s + signalName, u"-"_s + QString::number(pgid)});
}

QString killCommand(qint64 pgid, const QString &jobDir)
{
    const QString group = shellQuote(u"-"_s + QString::number(pgid));
    return u"kill -KILL "_s + group + u" 2>/dev/null; gpuwb_i=0; while kill -0 "_s + group
           + u" 2>/dev/null && [ \"$gpuwb_i\" -lt 50 ]; do sleep 0.1 2>/dev/null || sleep 1; "
             "gpuwb_i=$((gpuwb_i + 1)); done; cd "_s
           + shellQuote(jobDir)
           + u" && { [ -e status ] || { printf 'signal 9\\n' > status.kill && "
             "mv -f status.kill status; }; }"_s;
}

Status parseStatus(const QByteArray &text)
{
    Status status;
    const QList<QByteArray> parts = text.trimmed().split(' ');
    if (parts.size() != 2 || !text.endsWith('\n'))
        return status;
    bool ok = false;
    const int n = parts.at(1).toInt(&ok);
    if (!ok || n < 0)
        return status;
    if (parts.at(0) == "exit") {
        status.valid = true;
        status.exitCode = n;
    } else if (parts.at(0) == "signal" && n > 0) {
        status.valid = true;
        status.signal = n;
    }
    return status;
}

qint64 parsePid(const QByteArray &text)
{
    bool ok = false;
    const qint64 pid = text.trimmed().toLongLong(&ok);
    return ok && pid > 1 ? pid : 0;
}

QRegularExpression globExpression(const QString &glob)
{
    QString g = glob;
    while (g.startsWith(u"./"_s))
        g = g.mid(2);
    QString re;
    if (!g.contains(u'/'))
        re += u"(?:.*/)?"_s;
    for (qsizetype i = 0; i < g.size(); ++i) {
        const QChar c = g.at(i);
        if (c == u'*') {
            if (i + 1 < g.size() && g.at(i + 1) == u'*') {
                const bool slash = i + 2 < g.size() && g.at(i + 2) == u'/';
                re += slash ? u"(?:.*/)?"_s : u".*"_s;
                i += slash ? 2 : 1;
            } else {
                re += u"[^/]*"_s;
            }
        } else if (c == u'?') {
            re += u"[^/]"_s;
        } else if (c == u'[') {
            const qsizetype close = g.indexOf(u']', i + 2);
            if (close < 0) {
                re += u"\\["_s;
                continue;
            }
            QString set = g.mid(i + 1, close - i - 1);
            if (set.startsWith(u'!'))
                set[0] = u'^';
            set.replace(u"\\"_s, u"\\\\"_s);
            re += u'[' + set + u']';
            i = close;
        } else {
            re += QRegularExpression::escape(QString(c));
        }
    }
    return QRegularExpression(QRegularExpression::anchoredPattern(re));
}

} // namespace gpuwb::RemoteJobScript
