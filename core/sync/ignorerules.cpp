#include "core/sync/ignorerules.h"

#include <QList>

#include <optional>

namespace gpuwb {

namespace {

struct Rule
{
    QString base;     // folder the rule applies below, "" for the root
    QString pattern;  // without the leading '!' and '/', nor the trailing '/'
    bool negated = false;
    bool directoryOnly = false;
    bool anchored = false; // had a slash other than a trailing one: matches the whole path
};

// Matches a character class starting at p[i] == '['; sets *next past the closing ']'.
// Returns -1 when the class is malformed (then '[' is taken literally).
int matchClass(QStringView p, qsizetype i, QChar c, qsizetype *next)
{
    qsizetype j = i + 1;
    bool negate = false;
    if (j < p.size() && (p[j] == u'!' || p[j] == u'^')) {
        negate = true;
        ++j;
    }
    bool matched = false;
    bool first = true;
    while (j < p.size() && (first || p[j] != u']')) {
        first = false;
        QChar lo = p[j];
        if (lo == u'\\' && j + 1 < p.size())
            lo = p[++j];
        QChar hi = lo;
        if (j + 2 < p.size() && p[j + 1] == u'-' && p[j + 2] != u']') {
            hi = p[j + 2];
            if (hi == u'\\' && j + 3 < p.size()) {
                hi = p[j + 3];
                ++j;
            }
            j += 2;
        }
        if (c >= lo && c <= hi)
            matched = true;
        ++j;
    }
    if (j >= p.size())
        return -1;
    *next = j + 1;
    return (matched != negate) ? 1 : 0;
}

// gitignore's wildmatch: '*' and '?' never match '/', "**" as a whole component matches any
// number of folders.
bool glob(QStringView p, QStringView s)
{
    qsizetype pi = 0;
    qsizetype si = 0;
    while (pi < p.size()) {
        const QChar c = p[pi];
        if (c == u'*') {
            const bool atStart = pi == 0 || p[pi - 1] == u'/';
            if (pi + 1 < p.size() && p[pi + 1] == u'*' && atStart
                && (pi + 2 == p.size() || p[pi + 2] == u'/')) {
                if (pi + 2 == p.size())
                    return true; // trailing "**": everything below
                // "**/": zero or more whole folders.
                const QStringView rest = p.mid(pi + 3);
                for (qsizetype k = si; k <= s.size(); ++k) {
                    if ((k == si || s[k - 1] == u'/') && glob(rest, s.mid(k)))
                        return true;
                }
                return false;
            }
            qsizetype stars = pi;
            while (stars < p.size() && p[stars] == u'*')
                ++stars;
            const QStringView rest = p.mid(stars);
            for (qsizetype k = si; k <= s.size(); ++k) {
                if (glob(rest, s.mid(k)))
                    return true;
                if (k < s.size() && s[k] == u'/')
                    return false;
            }
            return false;
        }
        if (si >= s.size())
            return false;
        if (c == u'?') {
            if (s[si] == u'/')
                return false;
        } else if (c == u'[') {
            qsizetype next = 0;
            const int r = s[si] == u'/' ? 0 : matchClass(p, pi, s[si], &next);
            if (r == 0)
                return false;
            if (r == 1) {
                pi = next;
                ++si;
                continue;
            }
            if (s[si] != c) // malformed class: a literal '['
                return false;
        } else if (c == u'\\' && pi + 1 < p.size()) {
            ++pi;
            if (s[si] != p[pi])
                return false;
        } else if (s[si] != c) {
            return false;
        }
        ++pi;
        ++si;
    }
    return si == s.size();
}

std::optional<Rule> parseLine(const QString &base, QString line)
{
    if (line.endsWith(u'\r'))
        line.chop(1);
    // Trailing spaces go unless escaped with a backslash.
    while (line.endsWith(u' ') && !(line.size() >= 2 && line[line.size() - 2] == u'\\'))
        line.chop(1);
    if (line.isEmpty() || line.startsWith(u'#'))
        return std::nullopt;
    Rule rule;
    rule.base = base;
    if (line.startsWith(u'!')) {
        rule.negated = true;
        line.remove(0, 1);
    } else if (line.startsWith(u"\\!") || line.startsWith(u"\\#")) {
        line.remove(0, 1);
    }
    if (line.endsWith(u'/')) {
        rule.directoryOnly = true;
        while (line.endsWith(u'/'))
            line.chop(1);
    }
    if (line.contains(u'/'))
        rule.anchored = true;
    while (line.startsWith(u'/'))
        line.remove(0, 1);
    if (line.isEmpty())
        return std::nullopt;
    rule.pattern = line;
    return rule;
}

} // namespace

// Rules from ignore files (addPatterns) are kept in the order they were added, so a deeper
// .gitignore (added after its parents by the walk) wins; rules from addPattern (the project's
// .gpuwbignore and the sync's extra patterns) come after all of them and so win over every
// .gitignore: "!data/" in .gpuwbignore syncs a folder that git ignores.
struct IgnoreRules::Data
{
    QList<Rule> fileRules;
    QList<Rule> overrideRules;
};

IgnoreRules::IgnoreRules() : d(std::make_unique<Data>()) {}
IgnoreRules::~IgnoreRules() = default;
IgnoreRules::IgnoreRules(const IgnoreRules &other) : d(std::make_unique<Data>(*other.d)) {}
IgnoreRules &IgnoreRules::operator=(const IgnoreRules &other)
{
    *d = *other.d;
    return *this;
}

void IgnoreRules::addPatterns(const QString &baseDir, const QByteArray &fileText)
{
    const QString text = QString::fromUtf8(fileText);
    QString base = baseDir;
    while (base.endsWith(u'/'))
        base.chop(1);
    for (const QString &line : text.split(u'\n')) {
        if (auto rule = parseLine(base, line))
            d->fileRules.append(*rule);
    }
}

void IgnoreRules::addPattern(const QString &pattern)
{
    if (auto rule = parseLine(QString(), pattern))
        d->overrideRules.append(*rule);
}

static int decide(const QList<Rule> &rules, const QString &path, QStringView name,
                  bool isDirectory, int verdict)
{
    for (const Rule &rule : rules) {
        if (rule.directoryOnly && !isDirectory)
            continue;
        QStringView relative = path;
        if (!rule.base.isEmpty()) {
            if (!path.startsWith(rule.base) || path.size() <= rule.base.size()
                || path[rule.base.size()] != u'/')
                continue;
            relative = QStringView(path).mid(rule.base.size() + 1);
        }
        const bool match = rule.anchored ? glob(rule.pattern, relative) : glob(rule.pattern, name);
        if (match)
            verdict = rule.negated ? 0 : 1;
    }
    return verdict;
}

bool IgnoreRules::matchesItself(const QString &path, bool isDirectory) const
{
    const qsizetype slash = path.lastIndexOf(u'/');
    const QStringView name = QStringView(path).mid(slash + 1);
    if (name == u".git")
        return true;
    int verdict = decide(d->fileRules, path, name, isDirectory, 0);
    verdict = decide(d->overrideRules, path, name, isDirectory, verdict);
    return verdict == 1;
}

bool IgnoreRules::isIgnored(const QString &path, bool isDirectory) const
{
    if (path.isEmpty())
        return false;
    // As in git, nothing inside an ignored folder can be re-included.
    for (qsizetype i = path.indexOf(u'/'); i > 0; i = path.indexOf(u'/', i + 1)) {
        if (matchesItself(path.left(i), true))
            return true;
    }
    return matchesItself(path, isDirectory);
}

bool IgnoreRules::isIgnoredHere(const QString &path, bool isDirectory) const
{
    return !path.isEmpty() && matchesItself(path, isDirectory);
}

} // namespace gpuwb
