#include "core/util/errorcode.h"

#include <QDebug>
#include <QHash>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

struct CodeFacts
{
    QString name;
    ErrorRetry retry;
    int exitCode;
    QString summary;
};

// A switch, not a table indexed by the enum: the compiler then names any code left out.
CodeFacts factsOf(ErrorCode code)
{
    using enum ErrorRetry;
    switch (code) {
    case ErrorCode::Cancelled:
        return {u"cancelled"_s, Never, 130,
                u"It was cancelled."_s};
    case ErrorCode::Internal:
        return {u"internal"_s, Never, 70,
                u"The workbench failed inside; please report it with the log."_s};
    case ErrorCode::Invalid:
        return {u"invalid"_s, Never, 65,
                u"The input is not valid; correct it and try again."_s};
    case ErrorCode::Timeout:
        return {u"timeout"_s, WhenConnected, 75,
                u"The host did not answer in time; check the network and try again."_s};
    case ErrorCode::Closed:
        return {u"closed"_s, WhenConnected, 69,
                u"The connection was closed on purpose; what waits on it goes on once you connect again."_s};
    case ErrorCode::ConnectionLost:
        return {u"connection-lost"_s, WhenConnected, 69,
                u"The connection to the host was lost; it is tried again once the host answers."_s};
    case ErrorCode::NotConnected:
        return {u"not-connected"_s, WhenConnected, 69,
                u"The host is not connected; connect to it first."_s};
    case ErrorCode::NoConnection:
        return {u"no-connection"_s, Never, 69,
                u"There is no connection for this host; add the host or choose another target."_s};
    case ErrorCode::Refused:
        return {u"refused"_s, WhenConnected, 69,
                u"The host refused the connection; check that sshd runs there and the port is right."_s};
    case ErrorCode::ConnectFailed:
        return {u"connect-failed"_s, WhenConnected, 69,
                u"The host could not be reached; check the address and the network."_s};
    case ErrorCode::UnknownHost:
        return {u"unknown-host"_s, WhenConnected, 68,
                u"The host name could not be resolved; check its spelling, DNS and the network."_s};
    case ErrorCode::BadHostName:
        return {u"bad-host-name"_s, Never, 65,
                u"The host name is not valid; correct it in the host settings."_s};
    case ErrorCode::WrongHost:
        return {u"wrong-host"_s, Never, 65,
                u"That belongs to another host; choose the right one."_s};
    case ErrorCode::JumpForwardFailed:
        return {u"jump-forward-failed"_s, Never, 69,
                u"The jump host could not reach the target; check ProxyJump and the target's address."_s};
    case ErrorCode::AuthFailed:
        return {u"auth-failed"_s, Never, 77,
                u"The host did not accept the login; check the user name, key or password."_s};
    case ErrorCode::HostKeyUnknown:
        return {u"host-key-unknown"_s, Never, 77,
                u"The host's key is not known yet; compare its fingerprint and accept it to go on."_s};
    case ErrorCode::HostKeyChanged:
        return {u"host-key-changed"_s, Never, 77,
                u"The host's key has changed; this may be an attack, so nothing was sent. Check with the host's administrator."_s};
    case ErrorCode::HostKeyRevoked:
        return {u"host-key-revoked"_s, Never, 77,
                u"The host's key is marked revoked in known_hosts; nothing was sent."_s};
    case ErrorCode::HostKeyError:
        return {u"host-key-error"_s, Never, 77,
                u"The host's key could not be checked; see the message and known_hosts."_s};
    case ErrorCode::KnownHostsWrite:
        return {u"known-hosts-write"_s, Never, 73,
                u"The host's key could not be saved to known_hosts; check that file's permissions."_s};
    case ErrorCode::NoKeychain:
        return {u"no-keychain"_s, Never, 69,
                u"No keychain service is running, so secrets cannot be remembered; they are asked for each time."_s};
    case ErrorCode::KeychainError:
        return {u"keychain-error"_s, Never, 74,
                u"The keychain failed; the secret was not stored."_s};
    case ErrorCode::ExecFailed:
        return {u"exec-failed"_s, WhenConnected, 69,
                u"The host could not run the command; check the connection and the host's shell."_s};
    case ErrorCode::NotFound:
        return {u"not-found"_s, Never, 66,
                u"No such file or folder; it may have been moved or deleted."_s};
    case ErrorCode::PermissionDenied:
        return {u"permission-denied"_s, Never, 77,
                u"Permission denied; check the permissions of the file and the folders above it."_s};
    case ErrorCode::Exists:
        return {u"exists"_s, Never, 73,
                u"It already exists; choose another name."_s};
    case ErrorCode::Unsupported:
        return {u"unsupported"_s, Never, 69,
                u"The server cannot do this; do it another way, for example in a terminal on the host."_s};
    case ErrorCode::IoError:
        return {u"io-error"_s, Never, 74,
                u"Reading or writing failed; check the disk and try again."_s};
    case ErrorCode::NoSpace:
        return {u"no-space"_s, Never, 73,
                u"The disk is full; free some space and try again."_s};
    case ErrorCode::ReadOnly:
        return {u"read-only"_s, Never, 73,
                u"The file system is read-only."_s};
    case ErrorCode::IsDirectory:
        return {u"is-directory"_s, Never, 65,
                u"That is a folder, not a file."_s};
    case ErrorCode::NotDirectory:
        return {u"not-directory"_s, Never, 65,
                u"That is a file, not a folder."_s};
    case ErrorCode::NameTooLong:
        return {u"name-too-long"_s, Never, 65,
                u"The name is too long for the file system; choose a shorter one."_s};
    case ErrorCode::CrossDevice:
        return {u"cross-device"_s, Never, 73,
                u"It cannot be moved across file systems; copy it instead."_s};
    case ErrorCode::SymlinkLoop:
        return {u"symlink-loop"_s, Never, 65,
                u"Symbolic links point at each other in a loop; fix the links."_s};
    case ErrorCode::TooLarge:
        return {u"too-large"_s, Never, 65,
                u"It is too large to open here."_s};
    case ErrorCode::InvalidName:
        return {u"invalid-name"_s, Never, 65,
                u"The name is not allowed (a slash, \"..\", or a NUL byte); nothing was written."_s};
    case ErrorCode::NotLocal:
        return {u"not-local"_s, Never, 70,
                u"That is not a file on this machine."_s};
    case ErrorCode::NotRemote:
        return {u"not-remote"_s, Never, 70,
                u"That is not a file on a host."_s};
    case ErrorCode::NoSftp:
        return {u"no-sftp"_s, Never, 69,
                u"The host offers no SFTP; enable the sftp subsystem in its sshd_config."_s};
    case ErrorCode::NoHome:
        return {u"no-home"_s, Never, 66,
                u"The account's home folder does not exist on the host; ask its administrator, or set remote_dir."_s};
    case ErrorCode::NotOwner:
        return {u"not-owner"_s, Never, 77,
                u"The remote folder belongs to another user; choose a folder of your own."_s};
    case ErrorCode::ListingUnreadable:
        return {u"listing-unreadable"_s, Never, 65,
                u"The host's answer could not be read, so nothing was changed; see the message."_s};
    case ErrorCode::FileFailed:
        return {u"file-failed"_s, Never, 74,
                u"A file could not be transferred; see the message."_s};
    case ErrorCode::SyncClash:
        return {u"sync-clash"_s, Never, 65,
                u"A file and a folder have the same name here and on the host; nothing was deleted. Rename one of them."_s};
    case ErrorCode::NoProject:
        return {u"no-project"_s, Never, 66,
                u"No project folder is open; open one first."_s};
    case ErrorCode::NoRunConfig:
        return {u"no-run-config"_s, Never, 78,
                u"The project has no run configuration and none could be detected; add a gpuwb.toml."_s};
    case ErrorCode::RunConfig:
        return {u"run-config"_s, Never, 78,
                u"The run configuration has a mistake; correct gpuwb.toml as the message says."_s};
    case ErrorCode::ConfigMalformed:
        return {u"config-malformed"_s, Never, 78,
                u"A configuration file cannot be read as written; correct the line the message names."_s};
    case ErrorCode::ConfigUnreadable:
        return {u"config-unreadable"_s, Never, 78,
                u"A configuration file cannot be opened; check its permissions."_s};
    case ErrorCode::BadEnvironment:
        return {u"bad-environment"_s, Never, 78,
                u"An environment variable's name is not valid; use letters, digits and underscores."_s};
    case ErrorCode::UnknownTarget:
        return {u"unknown-target"_s, Never, 64,
                u"There is no such target; choose \"local\" or one of the known hosts."_s};
    case ErrorCode::UnknownJob:
        return {u"unknown-job"_s, Never, 64,
                u"There is no such job in the history."_s};
    case ErrorCode::NoWorkdir:
        return {u"no-workdir"_s, Never, 66,
                u"The job's folder is missing on the host; the job cannot be followed."_s};
    case ErrorCode::LaunchFailed:
        return {u"launch-failed"_s, WhenConnected, 69,
                u"The job could not be started; see the message."_s};
    case ErrorCode::NoPid:
        return {u"no-pid"_s, Later, 75,
                u"The job has not written its process id yet; try again in a moment."_s};
    case ErrorCode::LogUnreadable:
        return {u"log-unreadable"_s, Never, 74,
                u"The job's log cannot be read."_s};
    case ErrorCode::History:
        return {u"history"_s, Later, 75,
                u"The job history could not be read or written; see the message."_s};
    case ErrorCode::NoHistory:
        return {u"no-history"_s, Never, 66,
                u"There is no job history yet."_s};
    case ErrorCode::HistoryMissing:
        return {u"history-missing"_s, Never, 66,
                u"The job history's file is missing."_s};
    case ErrorCode::HistoryNewer:
        return {u"history-newer"_s, Never, 78,
                u"The job history was written by a newer version of the workbench; update it to open the history."_s};
    case ErrorCode::SettingsError:
        return {u"settings-error"_s, Never, 74,
                u"The settings could not be saved; check the settings folder's permissions."_s};
    case ErrorCode::InvalidAlias:
        return {u"invalid-alias"_s, Never, 65,
                u"The host's name may hold only letters, digits, \".\", \"_\" and \"-\"."_s};
    case ErrorCode::AliasInConfig:
        return {u"alias-in-config"_s, Never, 65,
                u"~/.ssh/config already has a host of that name; edit it there or choose another name."_s};
    case ErrorCode::BadName:
        return {u"bad-name"_s, Never, 65,
                u"The name is not valid; correct it."_s};
    case ErrorCode::InvalidPort:
        return {u"invalid-port"_s, Never, 65,
                u"The port is not valid; use a number from 1 to 65535."_s};
    case ErrorCode::ListenFailed:
        return {u"listen-failed"_s, Never, 73,
                u"The local port could not be opened; it may be in use, so choose another."_s};
    case ErrorCode::ForwardFailed:
        return {u"forward-failed"_s, WhenConnected, 69,
                u"The port could not be forwarded; see the message."_s};
    case ErrorCode::ForwardRefused:
        return {u"forward-refused"_s, Never, 69,
                u"The host refused to forward the port (AllowTcpForwarding may be off)."_s};
    case ErrorCode::GpuNvmlUnavailable:
        return {u"gpu.nvml-unavailable"_s, Never, 69,
                u"The NVIDIA driver library is not installed on this machine, so there are no local GPU readings."_s};
    case ErrorCode::GpuNvmlFailed:
        return {u"gpu.nvml-failed"_s, WhenConnected, 69,
                u"The NVIDIA driver did not answer; readings are tried again."_s};
    case ErrorCode::GpuNvmlNotOpen:
        return {u"gpu.nvml-not-open"_s, Never, 70,
                u"The NVIDIA driver library is not open."_s};
    case ErrorCode::GpuNoDevices:
        return {u"gpu.no-devices"_s, Never, 69,
                u"No NVIDIA GPU was found."_s};
    case ErrorCode::GpuSmiNotFound:
        return {u"gpu.smi-not-found"_s, Never, 69,
                u"nvidia-smi was not found on the host; install the NVIDIA driver there."_s};
    case ErrorCode::GpuSmiFailed:
        return {u"gpu.smi-failed"_s, Never, 69,
                u"nvidia-smi failed on the host; see its message."_s};
    case ErrorCode::GpuSmiExited:
        return {u"gpu.smi-exited"_s, WhenConnected, 69,
                u"nvidia-smi stopped; it is started again."_s};
    case ErrorCode::GpuSmiEnded:
        return {u"gpu.smi-ended"_s, WhenConnected, 69,
                u"The readings from nvidia-smi ended; they are started again."_s};
    case ErrorCode::GpuSmiChannel:
        return {u"gpu.smi-channel"_s, WhenConnected, 69,
                u"nvidia-smi could not be started over the connection; it is tried again."_s};
    case ErrorCode::GpuSmiEmpty:
        return {u"gpu.smi-empty"_s, WhenConnected, 65,
                u"nvidia-smi printed nothing."_s};
    case ErrorCode::GpuSmiNoHeader:
        return {u"gpu.smi-no-header"_s, Never, 65,
                u"nvidia-smi's output has no header line; its version may not be supported."_s};
    case ErrorCode::GpuSmiNoRows:
        return {u"gpu.smi-no-rows"_s, WhenConnected, 65,
                u"nvidia-smi printed no GPU rows."_s};
    case ErrorCode::GpuSmiBadRow:
        return {u"gpu.smi-bad-row"_s, Later, 65,
                u"A line of nvidia-smi's output could not be read; it was skipped."_s};
    case ErrorCode::GpuSmiInvalidField:
        return {u"gpu.smi-invalid-field"_s, Never, 65,
                u"nvidia-smi does not know a field the workbench asks for; its version may be too old."_s};
    case ErrorCode::GpuSmiLineTooLong:
        return {u"gpu.smi-line-too-long"_s, Later, 65,
                u"A line of nvidia-smi's output was too long; it was skipped."_s};
    case ErrorCode::GpuReplayUnreadable:
        return {u"gpu.replay-unreadable"_s, Never, 66,
                u"The GPU recording cannot be read."_s};
    case ErrorCode::GpuReplayTooLarge:
        return {u"gpu.replay-too-large"_s, Never, 65,
                u"The GPU recording is too large."_s};
    case ErrorCode::GpuReplayNotOpen:
        return {u"gpu.replay-not-open"_s, Never, 70,
                u"The GPU recording is not open."_s};
    case ErrorCode::GpuCsvOpen:
        return {u"gpu.csv-open"_s, Never, 73,
                u"The CSV file could not be created; choose another place."_s};
    case ErrorCode::GpuCsvWrite:
        return {u"gpu.csv-write"_s, Never, 74,
                u"Writing the CSV file failed; check the disk."_s};
    }
    return {u"internal"_s, Never, 70, u"The workbench failed inside; please report it."_s};
}

} // namespace

QString errorCodeName(ErrorCode code)
{
    return factsOf(code).name;
}

std::optional<ErrorCode> errorCodeFromName(QStringView name)
{
    static const QHash<QString, ErrorCode> byName = [] {
        QHash<QString, ErrorCode> names;
        for (int i = 0; i < kErrorCodeCount; ++i)
            names.insert(factsOf(ErrorCode(i)).name, ErrorCode(i));
        return names;
    }();
    const auto it = byName.constFind(name.toString());
    if (it == byName.cend())
        return std::nullopt;
    return *it;
}

QString errorSummary(ErrorCode code)
{
    return factsOf(code).summary;
}

ErrorRetry errorRetry(ErrorCode code)
{
    return factsOf(code).retry;
}

int cliExitCode(ErrorCode code)
{
    return factsOf(code).exitCode;
}

QDebug operator<<(QDebug debug, ErrorCode code)
{
    const QDebugStateSaver saver(debug);
    debug.noquote() << errorCodeName(code);
    return debug;
}

} // namespace gpuwb
