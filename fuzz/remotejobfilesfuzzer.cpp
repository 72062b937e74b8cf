// libFuzzer entry for the files a remote job's wrapper writes and the workbench reads back
// over SFTP (core/remote/remotejobscript.cpp): `status` ("exit N" / "signal N", read up to
// 4096 bytes) through RemoteJobScript::parseStatus and `pid` (the process group that stop and
// kill signal, read up to 64 bytes) through RemoteJobScript::parsePid.
//
// Input: byte 0 picks the file (bit 0: 0 status, 1 pid), the rest is its content.
// Crashes, sanitizer reports and broken invariants (checked below) are the findings: a pid we
// would signal must be > 1 (never 0, 1 or a negative group), a status says exactly one of
// "exited with N >= 0" or "killed by signal N > 0", and both read back what they accepted.

#include "core/remote/remotejobscript.h"

#include <QByteArray>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using namespace gpuwb;
namespace S = RemoteJobScript;

namespace {

void status(const QByteArray &text)
{
    const S::Status s = S::parseStatus(text);
    if (!s.valid) {
        if (s.exitCode != -1 || s.signal != 0)
            std::abort(); // an unreadable status carries no outcome
        return;
    }
    if (!text.endsWith('\n'))
        std::abort(); // a status still being written (no final newline) is not read
    const bool exited = s.exitCode >= 0 && s.signal == 0;
    const bool signalled = s.exitCode == -1 && s.signal > 0;
    if (exited == signalled)
        std::abort();
    // What the wrapper would have written for this outcome reads back the same.
    const QByteArray again = exited ? "exit " + QByteArray::number(s.exitCode) + '\n'
                                    : "signal " + QByteArray::number(s.signal) + '\n';
    const S::Status back = S::parseStatus(again);
    if (!back.valid || back.exitCode != s.exitCode || back.signal != s.signal)
        std::abort();
}

void pid(const QByteArray &text)
{
    const qint64 group = S::parsePid(text);
    if (group == 0)
        return;
    if (group <= 1)
        std::abort(); // kill -SIG -0 / -1 would hit far more than the job
    if (S::parsePid(QByteArray::number(group) + '\n') != group)
        std::abort();
    // The command lines built from it name that group and nothing else.
    if (!S::signalCommand(group, QStringLiteral("TERM")).contains(QString::number(group)))
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size == 0)
        return 0;
    const QByteArray text(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));
    if (data[0] & 1)
        pid(text);
    else
        status(text);
    return 0;
}
