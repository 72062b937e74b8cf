#include "core/remote/remotejobreader.h"

#include "core/ssh/remotecommand.h"
#include "core/ssh/remotepath.h"
#include "core/ssh/sftpops.h"
#include "core/ssh/sshconnection.h"
#include "core/util/shellquote.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QRandomGenerator>

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include <fcntl.h>
#include <sys/file.h>

#include <optional>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

constexpr int FlowingPollMs = 100;
constexpr int FirstIdlePollMs = 150;
constexpr int MaxIdlePollMs = 1000;
constexpr int MissingLogMaxPollMs = 5000; // backing off while the log is not there
constexpr int FirstLivenessMs = 5000;
constexpr int MaxLivenessMs = 60000;
constexpr int NoPidGraceMs = 30000;
constexpr int BatchIntervalMs = 50;
constexpr quint64 MaxChunk = 64 * 1024;
constexpr int MaxArtifactEntries = 20000;
constexpr int MaxArtifactDepth = 32;

// One reader request: its SFTP handle lives and dies with it (before the session does).
struct ReaderRun
{
    std::shared_ptr<RemoteJobTail> tail;
    QPointer<QObject> context;
    std::function<void(const OutputBatch &)> onBatch;
    std::function<void(Result<RemoteJobEnd>)> onEnd;
    sftp_file file = nullptr;
    QElapsedTimer clock;
    qint64 nextPollMs = 0;
    qint64 nextBatchMs = 0;
    int idleMs = FirstIdlePollMs;
    bool statusSeen = false;
    RemoteJobScript::Status status;
    bool ended = false;
    qint64 nextLivenessMs = FirstLivenessMs;
    int livenessEveryMs = FirstLivenessMs;
    qint64 noPidSinceMs = -1;

    ~ReaderRun()
    {
        if (file)
            sftp_close(file);
    }

    template<typename F>
    void post(F f)
    {
        if (QObject *c = context.data())
            QMetaObject::invokeMethod(c, std::move(f), Qt::QueuedConnection);
    }

    void end(Result<RemoteJobEnd> result)
    {
        if (ended)
            return;
        ended = true;
        post([onEnd = onEnd, r = std::move(result)]() mutable { onEnd(std::move(r)); });
    }

    void postBatch()
    {
        RemoteJobTail &t = *tail;
        OutputBatch batch;
        batch.lines = std::move(t.lines);
        t.lines = QList<OutputLine>();
        batch.bytes = t.batchBytes;
        t.batchBytes = 0;
        if (auto line = t.parser.pending())
            batch.pending.append(std::move(*line));
        t.batchInFlight = true;
        auto shared = tail;
        post([shared, onBatch = onBatch, b = std::move(batch)] {
            shared->batchInFlight = false;
            onBatch(b);
        });
        nextBatchMs = clock.elapsed() + BatchIntervalMs;
    }

    void openLocal()
    {
        RemoteJobTail &t = *tail;
        if (t.localOpened)
            return;
        t.localOpened = true;
        t.local.setFileName(t.localLog);
        QIODevice::OpenMode mode = QIODevice::WriteOnly | QIODevice::Unbuffered;
        mode |= t.truncateLocalLog ? QIODevice::Truncate : QIODevice::Append;
        // The job's output is the user's alone (0600), whatever the umask.
        if (!t.local.open(mode, QFileDevice::ReadOwner | QFileDevice::WriteOwner)
            || !t.local.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner)) {
            t.localFailed = true;
            OutputLine line;
            line.stream = OutputStream::System;
            line.text = u"Could not write the log file %1: %2. Output is shown but not saved "
                        "here; the job's full log stays on the host."_s
                            .arg(t.localLog, t.local.errorString());
            t.lines.append(line);
            return;
        }
        // One writer per local log: a second follower of the same job (another window, a
        // `gpuwb attach`) shows the output without appending the same bytes again.
        if (::flock(t.local.handle(), LOCK_EX | LOCK_NB) != 0) {
            t.local.close();
            t.localFailed = true;
            OutputLine line;
            line.stream = OutputStream::System;
            line.text = u"Another GPU Workbench is following this job and writing its log %1; "
                        "this one shows the output without writing it."_s.arg(t.localLog);
            t.lines.append(line);
            return;
        }
        if (t.truncateLocalLog)
            return;
        // Resuming after an earlier session: the local log holds the first bytes already.
        t.offset = t.local.size();
        QFile old(t.localLog);
        if (t.offset > 0 && old.open(QIODevice::ReadOnly)) {
            const qint64 from = std::max<qint64>(0, t.offset - TerminalParser::MaxLineLength);
            old.seek(from);
            const QByteArray tailBytes = old.readAll();
            const qsizetype newline = tailBytes.lastIndexOf('\n');
            // The unfinished last line goes to the parser, so it comes out whole.
            QList<OutputLine> ignored;
            if (newline >= 0 || from == 0)
                t.parser.feed(QByteArrayView(tailBytes).sliced(newline + 1), &ignored);
        }
    }

    void take(QByteArrayView bytes)
    {
        RemoteJobTail &t = *tail;
        if (t.local.isOpen() && !t.localFailed && t.local.write(bytes.data(), bytes.size())
                                                      != bytes.size()) {
            t.localFailed = true;
            OutputLine line;
            line.stream = OutputStream::System;
            line.text = u"Could not write the log file %1: %2. Output from here on is shown "
                        "but not saved here; free some disk space."_s
                            .arg(t.localLog, t.local.errorString());
            t.lines.append(line);
        }
        t.offset += bytes.size();
        t.bytesRead += bytes.size();
        t.batchBytes += bytes.size();
        t.parser.feed(bytes, &t.lines);
    }

    QList<Location> listArtifacts(SftpOps::Sftp sftp)
    {
        RemoteJobTail &t = *tail;
        QList<Location> found;
        if (t.artifactGlobs.isEmpty() || t.workDir.isEmpty())
            return found;
        QList<QRegularExpression> globs;
        for (const QString &g : std::as_const(t.artifactGlobs))
            if (!g.trimmed().isEmpty())
                globs.append(RemoteJobScript::globExpression(g.trimmed()));
        const Location root = Location::remote(t.host, t.workDir);
        QList<std::pair<Location, int>> pending{{root, 0}};
        int seen = 0;
        while (!pending.isEmpty() && seen < MaxArtifactEntries) {
            const auto [dir, depth] = pending.takeFirst();
            auto entries = SftpOps::readDirectory(sftp, dir);
            if (!entries)
                continue;
            for (const FileInfo &info : std::as_const(*entries)) {
                if (++seen > MaxArtifactEntries)
                    break;
                const Location at = dir.child(info.name);
                if (info.isDirectory) {
                    if (!info.isSymlink && depth < MaxArtifactDepth)
                        pending.append({at, depth + 1});
                    continue;
                }
                const QString relative = at.relativeTo(root);
                for (const QRegularExpression &re : std::as_const(globs)) {
                    if (re.match(relative).hasMatch()) {
                        found.append(at);
                        break;
                    }
                }
            }
        }
        std::sort(found.begin(), found.end(),
                  [](const Location &a, const Location &b) { return a.path() < b.path(); });
        return found;
    }

    // A failed SFTP call: when the session died the connection fails this request itself
    // (and the job reconnects); otherwise it is the reader's error.
    SshStep failed(SshSessionContext &ctx, SftpOps::Sftp sftp, const QString &doing,
                   const QString &path)
    {
        if (!ssh_is_connected(ctx.session()))
            return SshStep::Wait;
        Error e = SftpOps::lastError(sftp, doing, Location::remote(tail->host, path));
        end(std::move(e));
        return SshStep::Done;
    }

    // One exec that says, after a unique marker, what became of the job: its folder, its
    // status file, its pid file, the boot it started in and whether its group is alive.
    // Returns a RemoteJobEnd when the job is known to be over without a status.
    std::optional<RemoteJobEnd> checkLiveness(SshSessionContext &ctx, qint64 now)
    {
        nextLivenessMs = now + livenessEveryMs;
        livenessEveryMs = std::min(livenessEveryMs * 2, MaxLivenessMs);
        const RemoteJobTail &t = *tail;
        if (t.jobDir.isEmpty())
            return std::nullopt;
        const QByteArray nonce = QByteArray::number(QRandomGenerator::global()->generate64(), 36);
        const QByteArray say = "printf 'gpuwb-alive " + nonce + " %s\\n' ";
        const QByteArray script = "cd " + toRemoteBytes(shellQuote(t.jobDir)) + " 2>/dev/null || { "
            + say + "nofolder; exit 0; }; [ -e status ] && { " + say + "ended; exit 0; }; "
            "[ -s pid ] || { " + say + "nopid; exit 0; }; "
            "o=$(cat node 2>/dev/null); h=$(uname -n 2>/dev/null); "
            "if [ -n \"$o\" ] && [ \"$o\" != \"$h\" ]; then " + say + "othernode; exit 0; fi; "
            "b=$(cat boot 2>/dev/null); n=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null); "
            "if [ -n \"$b\" ] && [ -n \"$n\" ] && [ \"$b\" != \"$n\" ]; then " + say
            + "rebooted; exit 0; fi; g=$(cat pid); case $g in ''|*[!0-9]*) " + say
            + "nopid; exit 0;; esac; if kill -0 -\"$g\" 2>/dev/null; then " + say
            + "running; elif [ -e status ]; then " + say + "ended; else " + say + "gone; fi";
        Result<RemoteCommand> r = RemoteCommand::run(ctx.session(), script);
        if (!r)
            return std::nullopt; // a lost connection is handled by the reader's own calls
        const QByteArray marker = "gpuwb-alive " + nonce + ' ';
        const qsizetype at = r->output.indexOf(marker);
        if (at < 0)
            return std::nullopt;
        const qsizetype eol = r->output.indexOf('\n', at);
        const QByteArray word = r->output.mid(at + marker.size(),
                                              eol < 0 ? -1 : eol - at - marker.size());
        const QString where = t.host + u':' + t.jobDir;
        RemoteJobEnd lost;
        lost.bytesRead = t.bytesRead;
        if (word == "running" || word == "othernode") {
            // On another node of the same home nothing can be told: keep following the log.
            noPidSinceMs = -1;
            return std::nullopt;
        }
        if (word == "ended") {
            nextPollMs = now; // the status is read next
            return std::nullopt;
        }
        if (word == "nopid") {
            if (noPidSinceMs < 0)
                noPidSinceMs = now;
            if (now - noPidSinceMs < NoPidGraceMs)
                return std::nullopt;
            lost.neverStarted = true;
            lost.lostReason = u"The job's wrapper never started on %1 (no pid file in %2 after "
                              "%3 s): the host's disk may be full, or the launch was cut off. "
                              "Run it again."_s.arg(t.host, t.jobDir)
                                  .arg(NoPidGraceMs / 1000);
            return lost;
        }
        if (word == "nofolder")
            lost.lostReason = u"The job's folder %1 is gone, so its end cannot be known. Its "
                              "output so far is in the local log."_s.arg(where);
        else if (word == "rebooted")
            lost.lostReason = u"%1 restarted while the job ran; the job recorded no exit status. "
                              "Its output so far is in the local log and in %2."_s
                                  .arg(t.host, where);
        else if (word == "gone")
            lost.lostReason = u"The job's processes on %1 are gone and it recorded no exit status "
                              "(killed from outside, e.g. by the out-of-memory killer, or the "
                              "disk filled up). Its output so far is in the local log and in "
                              "%2."_s.arg(t.host, where);
        else
            return std::nullopt;
        return lost;
    }

    // When the liveness check is due and finds the job over without a status: everything
    // read so far goes out, then the end. True when the reader has ended.
    bool endedAsLost(SshSessionContext &ctx, qint64 now)
    {
        if (now < nextLivenessMs)
            return false;
        std::optional<RemoteJobEnd> lost = checkLiveness(ctx, now);
        if (!lost)
            return false;
        // What the job wrote between the last read and its end goes to the local log first.
        if (file && sftp_seek64(file, quint64(tail->offset)) == 0) {
            QByteArray buffer(64 * 1024, Qt::Uninitialized);
            for (int i = 0; i < 1024; ++i) {
                const ssize_t n = sftp_read(file, buffer.data(), size_t(buffer.size()));
                if (n <= 0)
                    break;
                take(QByteArrayView(buffer.constData(), qsizetype(n)));
            }
        }
        lost->bytesRead = tail->bytesRead;
        tail->parser.flush(&tail->lines);
        if (tail->local.isOpen())
            tail->local.close();
        postBatch();
        end(std::move(*lost));
        return true;
    }

    SshStep step(SshSessionContext &ctx)
    {
        RemoteJobTail &t = *tail;
        if (!clock.isValid())
            clock.start();
        if (t.cancel || !context) {
            end(Error{ErrorCode::Cancelled, u"The job stopped following its output."_s});
            return SshStep::Done;
        }
        openLocal();
        const qint64 now = clock.elapsed();
        if ((!t.lines.isEmpty() || t.batchBytes > 0) && !t.batchInFlight && now >= nextBatchMs)
            postBatch();
        // The job has not taken the last batch and plenty waits: let the remote log hold it.
        if (t.batchInFlight && t.lines.size() >= RemoteJobReader::MaxBatchLines)
            return SshStep::Wait;
        if (now < nextPollMs)
            return SshStep::Wait;

        Result<SftpOps::Sftp> sftp = ctx.sftp();
        if (!sftp) {
            if (!ssh_is_connected(ctx.session()))
                return SshStep::Wait; // the connection fails this request itself
            end(sftp.error());
            return SshStep::Done;
        }
        if (!file) {
            file = sftp_open(*sftp, toRemoteBytes(t.remoteLog).constData(), O_RDONLY, 0);
            if (!file) {
                const int code = sftp_get_error(*sftp);
                if (code != SSH_FX_NO_SUCH_FILE && code != SSH_FX_NO_SUCH_PATH)
                    return failed(ctx, *sftp, u"open the job's log"_s, t.remoteLog);
                // Not there yet (the wrapper is starting) or gone: look again, less and less
                // often, and ask whether the job lives.
                if (endedAsLost(ctx, now))
                    return SshStep::Done;
                nextPollMs = now + idleMs;
                idleMs = std::min(idleMs * 2, MissingLogMaxPollMs);
                return SshStep::Wait;
            }
        }
        if (sftp_seek64(file, quint64(t.offset)) < 0)
            return failed(ctx, *sftp, u"read the job's log"_s, t.remoteLog);
        const quint64 chunk = std::min<quint64>(MaxChunk, SftpOps::features(*sftp).maxReadLength);
        QByteArray buffer(qsizetype(chunk), Qt::Uninitialized);
        const ssize_t n = sftp_read(file, buffer.data(), size_t(chunk));
        if (n < 0)
            return failed(ctx, *sftp, u"read the job's log"_s, t.remoteLog);
        if (n > 0) {
            take(QByteArrayView(buffer.constData(), qsizetype(n)));
            idleMs = FirstIdlePollMs;
            livenessEveryMs = FirstLivenessMs; // output flows: ask again only after a silence
            nextLivenessMs = now + FirstLivenessMs;
            nextPollMs = quint64(n) == chunk ? now : now + FlowingPollMs;
            return quint64(n) == chunk ? SshStep::Again : SshStep::Wait;
        }
        // At the end of what is written so far.
        if (statusSeen) {
            t.parser.flush(&t.lines);
            RemoteJobEnd result;
            result.status = status;
            result.artifacts = listArtifacts(*sftp);
            result.bytesRead = t.bytesRead;
            if (!ssh_is_connected(ctx.session()))
                return SshStep::Wait; // the listing met a lost connection: the next reader lists
            if (t.local.isOpen())
                t.local.close();
            postBatch();
            end(std::move(result));
            return SshStep::Done;
        }
        auto text = SftpOps::readFile(*sftp, Location::remote(t.host, t.remoteStatus), 4096);
        if (text) {
            status = RemoteJobScript::parseStatus(*text);
            if (status.valid) {
                // Everything the job wrote is in the log now: read it to its end.
                statusSeen = true;
                nextPollMs = now;
                return SshStep::Again;
            }
        } else if (text.error().code != ErrorCode::NotFound) {
            if (!ssh_is_connected(ctx.session()))
                return SshStep::Wait;
            end(text.error());
            return SshStep::Done;
        }
        if (endedAsLost(ctx, now))
            return SshStep::Done;
        nextPollMs = now + idleMs;
        idleMs = std::min(idleMs * 2, MaxIdlePollMs);
        return SshStep::Wait;
    }
};

} // namespace

void RemoteJobReader::start(SshConnection *connection, QObject *context,
                            std::shared_ptr<RemoteJobTail> tail,
                            std::function<void(const OutputBatch &)> onBatch,
                            std::function<void(Result<RemoteJobEnd>)> onEnd)
{
    auto run = std::make_shared<ReaderRun>();
    run->tail = std::move(tail);
    run->context = context;
    run->onBatch = std::move(onBatch);
    run->onEnd = std::move(onEnd);
    SshRequest request;
    request.step = [run](SshSessionContext &ctx) { return run->step(ctx); };
    request.fail = [run](const Error &error) {
        // Lines parsed before the loss go out first, so none is held back or repeated.
        if (!run->tail->lines.isEmpty() || run->tail->batchBytes > 0)
            run->postBatch();
        // The session failed: free the handle without a CLOSE request that could not be sent.
        SftpOps::releaseFileOfLostSession(run->file);
        run->file = nullptr;
        run->end(error);
    };
    connection->enqueue(std::move(request));
}

} // namespace gpuwb
