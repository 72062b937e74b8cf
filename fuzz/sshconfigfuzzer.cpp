// libFuzzer entry for our own reading of ~/.ssh/config (core/ssh/sshconfigfile.cpp):
// SshConfigFile::read (tokenizing, Keyword=value, quotes, Host/Match blocks, Include with
// glob and nesting), then aliases(), settingsFor() each alias, hostMatches() and
// parseProxyJump() on what the file says.
//
// Input: byte 0 configures, the rest is the config file and, after the first NUL byte, the
// file `extra.conf` beside it. Both are written to a temporary folder of this process that
// stands in for ~/.ssh.
//   bit 0  "Include extra.conf" is appended to the config     bit 1  ... and put first
//   bit 2  extra.conf is not written (an Include of a missing file)
// Include arguments are kept inside that folder: an input whose Include names a path with a
// '/' or ':' (absolute, ~/..., a Qt resource) is skipped, so the fuzzer never reads the rest
// of the machine. Crashes, sanitizer reports and broken invariants are the findings.
// Findings so far: docs/FUZZING.md; their reproducers: fuzz/regressions/sshconfig.

#include "core/ssh/sshconfigfile.h"

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QSet>
#include <QTemporaryDir>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using namespace gpuwb;
using namespace Qt::StringLiterals;

namespace {

// The keyword of a line as SshConfigFile's parser finds it (same trimming, same split).
bool includesOutside(const QByteArray &file)
{
    for (const QString &raw : QString::fromUtf8(file).split(u'\n')) {
        const QString line = raw.trimmed();
        qsizetype split = 0;
        while (split < line.size() && !line.at(split).isSpace() && line.at(split) != u'=')
            ++split;
        if (line.left(split).toLower() != u"include"_s)
            continue;
        const QString rest = line.mid(split);
        if (rest.contains(u'/') || rest.contains(u':'))
            return true;
    }
    return false;
}

bool write(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(bytes) == bytes.size();
}

void checkSettings(const SshHostSettings &s)
{
    if (s.port < 0 || s.port > 65535)
        std::abort(); // Port lines are checked when read
    if (QSet<QString>(s.identityFiles.cbegin(), s.identityFiles.cend()).size()
        != s.identityFiles.size())
        std::abort();
    for (const SshJumpHop &hop : SshConfigFile::parseProxyJump(s.proxyJump))
        (void)hop.host.size();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static QTemporaryDir home(QDir::tempPath() + u"/gpuwb-fuzz-sshconfig-XXXXXX"_s);
    if (!home.isValid())
        std::abort();
    if (size == 0)
        return 0;
    const std::uint8_t config = data[0];
    QByteArray main(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));
    QByteArray extra;
    if (const qsizetype cut = main.indexOf('\0'); cut >= 0) {
        extra = main.mid(cut + 1);
        main.truncate(cut);
    }
    if (config & 1)
        main.append("\nInclude extra.conf\n");
    if (config & 2)
        main.prepend("Include extra.conf\n");
    if (includesOutside(main) || includesOutside(extra))
        return -1; // not added to the corpus

    SshPaths paths;
    paths.sshDir = home.path();
    paths.configFile = home.filePath(u"config"_s);
    paths.knownHostsFile = home.filePath(u"known_hosts"_s);
    const QString extraFile = home.filePath(u"extra.conf"_s);
    if (!write(paths.configFile, main))
        std::abort();
    if (config & 4)
        QFile::remove(extraFile);
    else if (!write(extraFile, extra))
        std::abort();

    const Result<SshConfigFile> read = SshConfigFile::read(paths);
    if (!read) {
        const QString &code = read.error().code;
        if ((code != ErrorCode::ConfigMalformed && code != ErrorCode::ConfigUnreadable)
            || read.error().message.isEmpty())
            std::abort();
        return 0;
    }
    const SshConfigFile &file = *read;
    for (const SshConfigEntry &e : file.entries) {
        if (e.block < -1 || e.block >= file.blocks.size() || e.keyword.isEmpty()
            || e.args.size() < 2 || e.line < 1)
            std::abort();
    }

    // A Host line without negations applies to each concrete name it lists.
    for (const SshConfigBlock &b : file.blocks) {
        if (b.isMatch)
            continue;
        bool negated = false;
        for (const QString &p : b.patterns)
            negated = negated || p.startsWith(u'!');
        if (negated)
            continue;
        for (const QString &word : b.patterns) {
            if (SshConfigFile::isPattern(word))
                continue;
            if (!SshConfigFile::hostMatches(b.patterns, word))
                std::abort();
        }
    }

    const QList<std::pair<QString, QString>> aliases = file.aliases();
    QSet<QString> seen;
    QStringList names{u"gpu-box"_s};
    for (const auto &[alias, from] : aliases) {
        if (SshConfigFile::isPattern(alias) || seen.contains(alias) || from.isEmpty())
            std::abort(); // each concrete alias once
        seen.insert(alias);
        if (names.size() < 16)
            names << alias;
    }
    for (const QString &name : std::as_const(names)) {
        const SshHostSettings s = file.settingsFor(name, paths);
        checkSettings(s);
        for (qsizetype i = 0; i < file.blocks.size() && i < 16; ++i)
            (void)SshConfigFile::hostMatches(file.blocks.at(i).patterns, name);
    }
    // ProxyJump values as written, whatever block they are in.
    for (const SshConfigEntry &e : file.entries) {
        if (e.keyword == u"proxyjump"_s)
            (void)SshConfigFile::parseProxyJump(e.args.mid(1).join(u' '));
    }
    return 0;
}
