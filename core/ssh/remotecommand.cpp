#include "core/ssh/remotecommand.h"

#include "core/util/shellquote.h"

#include <libssh/libssh.h>

using namespace Qt::StringLiterals;

namespace gpuwb {

Result<RemoteCommand> RemoteCommand::run(ssh_session session, const QByteArray &command,
                                         qsizetype maxBytes)
{
    QByteArray output;
    Result<RemoteCommand> result = run(session, command, [&](QByteArrayView bytes) {
        if (output.size() < maxBytes)
            output.append(bytes.first(qMin(bytes.size(), maxBytes - output.size())));
        return true; // the rest is read and dropped
    });
    if (result)
        result.value().output = std::move(output);
    return result;
}

Result<RemoteCommand> RemoteCommand::run(ssh_session session, const QByteArray &command,
                                         const std::function<bool(QByteArrayView)> &sink)
{
    ssh_channel channel = ssh_channel_new(session);
    if (!channel)
        return Error{ErrorCode::ExecFailed, QString::fromUtf8(ssh_get_error(session))};
    auto failed = [&](const QString &what) {
        // A channel that fails on a live session is the host's or the link's trouble, not a
        // file's: worth another try (ExecFailed), unlike an I/O error of a file.
        const Error e{ssh_is_connected(session) ? ErrorCode::ExecFailed : ErrorCode::ConnectionLost,
                      u"%1 on the host failed: %2. Try again; check the host's shell if it "
                      "keeps failing."_s.arg(what, QString::fromUtf8(ssh_get_error(session)))};
        ssh_channel_free(channel);
        return e;
    };
    if (ssh_channel_open_session(channel) != SSH_OK)
        return failed(u"Opening a channel"_s);
    if (ssh_channel_request_exec(channel, remoteShellLine(command).constData()) != SSH_OK)
        return failed(u"Running a command"_s);
    RemoteCommand result;
    QByteArray buffer(256 * 1024, Qt::Uninitialized);
    char discard[4096];
    for (;;) {
        // Standard error is drained too, so a chatty command never stalls on a full window.
        while (ssh_channel_poll(channel, 1) > 0) {
            const int e = ssh_channel_read_nonblocking(channel, discard, sizeof discard, 1);
            if (e <= 0)
                break;
            if (result.errorOutput.size() < kErrorBytes)
                result.errorOutput.append(
                    discard, qMin<qsizetype>(e, kErrorBytes - result.errorOutput.size()));
        }
        const int n = ssh_channel_read(channel, buffer.data(), uint32_t(buffer.size()), 0);
        if (n < 0)
            return failed(u"Reading a command's output"_s);
        if (n == 0)
            break;
        if (!sink(QByteArrayView(buffer.constData(), n)))
            break;
    }
    uint32_t code = 0;
    char *signal = nullptr;
    int core = 0;
    if (ssh_channel_get_exit_state(channel, &code, &signal, &core) == SSH_OK)
        result.exitCode = signal ? 128 : int(code);
    ssh_string_free_char(signal);
    ssh_channel_close(channel);
    ssh_channel_free(channel);
    return result;
}

} // namespace gpuwb
