// libFuzzer entry for gpuwb.toml (core/jobs/runconfig.cpp): the TOML-subset reader
// RunConfigIo::parseRunConfig and the writers that take text, each checked by reading back
// what it wrote: serializeRunConfig, updateRunConfigText (format-preserving), writtenTarget
// and setTargetInText.
//
// Input: byte 0 configures, the rest is a gpuwb.toml.
//   bit 0    the text is two files A and B, split at the first NUL byte: A is updated to say
//            what B says (updateRunConfigText(A, parse(B)))
//   bits 1-2 the target written into A by setTargetInText: "local", "auto", "ssh:" plus the
//            first bytes of B (or "ssh:gpu-box"), or B's own target
// Crashes, sanitizer reports and broken round trips are the findings.
//
// Findings so far: docs/FUZZING.md; their reproducers: fuzz/regressions/runconfig.

#include "core/jobs/runconfig.h"

#include <QByteArray>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using namespace gpuwb;
using namespace Qt::StringLiterals;
namespace R = RunConfigIo;

namespace {

// A file that does not parse is an Error naming its line; one that does is a RunConfig with
// a command (the only required key).
Result<RunConfig> parse(const QByteArray &text)
{
    Result<RunConfig> r = R::parseRunConfig(text);
    if (!r) {
        if (r.error().code != ErrorCode::RunConfig
            || !r.error().message.startsWith(u"gpuwb.toml line "_s))
            std::abort();
    } else if (r->command.trimmed().isEmpty() || r->workdir.isEmpty() || r->target.isEmpty()
               || r->origin != u"gpuwb.toml"_s) {
        std::abort();
    }
    return r;
}

// `text` must parse and say exactly `config`.
void expectSays(const QByteArray &text, const RunConfig &config)
{
    const Result<RunConfig> back = parse(text);
    if (!back || !(*back == config))
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size == 0)
        return 0;
    const std::uint8_t config = data[0];
    QByteArray a(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));
    QByteArray b;
    if (config & 1) {
        const qsizetype cut = a.indexOf('\0');
        if (cut >= 0) {
            b = a.mid(cut + 1);
            a.truncate(cut);
        }
    }

    const Result<RunConfig> ra = parse(a);
    const Result<RunConfig> rb = b.isEmpty() ? Result<RunConfig>(Error{}) : parse(b);
    const QString written = R::writtenTarget(a);

    QString target;
    switch ((config >> 1) & 3) {
    case 0: target = u"local"_s; break;
    case 1: target = u"auto"_s; break;
    case 2:
        target = b.isEmpty() ? u"ssh:gpu-box"_s : u"ssh:"_s + QString::fromUtf8(b.left(24));
        break;
    default: target = rb ? rb->target : u"ssh:gpu-box"_s; break;
    }
    const QByteArray retargeted = R::setTargetInText(a, target);

    if (!ra)
        return 0;
    // serializeRunConfig writes what was read.
    expectSays(R::serializeRunConfig(*ra), *ra);
    // Updating a file to say what it already says keeps its meaning.
    expectSays(R::updateRunConfigText(a, *ra), *ra);
    // Updating it to say what another file says makes it say that.
    if (rb)
        expectSays(R::updateRunConfigText(a, *rb), *rb);
    // writtenTarget reads the key the parser read ("local" when the file has none).
    if ((written.isEmpty() ? u"local"_s : written) != ra->target)
        std::abort();
    // setTargetInText changes the target and nothing else.
    RunConfig want = *ra;
    want.target = target;
    expectSays(retargeted, want);
    if (R::writtenTarget(retargeted) != target)
        std::abort();
    return 0;
}
