// libFuzzer entry for the remote listing reader (core/sync/remotetree.cpp): FindOutputReader
// fed piece by piece, as RemoteCommand::run hands it the exec's output, and
// RemoteTree::parseFindOutput given the same bytes at once. The two must agree exactly.
//
// Input: byte 0 configures, the rest is the output of RemoteTree::findScript() as a host
// would send it (banner, "gpuwb-list NONCE", NUL-terminated records, "gpuwb-end NONCE N"),
// always with the nonce below.
//   bit 0    the text up to the first \x01 byte is a .gitignore at the root (ignore rules)
//   bits 1-7 seed the sizes of the pieces (1..256 bytes each, from a small PRNG)
// Crashes, sanitizer reports and any difference between the two results are the findings.

#include "core/sync/ignorerules.h"
#include "core/sync/remotetree.h"

#include <QByteArray>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>

using namespace gpuwb;
using namespace Qt::StringLiterals;

namespace {

const QByteArray kNonce = "n0nce42";

// Fields added to Item later (a link's target) are compared when the header has them.
template<typename Item>
bool sameItem(const Item &a, const Item &b)
{
    if constexpr (requires { a.linkTarget; }) {
        if (a.linkTarget != b.linkTarget)
            return false;
    }
    return a.size == b.size && a.mtime == b.mtime && a.mode == b.mode
        && a.isDirectory == b.isDirectory && a.kind == b.kind;
}

template<typename Item>
void checkLinkTarget(const Item &item)
{
    if constexpr (requires { item.linkTarget; }) {
        // Only a link has a target, and a link always has one.
        if (item.linkTarget.isEmpty() != (item.kind != RemoteTree::Kind::Symlink))
            std::abort();
    }
}

bool sameTree(const RemoteTree &a, const RemoteTree &b)
{
    if (a.rootExists != b.rootExists || a.leftovers != b.leftovers
        || a.items.size() != b.items.size())
        return false;
    for (auto it = a.items.cbegin(); it != a.items.cend(); ++it) {
        const auto other = b.items.constFind(it.key());
        if (other == b.items.cend() || !sameItem(*it, *other))
            return false;
    }
    return true;
}

bool sameOutcome(const std::optional<Result<RemoteTree>> &a,
                 const std::optional<Result<RemoteTree>> &b)
{
    if (a.has_value() != b.has_value())
        return false;
    if (!a)
        return true;
    if (a->ok() != b->ok())
        return false;
    if (!a->ok())
        return a->error().code == b->error().code && a->error().message == b->error().message;
    return sameTree(a->value(), b->value());
}

// What the reader promises about a listing it accepted (remotetree.h).
void checkTree(const RemoteTree &tree)
{
    if (!tree.rootExists)
        std::abort();
    for (auto it = tree.items.cbegin(); it != tree.items.cend(); ++it) {
        const QString &path = it.key();
        if (path.isEmpty() || path.startsWith(u'/') || path.endsWith(u'/')
            || path.contains(QChar(0)))
            std::abort();
        for (const QString &part : path.split(u'/')) {
            if (part.isEmpty() || part == u"."_s || part == u".."_s)
                std::abort(); // a path outside the folder was accepted
        }
        if (it->isDirectory != (it->kind == RemoteTree::Kind::Directory))
            std::abort();
        if (it->kind != RemoteTree::Kind::File && it->size != 0)
            std::abort();
        checkLinkTarget(*it);
    }
}

void checkError(const Result<RemoteTree> &r)
{
    if (!r.ok() && (r.error().code.isEmpty() || r.error().message.isEmpty()))
        std::abort(); // an error always says what happened
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size == 0)
        return 0;
    const std::uint8_t config = data[0];
    QByteArray output(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));

    IgnoreRules rules;
    if (config & 1) {
        const qsizetype cut = output.indexOf('\x01');
        if (cut >= 0) {
            rules.addPatterns(QString(), output.left(cut));
            output.remove(0, cut + 1);
        }
    }

    const std::optional<Result<RemoteTree>> whole =
        RemoteTree::parseFindOutput(output, kNonce, rules);

    // Pieces of 1..256 bytes from a xorshift seeded by the configuration and the length.
    FindOutputReader reader(kNonce, rules);
    std::uint32_t state = (std::uint32_t(config) << 16) ^ std::uint32_t(size) ^ 0x9E3779B9u;
    for (qsizetype at = 0; at < output.size();) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        const qsizetype piece = qsizetype(1 + (state >> ((config >> 1) % 24)) % 256);
        const bool more = reader.feed(QByteArrayView(output).mid(at, piece));
        at += piece;
        if (!more)
            break; // the caller stops reading here too
    }
    const std::optional<Result<RemoteTree>> pieces = reader.finish();

    if (!sameOutcome(whole, pieces))
        std::abort(); // the result depends on how the output was split
    if (whole) {
        checkError(*whole);
        if (whole->ok())
            checkTree(whole->value());
    }
    return 0;
}
