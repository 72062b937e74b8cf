#include "core/ssh/sshconfigfile.h"

#include "core/util/wildcard.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSet>

#include <glob.h>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

constexpr int kMaxIncludeDepth = 16;

struct Parser
{
    const SshPaths &paths;
    SshConfigFile &config;
    int currentBlock = -1;

    Status parseFile(const QString &file, int depth);
    Status parseLine(const QString &file, int lineNo, const QString &line, int depth);
    Status include(const QString &file, int lineNo, const QStringList &args, int depth);
};

Error malformed(const QString &file, int line, const QString &what)
{
    return Error{ErrorCode::ConfigMalformed,
                 u"%1 line %2: %3. Fix that line of the SSH configuration and reload."_s
                     .arg(file).arg(line).arg(what)};
}

// Splits a line into words as OpenSSH does: whitespace separates, double quotes group.
std::optional<QStringList> tokenize(const QString &text)
{
    QStringList words;
    QString word;
    bool inQuote = false;
    bool hasWord = false;
    for (const QChar c : text) {
        if (c == u'"') {
            inQuote = !inQuote;
            hasWord = true;
        } else if (!inQuote && c.isSpace()) {
            if (hasWord)
                words << word;
            word.clear();
            hasWord = false;
        } else {
            word += c;
            hasWord = true;
        }
    }
    if (inQuote)
        return std::nullopt;
    if (hasWord)
        words << word;
    return words;
}

Status Parser::parseFile(const QString &file, int depth)
{
    if (depth > kMaxIncludeDepth)
        return Error{ErrorCode::ConfigMalformed,
                     u"%1: too many nested Include levels (more than %2)."_s.arg(file)
                         .arg(kMaxIncludeDepth)};
    QFile f(file);
    if (!f.exists())
        return {};
    if (!f.open(QIODevice::ReadOnly))
        return Error{ErrorCode::ConfigUnreadable,
                     u"Cannot read %1: %2. Check its permissions."_s.arg(file, f.errorString())};
    const QByteArray data = f.readAll();
    const QStringList lines = QString::fromUtf8(data).split(u'\n');
    for (int i = 0; i < lines.size(); ++i) {
        Status s = parseLine(file, i + 1, lines.at(i), depth);
        if (!s)
            return s;
    }
    return {};
}

Status Parser::parseLine(const QString &file, int lineNo, const QString &raw, int depth)
{
    QString line = raw.trimmed();
    if (line.isEmpty() || line.startsWith(u'#'))
        return {};
    // "Keyword=value" and "Keyword value" are both allowed.
    qsizetype split = 0;
    while (split < line.size() && !line.at(split).isSpace() && line.at(split) != u'=')
        ++split;
    const QString keyword = line.left(split).toLower();
    QString rest = line.mid(split).trimmed();
    if (rest.startsWith(u'='))
        rest = rest.mid(1).trimmed();
    if (keyword.isEmpty())
        return malformed(file, lineNo, u"a line without a keyword"_s);
    static const QRegularExpression keywordRe(u"^[a-z0-9]+$"_s);
    if (!keywordRe.match(keyword).hasMatch())
        return malformed(file, lineNo, u"\"%1\" is not a keyword"_s.arg(line.left(split)));
    const std::optional<QStringList> args = tokenize(rest);
    if (!args)
        return malformed(file, lineNo, u"an unterminated quote"_s);
    if (args->isEmpty())
        return malformed(file, lineNo, u"%1 needs a value"_s.arg(line.left(split)));
    if (keyword == u"port"_s) {
        bool ok = false;
        const int port = args->first().toInt(&ok);
        if (!ok || port < 1 || port > 65535)
            return malformed(file, lineNo, u"bad port \"%1\""_s.arg(args->first()));
    }

    SshConfigEntry entry;
    entry.file = file;
    entry.line = lineNo;
    entry.keyword = keyword;
    entry.args = *args;
    // Keep the spelling of the file for the list of unsupported keywords.
    entry.args.prepend(line.left(split));

    if (keyword == u"host"_s || keyword == u"match"_s) {
        SshConfigBlock block;
        block.isMatch = keyword == u"match"_s;
        block.patterns = *args;
        config.blocks << block;
        currentBlock = int(config.blocks.size() - 1);
    }
    entry.block = currentBlock;
    config.entries << entry;
    if (keyword == u"include"_s)
        return include(file, lineNo, *args, depth);
    return {};
}

Status Parser::include(const QString &file, int lineNo, const QStringList &args, int depth)
{
    const int blockBefore = currentBlock;
    for (const QString &arg : args) {
        QString pattern = arg;
        if (pattern.startsWith(u"~/"_s))
            pattern = QDir::homePath() + pattern.mid(1);
        else if (!QDir::isAbsolutePath(pattern))
            pattern = paths.sshDir + u'/' + pattern;
        glob_t g{};
        const int rc = ::glob(QFile::encodeName(pattern).constData(), 0, nullptr, &g);
        QStringList matches;
        if (rc == 0) {
            for (size_t i = 0; i < g.gl_pathc; ++i)
                matches << QFile::decodeName(g.gl_pathv[i]);
        }
        globfree(&g);
        if (rc != 0 && rc != GLOB_NOMATCH)
            return malformed(file, lineNo, u"cannot expand Include \"%1\""_s.arg(arg));
        for (const QString &m : std::as_const(matches)) {
            if (QFileInfo(m).isDir())
                continue;
            Status s = parseFile(m, depth + 1);
            if (!s)
                return s;
        }
    }
    currentBlock = blockBefore;
    return {};
}

} // namespace

Result<SshConfigFile> SshConfigFile::read(const SshPaths &paths)
{
    SshConfigFile config;
    Parser parser{paths, config};
    Status s = parser.parseFile(paths.configFile, 0);
    if (!s)
        return s.error();
    return config;
}

bool SshConfigFile::isPattern(const QString &word)
{
    return word.contains(u'*') || word.contains(u'?') || word.startsWith(u'!');
}

bool SshConfigFile::hostMatches(const QStringList &patterns, const QString &alias)
{
    bool matched = false;
    for (const QString &p : patterns) {
        const bool negated = p.startsWith(u'!');
        const QString pattern = negated ? p.mid(1) : p;
        // OpenSSH's patterns: only * and ? are special ("Host gpu[1]" is that name).
        if (wildcardMatch(alias, pattern, Qt::CaseInsensitive)) {
            if (negated)
                return false;
            matched = true;
        }
    }
    return matched;
}

bool SshConfigFile::libsshSupports(const QString &k)
{
    // libssh 0.11.5's keyword table, checked by parsing every keyword with its logging on:
    // these are applied; the rest it logs as "Unsupported", "Unapplicable" or unknown.
    static const QSet<QString> supported = {
        u"host"_s, u"match"_s, u"hostname"_s, u"port"_s, u"user"_s, u"identityfile"_s,
        u"ciphers"_s, u"macs"_s, u"compression"_s, u"connecttimeout"_s,
        u"stricthostkeychecking"_s, u"userknownhostsfile"_s, u"proxycommand"_s,
        u"gssapiserveridentity"_s, u"gssapiclientidentity"_s, u"gssapidelegatecredentials"_s,
        u"include"_s, u"bindaddress"_s, u"globalknownhostsfile"_s, u"loglevel"_s,
        u"hostkeyalgorithms"_s, u"kexalgorithms"_s, u"gssapiauthentication"_s,
        u"kbdinteractiveauthentication"_s, u"passwordauthentication"_s,
        u"pubkeyauthentication"_s, u"certificatefile"_s, u"identitiesonly"_s,
        u"identityagent"_s, u"proxyjump"_s, u"pubkeyacceptedalgorithms"_s,
        u"pubkeyacceptedkeytypes"_s, u"rekeylimit"_s,
        // Not libssh's, but the connection implements them itself.
        u"serveraliveinterval"_s, u"serveralivecountmax"_s};
    return supported.contains(k);
}

QList<std::pair<QString, QString>> SshConfigFile::aliases() const
{
    QList<std::pair<QString, QString>> result;
    QSet<QString> seen;
    for (const SshConfigEntry &e : entries) {
        if (e.keyword != u"host"_s)
            continue;
        for (qsizetype i = 1; i < e.args.size(); ++i) {
            const QString &word = e.args.at(i);
            if (isPattern(word) || seen.contains(word))
                continue;
            seen.insert(word);
            result.append({word, e.file});
        }
    }
    return result;
}

QString SshConfigFile::expandPath(const QString &path, const SshPaths &paths)
{
    QString p = path;
    p.replace(u"%d"_s, QDir::homePath());
    if (p.startsWith(u"~/"_s))
        p = QDir::homePath() + p.mid(1);
    else if (!QDir::isAbsolutePath(p))
        p = paths.sshDir + u'/' + p;
    return QDir::cleanPath(p);
}

SshHostSettings SshConfigFile::settingsFor(const QString &alias, const SshPaths &paths) const
{
    SshHostSettings s;
    QSet<QString> unsupported;
    bool seenKnownHosts = false;
    bool seenHash = false;
    for (const SshConfigEntry &e : entries) {
        if (e.keyword == u"host"_s || e.keyword == u"match"_s || e.keyword == u"include"_s)
            continue;
        if (e.block >= 0) {
            const SshConfigBlock &b = blocks.at(e.block);
            if (b.isMatch || !hostMatches(b.patterns, alias))
                continue;
        }
        const QString value = e.args.value(1);
        if (!libsshSupports(e.keyword) && !unsupported.contains(e.keyword)) {
            unsupported.insert(e.keyword);
            s.unsupportedKeywords << e.args.first();
        }
        if (e.keyword == u"hostname"_s && s.hostName.isEmpty())
            s.hostName = QString(value).replace(u"%h"_s, alias);
        else if (e.keyword == u"user"_s && s.user.isEmpty())
            s.user = value;
        else if (e.keyword == u"port"_s && s.port == 0)
            s.port = value.toInt();
        else if (e.keyword == u"proxyjump"_s && s.proxyJump.isEmpty())
            s.proxyJump = value;
        else if (e.keyword == u"identityfile"_s)
            s.identityFiles << expandPath(value, paths);
        else if (e.keyword == u"serveraliveinterval"_s && s.serverAliveInterval < 0)
            s.serverAliveInterval = value.toInt();
        else if (e.keyword == u"serveralivecountmax"_s && s.serverAliveCountMax < 0)
            s.serverAliveCountMax = value.toInt();
        else if (e.keyword == u"connecttimeout"_s && s.connectTimeout < 0)
            s.connectTimeout = value.toInt();
        else if (e.keyword == u"userknownhostsfile"_s && !seenKnownHosts) {
            seenKnownHosts = true;
            if (value.compare(u"none"_s, Qt::CaseInsensitive) != 0 && !value.isEmpty())
                s.userKnownHostsFile = expandPath(value, paths);
        } else if (e.keyword == u"stricthostkeychecking"_s && s.strictHostKeyChecking.isEmpty())
            s.strictHostKeyChecking = value.toLower();
        else if (e.keyword == u"hashknownhosts"_s && !seenHash) {
            seenHash = true;
            s.hashKnownHosts = value.compare(u"yes"_s, Qt::CaseInsensitive) == 0;
        }
    }
    s.identityFiles.removeDuplicates();
    return s;
}

QList<SshJumpHop> SshConfigFile::parseProxyJump(const QString &spec)
{
    QList<SshJumpHop> hops;
    if (spec.trimmed().isEmpty() || spec.trimmed().compare(u"none"_s, Qt::CaseInsensitive) == 0)
        return hops;
    for (QString part : spec.split(u',', Qt::SkipEmptyParts)) {
        part = part.trimmed();
        if (part.startsWith(u"ssh://"_s))
            part = part.mid(6);
        SshJumpHop hop;
        const qsizetype at = part.lastIndexOf(u'@');
        if (at >= 0) {
            hop.user = part.left(at);
            part = part.mid(at + 1);
        }
        if (part.startsWith(u'[')) {
            const qsizetype close = part.indexOf(u']');
            hop.host = part.mid(1, close - 1);
            if (close >= 0 && part.mid(close + 1).startsWith(u':'))
                hop.port = part.mid(close + 2).toInt();
        } else {
            const qsizetype colon = part.lastIndexOf(u':');
            if (colon >= 0) {
                hop.port = part.mid(colon + 1).toInt();
                part = part.left(colon);
            }
            hop.host = part;
        }
        hops << hop;
    }
    return hops;
}

} // namespace gpuwb
