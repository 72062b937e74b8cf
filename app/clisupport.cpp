#include "app/clisupport.h"

#include <QSocketNotifier>

#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

namespace gpuwb {

namespace {

int s_signalSocket[2] = {-1, -1};

void onTerminatingSignal(int signal)
{
    const char byte = char(signal);
    [[maybe_unused]] const ssize_t n = ::write(s_signalSocket[0], &byte, 1);
}

} // namespace

QSocketNotifier *watchTerminatingSignals(QObject *parent)
{
    if (s_signalSocket[0] < 0 && ::socketpair(AF_UNIX, SOCK_STREAM, 0, s_signalSocket) != 0)
        return nullptr;
    struct sigaction action = {};
    action.sa_handler = onTerminatingSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    for (int signal : {SIGINT, SIGTERM, SIGHUP})
        ::sigaction(signal, &action, nullptr);
    return new QSocketNotifier(s_signalSocket[1], QSocketNotifier::Read, parent);
}

int takeTerminatingSignal()
{
    char byte = 0;
    return ::read(s_signalSocket[1], &byte, 1) == 1 ? int(byte) : 0;
}

} // namespace gpuwb
