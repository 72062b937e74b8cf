#pragma once

#include <QString>

#include <optional>

class QDebug;

namespace gpuwb {

// Every expected failure the workbench can report, as one closed set. A code decides what a
// caller does next (retry once the connection is back, or give up and say so) and which exit
// status a command line run ends with; the Error's message says what happened in this case.
// Names (errorCodeName) are stable: they appear in logs, in `gpuwb` output and in tests.
enum class ErrorCode : unsigned char {
    // Anything
    Cancelled,
    Internal,
    Invalid,
    Timeout,

    // Reaching a host
    Closed,
    ConnectionLost,
    NotConnected,
    NoConnection,
    Refused,
    ConnectFailed,
    UnknownHost,
    BadHostName,
    WrongHost,
    JumpForwardFailed,
    AuthFailed,
    HostKeyUnknown,
    HostKeyChanged,
    HostKeyRevoked,
    HostKeyError,
    KnownHostsWrite,
    NoKeychain,
    KeychainError,
    ExecFailed,

    // Files, local or on a host
    NotFound,
    PermissionDenied,
    Exists,
    Unsupported,
    IoError,
    NoSpace,
    ReadOnly,
    IsDirectory,
    NotDirectory,
    NameTooLong,
    CrossDevice,
    SymlinkLoop,
    TooLarge,
    InvalidName,
    NotLocal,
    NotRemote,
    NoSftp,
    NoHome,
    NotOwner,
    ListingUnreadable,
    FileFailed,
    SyncClash,

    // Projects, run configurations and jobs
    NoProject,
    NoRunConfig,
    RunConfig,
    ConfigMalformed,
    ConfigUnreadable,
    BadEnvironment,
    UnknownTarget,
    UnknownJob,
    NoWorkdir,
    LaunchFailed,
    NoPid,
    LogUnreadable,
    History,
    NoHistory,
    HistoryMissing,
    HistoryNewer,
    SettingsError,

    // Hosts the user adds, port forwarding
    InvalidAlias,
    AliasInConfig,
    BadName,
    InvalidPort,
    ListenFailed,
    ForwardFailed,
    ForwardRefused,

    // GPU readings
    GpuNvmlUnavailable,
    GpuNvmlFailed,
    GpuNvmlNotOpen,
    GpuNoDevices,
    GpuSmiNotFound,
    GpuSmiFailed,
    GpuSmiExited,
    GpuSmiEnded,
    GpuSmiChannel,
    GpuSmiEmpty,
    GpuSmiNoHeader,
    GpuSmiNoRows,
    GpuSmiBadRow,
    GpuSmiInvalidField,
    GpuSmiLineTooLong,
    GpuReplayUnreadable,
    GpuReplayTooLarge,
    GpuReplayNotOpen,
    GpuCsvOpen,
    GpuCsvWrite,
};

inline constexpr int kErrorCodeCount = int(ErrorCode::GpuCsvWrite) + 1;

// What a caller does with a failure of this code.
enum class ErrorRetry : unsigned char {
    Never,          // the same request fails again until the user changes something
    WhenConnected,  // the connection or the host was in the way: try again once it is back
    Later,          // a passing state (a busy history, a pid not yet written): try again soon
};

// The stable name of a code ("not-found", "gpu.smi-failed").
QString errorCodeName(ErrorCode code);
std::optional<ErrorCode> errorCodeFromName(QStringView name);

// One sentence for a person: what this kind of failure means and what to do about it, for
// headings and for the command line's summary line. The Error's own message has the details.
QString errorSummary(ErrorCode code);

ErrorRetry errorRetry(ErrorCode code);
inline bool isRetryable(ErrorCode code) { return errorRetry(code) != ErrorRetry::Never; }

// The exit status of a `gpuwb` subcommand that fails with this code, from sysexits(3):
// 64 usage, 65 bad data, 66 no input, 68 unknown host, 69 unavailable, 70 internal, 73 cannot create,
// 74 I/O, 75 try again, 77 no permission, 78 configuration; 130 when cancelled.
int cliExitCode(ErrorCode code);

QDebug operator<<(QDebug debug, ErrorCode code); // writes the name

} // namespace gpuwb
