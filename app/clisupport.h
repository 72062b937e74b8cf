#pragma once

class QObject;
class QSocketNotifier;

namespace gpuwb {

// Ctrl-C, a closed terminal or a kill must not end a command without cleaning up (a remote or
// local job left without anyone to watch it, a half transfer): the handler for SIGINT, SIGTERM
// and SIGHUP only writes the signal number to a socket, which the returned notifier watches
// from the event loop. Null when the socket cannot be made.
QSocketNotifier *watchTerminatingSignals(QObject *parent);
// The signal that arrived, read from that socket once the notifier fires; 0 when none.
int takeTerminatingSignal();

} // namespace gpuwb
