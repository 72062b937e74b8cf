#pragma once

#include "core/util/result.h"

#include <QString>

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

#include <sys/types.h>

struct ssh_session_struct;
struct ssh_channel_struct;

namespace gpuwb {

// One ProxyJump hop, forwarded by us rather than by libssh (issue 10, item 15: libssh 0.11's
// own jump threads all stop when any session in the process disconnects). The hop's session,
// logged in by SshSessionOpener like any host, opens a direct-tcpip channel to the next host;
// a thread of the tunnel's own copies bytes between that channel and one end of a local
// socket pair, whose other end the next session connects through (SSH_OPTIONS_FD). Nothing
// here is shared with any other tunnel or session.
class SshJumpTunnel
{
public:
    // Takes `hop` (connected and logged in) and `below`, the tunnel `hop` itself runs through
    // (null for the first hop). Opens the channel to host:port within `timeoutSeconds`;
    // `closing` and `wakeFd` end the wait early.
    static Result<std::unique_ptr<SshJumpTunnel>>
    open(ssh_session_struct *hop, const QString &hopName, std::shared_ptr<SshJumpTunnel> below,
         const QString &host, int port, int timeoutSeconds, int wakeFd,
         const std::function<bool()> &closing);

    // Stops forwarding once the next session closed its end (or after a second), then closes
    // the channel, logs out of the hop and closes the tunnel below.
    ~SshJumpTunnel();
    SshJumpTunnel(const SshJumpTunnel &) = delete;
    SshJumpTunnel &operator=(const SshJumpTunnel &) = delete;

    // The socket for the next session (-1 once taken). The tunnel closes it after that
    // session was freed (libssh 0.11 does not), so the tunnel must outlive the session.
    int takeSocket();
    // Whether the forwarding still runs (false once the hop or the next session went away).
    bool running() const { return !m_finished.load(); }

private:
    SshJumpTunnel() = default;
    void forward();

    QString m_hopName;
    ssh_session_struct *m_session = nullptr;
    ssh_channel_struct *m_channel = nullptr;
    std::shared_ptr<SshJumpTunnel> m_below;
    int m_local = -1;  // our end of the socket pair
    int m_next = -1;   // the next session's end
    bool m_handedOver = false;
    dev_t m_nextDevice = 0; // which socket m_next is, to close only that one
    ino_t m_nextInode = 0;
    int m_stop[2] = {-1, -1};
    std::thread m_thread;
    std::atomic<bool> m_finished{false};
};

} // namespace gpuwb
