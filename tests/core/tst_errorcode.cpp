#include "core/util/errorcode.h"
#include "core/util/result.h"

#include <QRegularExpression>
#include <QSet>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace gpuwb;

// Every code, one by one: its stable name, whether a caller retries it, and the exit status a
// `gpuwb` subcommand ends with. The rows are the specification; a new code needs a row here.
class TestErrorCode : public QObject
{
    Q_OBJECT
private slots:
    void eachCode_data();
    void eachCode();
    void everyCodeHasARow();
    void namesAndSummariesAreDistinct();
    void unknownNamesAreRefused();
    void resultCarriesTheCode();

};

namespace {

struct Row
{
    ErrorCode code;
    const char *name;
    ErrorRetry retry;
    int exitCode;
};

// The specification, one row per code.
QList<Row> rows()
{
    using enum ErrorRetry;
    return {
        {ErrorCode::Cancelled, "cancelled", Never, 130},
        {ErrorCode::Internal, "internal", Never, 70},
        {ErrorCode::Invalid, "invalid", Never, 65},
        {ErrorCode::Timeout, "timeout", WhenConnected, 75},
        {ErrorCode::Closed, "closed", WhenConnected, 69},
        {ErrorCode::ConnectionLost, "connection-lost", WhenConnected, 69},
        {ErrorCode::NotConnected, "not-connected", WhenConnected, 69},
        {ErrorCode::NoConnection, "no-connection", Never, 69},
        {ErrorCode::Refused, "refused", WhenConnected, 69},
        {ErrorCode::ConnectFailed, "connect-failed", WhenConnected, 69},
        {ErrorCode::UnknownHost, "unknown-host", WhenConnected, 68},
        {ErrorCode::BadHostName, "bad-host-name", Never, 65},
        {ErrorCode::WrongHost, "wrong-host", Never, 65},
        {ErrorCode::JumpForwardFailed, "jump-forward-failed", Never, 69},
        {ErrorCode::AuthFailed, "auth-failed", Never, 77},
        {ErrorCode::HostKeyUnknown, "host-key-unknown", Never, 77},
        {ErrorCode::HostKeyChanged, "host-key-changed", Never, 77},
        {ErrorCode::HostKeyRevoked, "host-key-revoked", Never, 77},
        {ErrorCode::HostKeyError, "host-key-error", Never, 77},
        {ErrorCode::KnownHostsWrite, "known-hosts-write", Never, 73},
        {ErrorCode::NoKeychain, "no-keychain", Never, 69},
        {ErrorCode::KeychainError, "keychain-error", Never, 74},
        {ErrorCode::ExecFailed, "exec-failed", WhenConnected, 69},
        {ErrorCode::NotFound, "not-found", Never, 66},
        {ErrorCode::PermissionDenied, "permission-denied", Never, 77},
        {ErrorCode::Exists, "exists", Never, 73},
        {ErrorCode::Unsupported, "unsupported", Never, 69},
        {ErrorCode::IoError, "io-error", Never, 74},
        {ErrorCode::NoSpace, "no-space", Never, 73},
        {ErrorCode::ReadOnly, "read-only", Never, 73},
        {ErrorCode::IsDirectory, "is-directory", Never, 65},
        {ErrorCode::NotDirectory, "not-directory", Never, 65},
        {ErrorCode::NameTooLong, "name-too-long", Never, 65},
        {ErrorCode::CrossDevice, "cross-device", Never, 73},
        {ErrorCode::SymlinkLoop, "symlink-loop", Never, 65},
        {ErrorCode::TooLarge, "too-large", Never, 65},
        {ErrorCode::InvalidName, "invalid-name", Never, 65},
        {ErrorCode::NotLocal, "not-local", Never, 70},
        {ErrorCode::NotRemote, "not-remote", Never, 70},
        {ErrorCode::NoSftp, "no-sftp", Never, 69},
        {ErrorCode::NoHome, "no-home", Never, 66},
        {ErrorCode::NotOwner, "not-owner", Never, 77},
        {ErrorCode::ListingUnreadable, "listing-unreadable", Never, 65},
        {ErrorCode::FileFailed, "file-failed", Never, 74},
        {ErrorCode::SyncClash, "sync-clash", Never, 65},
        {ErrorCode::NoProject, "no-project", Never, 66},
        {ErrorCode::NoRunConfig, "no-run-config", Never, 78},
        {ErrorCode::RunConfig, "run-config", Never, 78},
        {ErrorCode::ConfigMalformed, "config-malformed", Never, 78},
        {ErrorCode::ConfigUnreadable, "config-unreadable", Never, 78},
        {ErrorCode::BadEnvironment, "bad-environment", Never, 78},
        {ErrorCode::UnknownTarget, "unknown-target", Never, 64},
        {ErrorCode::UnknownJob, "unknown-job", Never, 64},
        {ErrorCode::NoWorkdir, "no-workdir", Never, 66},
        {ErrorCode::LaunchFailed, "launch-failed", WhenConnected, 69},
        {ErrorCode::NoPid, "no-pid", Later, 75},
        {ErrorCode::LogUnreadable, "log-unreadable", Never, 74},
        {ErrorCode::History, "history", Later, 75},
        {ErrorCode::NoHistory, "no-history", Never, 66},
        {ErrorCode::HistoryMissing, "history-missing", Never, 66},
        {ErrorCode::HistoryNewer, "history-newer", Never, 78},
        {ErrorCode::SettingsError, "settings-error", Never, 74},
        {ErrorCode::InvalidAlias, "invalid-alias", Never, 65},
        {ErrorCode::AliasInConfig, "alias-in-config", Never, 65},
        {ErrorCode::BadName, "bad-name", Never, 65},
        {ErrorCode::InvalidPort, "invalid-port", Never, 65},
        {ErrorCode::ListenFailed, "listen-failed", Never, 73},
        {ErrorCode::ForwardFailed, "forward-failed", WhenConnected, 69},
        {ErrorCode::ForwardRefused, "forward-refused", Never, 69},
        {ErrorCode::GpuNvmlUnavailable, "gpu.nvml-unavailable", Never, 69},
        {ErrorCode::GpuNvmlFailed, "gpu.nvml-failed", WhenConnected, 69},
        {ErrorCode::GpuNvmlNotOpen, "gpu.nvml-not-open", Never, 70},
        {ErrorCode::GpuNoDevices, "gpu.no-devices", Never, 69},
        {ErrorCode::GpuSmiNotFound, "gpu.smi-not-found", Never, 69},
        {ErrorCode::GpuSmiFailed, "gpu.smi-failed", Never, 69},
        {ErrorCode::GpuSmiExited, "gpu.smi-exited", WhenConnected, 69},
        {ErrorCode::GpuSmiEnded, "gpu.smi-ended", WhenConnected, 69},
        {ErrorCode::GpuSmiChannel, "gpu.smi-channel", WhenConnected, 69},
        {ErrorCode::GpuSmiEmpty, "gpu.smi-empty", WhenConnected, 65},
        {ErrorCode::GpuSmiNoHeader, "gpu.smi-no-header", Never, 65},
        {ErrorCode::GpuSmiNoRows, "gpu.smi-no-rows", WhenConnected, 65},
        {ErrorCode::GpuSmiBadRow, "gpu.smi-bad-row", Later, 65},
        {ErrorCode::GpuSmiInvalidField, "gpu.smi-invalid-field", Never, 65},
        {ErrorCode::GpuSmiLineTooLong, "gpu.smi-line-too-long", Later, 65},
        {ErrorCode::GpuReplayUnreadable, "gpu.replay-unreadable", Never, 66},
        {ErrorCode::GpuReplayTooLarge, "gpu.replay-too-large", Never, 65},
        {ErrorCode::GpuReplayNotOpen, "gpu.replay-not-open", Never, 70},
        {ErrorCode::GpuCsvOpen, "gpu.csv-open", Never, 73},
        {ErrorCode::GpuCsvWrite, "gpu.csv-write", Never, 74},
    };
}

} // namespace

void TestErrorCode::eachCode_data()
{
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("name");
    QTest::addColumn<ErrorRetry>("retry");
    QTest::addColumn<int>("exitCode");
    for (const Row &r : rows())
        QTest::newRow(r.name) << r.code << QString::fromLatin1(r.name) << r.retry << r.exitCode;
}

void TestErrorCode::eachCode()
{
    QFETCH(ErrorCode, code);
    QFETCH(QString, name);
    QFETCH(ErrorRetry, retry);
    QFETCH(int, exitCode);
    QCOMPARE(errorCodeName(code), name);
    QCOMPARE(errorCodeFromName(name), std::optional<ErrorCode>(code));
    QCOMPARE(errorRetry(code), retry);
    QCOMPARE(isRetryable(code), retry != ErrorRetry::Never);
    QCOMPARE(cliExitCode(code), exitCode);
    // A summary is one sentence or two for a person: capitalised (or a program's name),
    // ending with a full stop, no line breaks.
    const QString summary = errorSummary(code);
    QVERIFY2(summary.size() > 10 && summary.endsWith(u'.') && !summary.contains(u'\n'),
             qPrintable(summary));
    QVERIFY2(summary.at(0).isUpper() || summary.startsWith(u"nvidia-smi"_s)
                 || summary.startsWith(u"~/.ssh"_s),
             qPrintable(summary));
}

void TestErrorCode::everyCodeHasARow()
{
    // Each code exactly once in the rows above, and each code's name round-trips.
    QSet<ErrorCode> inRows;
    for (const Row &r : rows())
        inRows.insert(r.code);
    QCOMPARE(rows().size(), kErrorCodeCount);
    QCOMPARE(inRows.size(), kErrorCodeCount);
    int named = 0;
    for (int i = 0; i < kErrorCodeCount; ++i) {
        const QString name = errorCodeName(ErrorCode(i));
        QVERIFY2(QRegularExpression(u"^[a-z]+(\\.[a-z]+)?(-[a-z]+)*$"_s).match(name).hasMatch(),
                 qPrintable(name));
        if (errorCodeFromName(name) == ErrorCode(i))
            ++named;
    }
    QCOMPARE(named, kErrorCodeCount);
}

void TestErrorCode::namesAndSummariesAreDistinct()
{
    QSet<QString> names;
    QSet<QString> summaries;
    for (int i = 0; i < kErrorCodeCount; ++i) {
        names.insert(errorCodeName(ErrorCode(i)));
        summaries.insert(errorSummary(ErrorCode(i)));
    }
    QCOMPARE(names.size(), kErrorCodeCount);
    QCOMPARE(summaries.size(), kErrorCodeCount);
}

void TestErrorCode::unknownNamesAreRefused()
{
    QCOMPARE(errorCodeFromName(u""_s), std::nullopt);
    QCOMPARE(errorCodeFromName(u"io"_s), std::nullopt); // the old permanence check's typo
    QCOMPARE(errorCodeFromName(u"NOT-FOUND"_s), std::nullopt);
    QCOMPARE(errorCodeFromName(u"not-found "_s), std::nullopt);
}

void TestErrorCode::resultCarriesTheCode()
{
    const Result<int> failed = Result<int>::failure(ErrorCode::NoSpace, u"disk full"_s);
    QVERIFY(!failed.ok());
    QCOMPARE(failed.error().code, ErrorCode::NoSpace);
    QCOMPARE(failed.errorMessage(), u"disk full"_s);
    // A default Error is an internal one, never a silent success or a retryable state.
    QCOMPARE(Error{}.code, ErrorCode::Internal);
    QVERIFY(!isRetryable(Error{}.code));
}

QTEST_GUILESS_MAIN(TestErrorCode)
#include "tst_errorcode.moc"
