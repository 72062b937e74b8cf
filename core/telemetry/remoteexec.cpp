#include "core/telemetry/remoteexec.h"

#include <libssh/libssh.h>

using namespace Qt::StringLiterals;

namespace gpuwb {

Result<RemoteExec> RemoteExec::run(ssh_session session, const QByteArray &command,
                                   qsizetype maxBytes)
{
    ssh_channel channel = ssh_channel_new(session);
    if (!channel)
        return Error{u"io-error"_s, QString::fromUtf8(ssh_get_error(session))};
    auto failed = [&](const QString &what) {
        const Error e{ssh_is_connected(session) ? u"io-error"_s : u"connection-lost"_s,
                      u"%1 on the host failed: %2. Reconnect and try again."_s.arg(
                          what, QString::fromUtf8(ssh_get_error(session)))};
        ssh_channel_free(channel);
        return e;
    };
    if (ssh_channel_open_session(channel) != SSH_OK)
        return failed(u"Opening a channel"_s);
    if (ssh_channel_request_exec(channel, command.constData()) != SSH_OK)
        return failed(u"Running a command"_s);
    RemoteExec result;
    char buffer[16384];
    const auto keep = [maxBytes](QByteArray *into, const char *data, int n) {
        if (into->size() < maxBytes)
            into->append(data, std::min<qsizetype>(n, maxBytes - into->size()));
    };
    for (;;) {
        // Both streams are drained so that a chatty stderr never stalls on a full window.
        bool any = false;
        for (int stream : {0, 1}) {
            const int n = ssh_channel_read_timeout(channel, buffer, sizeof buffer, stream, 50);
            if (n == SSH_ERROR)
                return failed(u"Reading a command's output"_s);
            if (n > 0) {
                keep(stream ? &result.errorOutput : &result.output, buffer, n);
                any = true;
            }
        }
        if (!any && (ssh_channel_is_eof(channel) || ssh_channel_is_closed(channel)))
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
