#include "core/jobs/runconfig.h"

#include "core/util/shellquote.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSet>
#include <QStringDecoder>

#include <algorithm>
#include <optional>

using namespace Qt::StringLiterals;

namespace gpuwb::RunConfigIo {

namespace {

const QStringList TopLevelKeys{u"name"_s,  u"command"_s,   u"workdir"_s,   u"target"_s,
                               u"setup"_s, u"artifacts"_s, u"remote_dir"_s};
constexpr qint64 MaxConfigBytes = 1 << 20;

// One line's decoder: a sequence the line cuts off is an error (not held for a next call), and
// a byte-order mark inside the file stays a character (only the file's first is dropped).
QStringDecoder lineDecoder()
{
    return QStringDecoder(QStringDecoder::Utf8,
                          QStringDecoder::Flag::Stateless | QStringDecoder::Flag::ConvertInitialBom);
}

Error lineError(int line, const QString &what)
{
    return Error{ErrorCode::RunConfig, u"gpuwb.toml line %1: %2"_s.arg(line).arg(what)};
}

int editDistance(const QString &a, const QString &b)
{
    QList<int> prev(b.size() + 1), cur(b.size() + 1);
    for (qsizetype j = 0; j <= b.size(); ++j)
        prev[j] = int(j);
    for (qsizetype i = 1; i <= a.size(); ++i) {
        cur[0] = int(i);
        for (qsizetype j = 1; j <= b.size(); ++j) {
            const int cost = a.at(i - 1).toLower() == b.at(j - 1).toLower() ? 0 : 1;
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

bool isBareKeyChar(QChar c)
{
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9')
           || c == u'_' || c == u'-';
}

bool isEnvName(const QString &name)
{
    static const QRegularExpression re(u"^[A-Za-z_][A-Za-z0-9_]*$"_s);
    return re.match(name).hasMatch();
}

// Reads one line of the file, keeping a cursor; every failure is an Error naming the line.
class LineReader
{
public:
    LineReader(QString text, int lineNumber) : m_text(std::move(text)), m_line(lineNumber) {}

    void skipSpace()
    {
        while (m_pos < m_text.size() && (m_text[m_pos] == u' ' || m_text[m_pos] == u'\t'))
            ++m_pos;
    }
    bool atEnd() const { return m_pos >= m_text.size(); }
    bool atEndOrComment() const { return atEnd() || m_text[m_pos] == u'#'; }
    QChar peek() const { return atEnd() ? QChar() : m_text[m_pos]; }
    void advance() { ++m_pos; }
    QString rest() const { return m_text.mid(m_pos); }
    int column() const { return int(m_pos) + 1; }
    qsizetype position() const { return m_pos; }
    int line() const { return m_line; }

    Result<QString> readKey()
    {
        if (peek() == u'"' || peek() == u'\'')
            return readString();
        const qsizetype start = m_pos;
        while (!atEnd() && isBareKeyChar(m_text[m_pos]))
            ++m_pos;
        if (m_pos == start)
            return lineError(m_line, u"expected a setting such as command = \"./run.sh\", found "
                                     "\"%1\""_s.arg(m_text.trimmed()));
        return m_text.mid(start, m_pos - start);
    }

    // A "basic" or 'literal' string at the cursor.
    Result<QString> readString()
    {
        const QChar quote = peek();
        const int startColumn = column();
        if (m_text.mid(m_pos, 3) == QString(3, quote))
            return lineError(m_line, u"multi-line strings are not supported; write the value on "
                                     "one line, with \\n for a line break inside \"...\""_s);
        advance();
        QString value;
        while (!atEnd()) {
            const QChar c = m_text[m_pos++];
            if (c == quote)
                return value;
            if (c.unicode() < 0x20 && c != u'\t')
                return lineError(m_line, u"a control character (U+%1) inside a string; write it "
                                         "as an escape such as \\n or \\t inside \"...\""_s
                                             .arg(QString::number(uint(c.unicode()), 16).rightJustified(4, u'0')));
            if (c != u'\\' || quote == u'\'') {
                value += c;
                continue;
            }
            if (atEnd())
                break;
            const QChar e = m_text[m_pos++];
            switch (e.unicode()) {
            case u'"': value += u'"'; break;
            case u'\\': value += u'\\'; break;
            case u'n': value += u'\n'; break;
            case u't': value += u'\t'; break;
            case u'r': value += u'\r'; break;
            case u'b': value += u'\b'; break;
            case u'f': value += u'\f'; break;
            case u'u':
            case u'U': {
                const int digits = e == u'u' ? 4 : 8;
                bool ok = false;
                const uint cp = m_text.mid(m_pos, digits).toUInt(&ok, 16);
                if (!ok || m_text.mid(m_pos, digits).size() != digits || cp > 0x10FFFF
                    || (cp >= 0xD800 && cp <= 0xDFFF))
                    return lineError(m_line, u"\\%1 must be followed by %2 hex digits of a "
                                             "Unicode character"_s.arg(e).arg(digits));
                m_pos += digits;
                const char32_t c32 = cp;
                value += QString::fromUcs4(&c32, 1);
                break;
            }
            default:
                return lineError(m_line, u"unknown escape \\%1 in a string; write \\\\ for a "
                                         "backslash, or use a 'literal string' where backslashes "
                                         "are plain"_s.arg(e));
            }
        }
        return lineError(m_line, u"the string that starts at column %1 has no closing %2; end "
                                 "it with %2 on the same line"_s.arg(startColumn).arg(quote));
    }

private:
    QString m_text;
    qsizetype m_pos = 0;
    int m_line;
};

QString quoted(const QString &value)
{
    QString out = u"\""_s;
    for (QChar c : value) {
        switch (c.unicode()) {
        case u'"': out += u"\\\""_s; break;
        case u'\\': out += u"\\\\"_s; break;
        case u'\n': out += u"\\n"_s; break;
        case u'\t': out += u"\\t"_s; break;
        case u'\r': out += u"\\r"_s; break;
        default:
            if (c.unicode() < 0x20 || c.unicode() == 0x7F)
                out += u"\\u%1"_s.arg(QString::number(uint(c.unicode()), 16).rightJustified(4, u'0'));
            else
                out += c;
        }
    }
    return out + u'"';
}

QString artifactsText(const QStringList &globs)
{
    QStringList items;
    for (const QString &g : globs)
        items.append(quoted(g));
    return u"["_s + items.join(u", "_s) + u"]"_s;
}

// The value text of each top-level key as serializeRunConfig writes it; empty for a default.
QMap<QString, QString> topValues(const RunConfig &c)
{
    const auto text = [](const QString &v) { return v.isEmpty() ? QString() : quoted(v); };
    return {{u"name"_s, text(c.name)},
            {u"command"_s, text(c.command)},
            {u"workdir"_s, c.workdir == u"."_s ? QString() : text(c.workdir)},
            {u"target"_s, c.target == u"local"_s ? QString() : text(c.target)},
            {u"setup"_s, text(c.setup)},
            {u"artifacts"_s, c.artifacts.isEmpty() ? QString() : artifactsText(c.artifacts)},
            {u"remote_dir"_s, text(c.remoteDir)}};
}

QString keyText(const QString &key)
{
    const bool bare = !key.isEmpty() && std::all_of(key.begin(), key.end(), isBareKeyChar);
    return bare ? key : quoted(key);
}

QString firstExecutable(const QString &cmake, QString *projectName)
{
    QString text;
    // Drop # comments (a '#' inside a quoted argument is rare in these two commands).
    for (const QString &line : cmake.split(u'\n')) {
        const qsizetype hash = line.indexOf(u'#');
        text += (hash >= 0 ? line.left(hash) : line) + u'\n';
    }
    static const QRegularExpression projectRe(u"\\bproject\\s*\\(\\s*\"?([A-Za-z0-9_.+-]+)"_s,
                                              QRegularExpression::CaseInsensitiveOption);
    if (const auto m = projectRe.match(text); m.hasMatch())
        *projectName = m.captured(1);
    static const QRegularExpression exeRe(u"\\badd_executable\\s*\\(([^)]*)\\)"_s,
                                          QRegularExpression::CaseInsensitiveOption);
    for (auto it = exeRe.globalMatch(text); it.hasNext();) {
        const QString argText = it.next().captured(1).trimmed();
        QString name;
        QString rest;
        if (argText.startsWith(u'"')) { // a quoted target name may hold spaces
            const qsizetype close = argText.indexOf(u'"', 1);
            if (close < 0)
                continue;
            name = argText.mid(1, close - 1);
            rest = argText.mid(close + 1);
        } else {
            name = argText.section(QRegularExpression(u"\\s+"_s), 0, 0);
            rest = argText.mid(name.size());
        }
        const QStringList args = rest.simplified().split(u' ', Qt::SkipEmptyParts);
        if (args.contains(u"IMPORTED"_s) || args.contains(u"ALIAS"_s))
            continue;
        if (!projectName->isEmpty())
            name.replace(u"${PROJECT_NAME}"_s, *projectName);
        if (!name.contains(u"${"_s) && !name.isEmpty())
            return name;
    }
    return {};
}

// "./name" for running a file in the working directory, quoted for the shell.
QString runLocal(const QString &file)
{
    return shellQuote(u"./"_s + file);
}

// A file name as a command argument: quoted, and never mistaken for an option.
QString fileArgument(const QString &file)
{
    return shellQuote(file.startsWith(u'-') ? u"./"_s + file : file);
}

} // namespace

Result<RunConfig> parseRunConfig(const QByteArray &text)
{
    RunConfig config;
    config.origin = u"gpuwb.toml"_s;
    QByteArrayView data(text);
    if (data.startsWith("\xEF\xBB\xBF"))
        data = data.sliced(3);

    QHash<QString, int> seenTop;
    QHash<QString, int> seenEnv;
    int envTableLine = 0;
    bool inEnv = false;
    int lineNumber = 0;
    qsizetype pos = 0;
    while (pos <= data.size()) {
        qsizetype end = data.indexOf('\n', pos);
        if (end < 0)
            end = data.size();
        QByteArrayView raw = data.sliced(pos, end - pos);
        pos = end + 1;
        ++lineNumber;
        if (raw.endsWith('\r'))
            raw.chop(1);
        QStringDecoder decoder = lineDecoder();
        QString lineText = decoder(raw);
        if (decoder.hasError())
            return lineError(lineNumber, u"the text is not valid UTF-8; save gpuwb.toml as UTF-8"_s);

        LineReader r(lineText, lineNumber);
        r.skipSpace();
        if (r.atEndOrComment())
            continue;
        if (r.peek() == u'[') {
            r.advance();
            QString table;
            while (!r.atEnd() && r.peek() != u']') {
                table += r.peek();
                r.advance();
            }
            if (r.atEnd())
                return lineError(lineNumber, u"the table name has no closing ]; write [env]"_s);
            r.advance();
            r.skipSpace();
            if (!r.atEndOrComment())
                return lineError(lineNumber, u"unexpected text after [%1]; put comments after a #"_s
                                                 .arg(table.trimmed()));
            if (table.trimmed() != u"env"_s)
                return lineError(lineNumber, u"unknown table [%1]; the only table is [env], for "
                                             "environment variables"_s.arg(table.trimmed()));
            if (envTableLine)
                return lineError(lineNumber, u"[env] appears twice (first on line %1); keep all "
                                             "variables under one [env]"_s.arg(envTableLine));
            envTableLine = lineNumber;
            inEnv = true;
            continue;
        }
        Result<QString> key = r.readKey();
        if (!key)
            return key.error();
        r.skipSpace();
        if (r.peek() != u'=')
            return lineError(lineNumber, u"expected = after %1; write %1 = \"...\""_s.arg(*key));
        r.advance();
        r.skipSpace();
        if (!inEnv && *key == u"artifacts"_s) {
            if (r.peek() != u'[')
                return lineError(lineNumber, u"artifacts must be a list of quoted globs; write "
                                             "artifacts = [\"outputs/*.png\", \"*.pt\"]"_s);
            r.advance();
            QStringList globs;
            for (;;) {
                r.skipSpace();
                if (r.peek() == u']') {
                    r.advance();
                    break;
                }
                if (r.peek() != u'"' && r.peek() != u'\'') {
                    return lineError(lineNumber,
                                     r.atEnd() ? u"the list of artifacts has no closing ]; "
                                                 "keep it on one line: artifacts = [\"*.pt\"]"_s
                                               : u"each artifact must be a quoted glob, such "
                                                 "as \"*.pt\""_s);
                }
                Result<QString> glob = r.readString();
                if (!glob)
                    return glob.error();
                if (glob->trimmed().isEmpty())
                    return lineError(lineNumber, u"an artifact glob is empty; remove it or "
                                                 "write one such as \"*.pt\""_s);
                globs.append(*glob);
                r.skipSpace();
                if (r.peek() == u',')
                    r.advance();
                else if (r.peek() != u']')
                    return lineError(lineNumber, u"expected , or ] in the list of artifacts"_s);
            }
            r.skipSpace();
            if (!r.atEndOrComment())
                return lineError(lineNumber, u"unexpected text after the list of artifacts: "
                                             "\"%1\"; put comments after a #"_s
                                                 .arg(r.rest().trimmed()));
            if (seenTop.contains(*key))
                return lineError(lineNumber, u"artifacts is set twice (first on line %1); keep "
                                             "one"_s.arg(seenTop.value(*key)));
            seenTop.insert(*key, lineNumber);
            config.artifacts = globs;
            continue;
        }
        if (r.peek() != u'"' && r.peek() != u'\'') {
            const QString found = r.rest().trimmed();
            return lineError(lineNumber,
                             found.isEmpty()
                                 ? u"%1 has no value; write %1 = \"...\""_s.arg(*key)
                                 : u"the value of %1 must be a quoted string; write %1 = %2"_s
                                       .arg(*key, quoted(found)));
        }
        Result<QString> value = r.readString();
        if (!value)
            return value.error();
        r.skipSpace();
        if (!r.atEndOrComment())
            return lineError(lineNumber, u"unexpected text after the value of %1: \"%2\"; put "
                                         "comments after a #"_s.arg(*key, r.rest().trimmed()));

        if (inEnv) {
            if (!isEnvName(*key))
                return lineError(lineNumber, u"\"%1\" is not a valid environment variable name; "
                                             "use letters, digits and _, not starting with a "
                                             "digit"_s.arg(*key));
            if (seenEnv.contains(*key))
                return lineError(lineNumber, u"%1 is set twice in [env] (first on line %2); keep "
                                             "one"_s.arg(*key).arg(seenEnv.value(*key)));
            seenEnv.insert(*key, lineNumber);
            config.env.insert(*key, *value);
            continue;
        }
        if (!TopLevelKeys.contains(*key)) {
            QString hint;
            for (const QString &known : TopLevelKeys)
                if (editDistance(*key, known) <= 2)
                    hint = u" (did you mean %1?)"_s.arg(known);
            return lineError(lineNumber, u"unknown setting \"%1\"%2; the settings are name, "
                                         "command, workdir, target, setup, artifacts and remote_dir, "
                                         "and environment variables "
                                         "go under [env]"_s.arg(*key, hint));
        }
        if (seenTop.contains(*key))
            return lineError(lineNumber, u"%1 is set twice (first on line %2); keep one"_s.arg(*key)
                                             .arg(seenTop.value(*key)));
        seenTop.insert(*key, lineNumber);
        if (*key == u"name"_s) {
            config.name = *value;
        } else if (*key == u"command"_s) {
            if (value->trimmed().isEmpty())
                return lineError(lineNumber, u"command is empty; write the command line to run, "
                                             "e.g. command = \"./run.sh\""_s);
            config.command = *value;
        } else if (*key == u"workdir"_s) {
            if (value->isEmpty())
                return lineError(lineNumber, u"workdir is empty; write workdir = \".\" for the "
                                             "project folder"_s);
            config.workdir = *value;
        } else if (*key == u"target"_s) {
            if (value->isEmpty())
                return lineError(lineNumber, u"target is empty; write target = \"local\""_s);
            if (*value != u"local"_s && *value != u"auto"_s
                && (!value->startsWith(u"ssh:"_s) || value->size() == 4))
                return lineError(lineNumber, u"unknown target \"%1\"; write \"local\", "
                                             "\"auto\" or \"ssh:<host alias>\""_s.arg(*value));
            config.target = *value;
        } else if (*key == u"setup"_s) {
            config.setup = *value;
        } else if (*key == u"remote_dir"_s) {
            config.remoteDir = *value;
        }
    }
    if (!seenTop.contains(u"command"_s)) {
        // Names the last line: where a person would add it (or move it, from under [env]).
        const int lastLine = std::max(data.endsWith('\n') ? lineNumber - 1 : lineNumber, 1);
        return Error{ErrorCode::RunConfig, u"gpuwb.toml line %1: the file has no command; add a line "
                                      "such as command = \"./run.sh\" before [env]"_s
                                          .arg(lastLine)};
    }
    return config;
}

QByteArray serializeRunConfig(const RunConfig &config)
{
    QString out = u"# GPU Workbench run configuration\n"_s;
    if (!config.name.isEmpty())
        out += u"name = "_s + quoted(config.name) + u'\n';
    out += u"command = "_s + quoted(config.command) + u'\n';
    if (config.workdir != u"."_s)
        out += u"workdir = "_s + quoted(config.workdir) + u'\n';
    if (config.target != u"local"_s)
        out += u"target = "_s + quoted(config.target) + u'\n';
    if (!config.setup.isEmpty())
        out += u"setup = "_s + quoted(config.setup) + u'\n';
    if (!config.artifacts.isEmpty())
        out += u"artifacts = "_s + artifactsText(config.artifacts) + u'\n';
    if (!config.remoteDir.isEmpty())
        out += u"remote_dir = "_s + quoted(config.remoteDir) + u'\n';
    if (!config.env.isEmpty()) {
        out += u"\n[env]\n"_s;
        for (auto it = config.env.cbegin(); it != config.env.cend(); ++it)
            out += keyText(it.key()) + u" = "_s + quoted(it.value()) + u'\n';
    }
    return out.toUtf8();
}

// The key of one `key = value` line of a file that parsed: an [env] key is found by parsing
// the line on its own, so quoted keys work too.
static QString lineKey(const QString &line, bool inEnv)
{
    if (!inEnv) {
        LineReader r(line, 0);
        r.skipSpace();
        const Result<QString> key = r.readKey();
        return key ? *key : QString();
    }
    const auto one = parseRunConfig("command = 'x'\n[env]\n" + line.toUtf8() + '\n');
    return one.ok() && one->env.size() == 1 ? one->env.firstKey() : QString();
}

QByteArray updateRunConfigText(const QByteArray &existing, const RunConfig &config)
{
    const auto parsed = parseRunConfig(existing);
    if (!parsed.ok())
        return serializeRunConfig(config);
    const RunConfig &was = parsed.value();
    const QMap<QString, QString> oldTop = topValues(was);
    const QMap<QString, QString> top = topValues(config);
    QStringList lines = QString::fromUtf8(existing).split(u'\n');
    if (!lines.isEmpty() && lines.last().isEmpty())
        lines.removeLast();
    QStringList out;
    QSet<QString> seenTop, seenEnv;
    bool inEnv = false, hadEnv = false;
    qsizetype firstSection = -1, envEnd = -1;
    for (const QString &line : std::as_const(lines)) {
        const QString t = line.trimmed();
        if (t.isEmpty() || t.startsWith(u'#')) {
            out << line;
            continue;
        }
        if (t.startsWith(u'[')) {
            if (inEnv)
                envEnd = out.size();
            if (firstSection < 0)
                firstSection = out.size();
            inEnv = true; // the parser allows no other table, written [env] or [ env ]
            hadEnv = true;
            out << line;
            continue;
        }
        const QString key = lineKey(t, inEnv);
        if (inEnv) {
            seenEnv.insert(key);
            if (config.env.contains(key))
                out << (was.env.value(key) == config.env.value(key)
                            ? line
                            : keyText(key) + u" = "_s + quoted(config.env.value(key)));
        } else if (top.contains(key)) {
            seenTop.insert(key);
            if (!top.value(key).isEmpty())
                out << (oldTop.value(key) == top.value(key) ? line
                                                            : key + u" = "_s + top.value(key));
        } else {
            out << line;
        }
    }
    if (inEnv)
        envEnd = out.size();
    // New top-level keys go before the first table (at the end when there is none, before an
    // [env] added now); new variables at the end of [env].
    const qsizetype topAt = firstSection < 0 ? out.size() : firstSection;
    QStringList newEnv;
    for (auto it = config.env.cbegin(); it != config.env.cend(); ++it)
        if (!seenEnv.contains(it.key()))
            newEnv << keyText(it.key()) + u" = "_s + quoted(it.value());
    if (!newEnv.isEmpty()) {
        if (hadEnv) {
            for (qsizetype i = 0; i < newEnv.size(); ++i)
                out.insert(envEnd + i, newEnv.at(i));
        } else {
            out << QString() << u"[env]"_s << newEnv;
        }
    }
    QStringList newTop;
    for (const QString &key : TopLevelKeys)
        if (!seenTop.contains(key) && !top.value(key).isEmpty())
            newTop << key + u" = "_s + top.value(key);
    for (qsizetype i = 0; i < newTop.size(); ++i)
        out.insert(topAt + i, newTop.at(i));
    return (out.join(u'\n') + u'\n').toUtf8();
}

namespace {

// Where the top-level target key is in a file, in bytes, and where a new one would go.
struct TargetSpot
{
    qsizetype valueStart = -1; // the value of an existing target line: [valueStart, valueEnd)
    qsizetype valueEnd = -1;
    QString value;             // what that value reads as (when it is a readable string)
    qsizetype insertAt = 0;    // otherwise: a new line goes in here
    bool newlineBefore = false; // ... after a newline (the line there has none)
    QByteArray eol = "\n";     // ... ending as the lines around it do
    bool completesCrlf = false; // the line before ends in a lone \r: the newline is just \n
};

TargetSpot findTarget(const QByteArray &text)
{
    TargetSpot spot;
    const qsizetype begin = text.startsWith("\xEF\xBB\xBF") ? 3 : 0;
    qsizetype lastKeyEnd = -1;   // the end of the last top-level `key = ...` line
    qsizetype firstTable = -1;
    int lineNumber = 0;
    for (qsizetype pos = begin; pos < text.size();) {
        qsizetype end = text.indexOf('\n', pos);
        const bool hasNewline = end >= 0;
        if (!hasNewline)
            end = text.size();
        QByteArrayView raw = QByteArrayView(text).sliced(pos, end - pos);
        const bool endsInCr = raw.endsWith('\r');
        if (endsInCr)
            raw.chop(1);
        // A last line that ends in \r without \n: what follows it needs only the \n.
        const bool crlf = endsInCr && hasNewline;
        const qsizetype lineStart = pos;
        pos = end + 1;
        ++lineNumber;
        QStringDecoder decoder = lineDecoder();
        const QString line = decoder(raw);
        if (decoder.hasError())
            continue; // not a line we can read, so not one we change
        LineReader r(line, lineNumber);
        r.skipSpace();
        if (r.atEndOrComment())
            continue;
        if (r.peek() == u'[') {
            firstTable = lineStart;
            break; // below the first table, keys belong to it
        }
        const Result<QString> key = r.readKey();
        if (!key)
            continue;
        lastKeyEnd = hasNewline ? pos : text.size();
        spot.newlineBefore = !hasNewline;
        spot.eol = crlf || endsInCr ? "\r\n" : "\n";
        spot.completesCrlf = endsInCr && !hasNewline;
        if (*key != u"target"_s || spot.valueStart >= 0)
            continue;
        r.skipSpace();
        if (r.peek() != u'=')
            continue;
        r.advance();
        r.skipSpace();
        const qsizetype start = r.position();
        qsizetype stop = line.size(); // an unreadable value is replaced as a whole
        if (const Result<QString> value = r.readString(); value) {
            stop = r.position();
            spot.value = *value;
        }
        spot.valueStart = lineStart + line.left(start).toUtf8().size();
        spot.valueEnd = lineStart + line.left(stop).toUtf8().size();
    }
    if (lastKeyEnd >= 0) {
        spot.insertAt = lastKeyEnd;
    } else if (firstTable >= 0) {
        spot.insertAt = firstTable;
        spot.newlineBefore = false;
    } else {
        spot.insertAt = text.size();
        spot.newlineBefore = text.size() > begin && !text.endsWith('\n');
    }
    return spot;
}

} // namespace

QString writtenTarget(const QByteArray &text)
{
    return findTarget(text).value;
}

QByteArray setTargetInText(const QByteArray &text, const QString &target)
{
    const TargetSpot spot = findTarget(text);
    const QByteArray value = quoted(target).toUtf8();
    QByteArray out = text;
    if (spot.valueStart >= 0)
        return out.replace(spot.valueStart, spot.valueEnd - spot.valueStart, value);
    const QByteArray line = "target = " + value;
    // After a last line without a newline, the file stays without a final newline.
    if (spot.newlineBefore)
        return out.insert(spot.insertAt, (spot.completesCrlf ? "\n" : spot.eol) + line);
    return out.insert(spot.insertAt, line + spot.eol);
}

Result<RunConfig> loadRunConfig(const QString &projectDir)
{
    const QDir dir(projectDir);
    if (!dir.exists())
        return Error{ErrorCode::NoProject, u"The project folder %1 does not exist. Open an existing "
                                      "folder."_s.arg(projectDir)};
    QFile file(dir.filePath(QString::fromLatin1(FileName)));
    if (file.exists()) {
        if (file.size() > MaxConfigBytes)
            return Error{ErrorCode::RunConfig, u"gpuwb.toml is larger than 1 MiB; it should hold a few "
                                          "lines. Check that it is the right file."_s};
        if (!file.open(QIODevice::ReadOnly))
            return Error{ErrorCode::RunConfig, u"Could not read %1: %2. Check its permissions."_s
                                              .arg(file.fileName(), file.errorString())};
        return parseRunConfig(file.read(MaxConfigBytes + 1));
    }

    RunConfig config;
    const QString folderName = QFileInfo(dir.absolutePath()).fileName();
    QFile cmakeLists(dir.filePath(u"CMakeLists.txt"_s));
    if (cmakeLists.exists()) {
        QString projectName;
        QString exe;
        if (cmakeLists.open(QIODevice::ReadOnly))
            exe = firstExecutable(QString::fromUtf8(cmakeLists.read(MaxConfigBytes)), &projectName);
        const QString build = u"cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && "
                              "cmake --build build -j"_s;
        config.command = exe.isEmpty() ? build : build + u" && "_s + runLocal(u"build/"_s + exe);
        config.name = !exe.isEmpty() ? exe : !projectName.isEmpty() ? projectName : folderName;
        config.origin = u"detected CMakeLists.txt"_s;
        return config;
    }
    const QStringList cuFiles = dir.entryList({u"*.cu"_s}, QDir::Files, QDir::Name);
    if (cuFiles.size() == 1) {
        const QString cu = cuFiles.first();
        const QString stem = QFileInfo(cu).completeBaseName();
        config.command = u"nvcc -O2 -o %1 %2 && %3"_s.arg(fileArgument(stem), fileArgument(cu),
                                                          runLocal(stem));
        config.name = stem;
        config.origin = u"detected %1"_s.arg(cu);
        return config;
    }
    for (const QString &script : {u"main.py"_s, u"train.py"_s}) {
        if (QFileInfo(dir.filePath(script)).isFile()) {
            config.command = u"python3 -u "_s + fileArgument(script);
            config.env.insert(u"PYTHONUNBUFFERED"_s, u"1"_s);
            config.name = script;
            config.origin = u"detected %1"_s.arg(script);
            return config;
        }
    }
    const QString several = cuFiles.size() > 1
                                ? u" (there are %1 .cu files, so which to build is unclear)"_s
                                      .arg(cuFiles.size())
                                : QString();
    return Error{ErrorCode::NoRunConfig,
                 u"Nothing to run in %1%2: there is no gpuwb.toml, CMakeLists.txt, single .cu "
                 "file, main.py or train.py. Create gpuwb.toml in the project folder with a line "
                 "such as command = \"./run.sh\"."_s.arg(dir.absolutePath(), several)};
}

Status saveRunConfig(const QString &projectDir, const RunConfig &config)
{
    const QString path = QDir(projectDir).filePath(QString::fromLatin1(FileName));
    // Keep the user's comments, order and layout: change only the lines that changed.
    QByteArray existing;
    if (QFile current(path); current.size() <= MaxConfigBytes && current.open(QIODevice::ReadOnly))
        existing = current.readAll();
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return Error{ErrorCode::RunConfig, u"Could not write %1: %2. Check that the project folder is "
                                      "writable."_s.arg(file.fileName(), file.errorString())};
    file.write(existing.isEmpty() ? serializeRunConfig(config)
                                  : updateRunConfigText(existing, config));
    if (!file.commit())
        return Error{ErrorCode::RunConfig, u"Could not save %1: %2. The previous file is unchanged; "
                                      "check the free disk space."_s
                                          .arg(file.fileName(), file.errorString())};
    return {};
}

Status saveRunConfigWithTarget(const QString &projectDir, const RunConfig &config)
{
    const QString path = QDir(projectDir).filePath(QString::fromLatin1(FileName));
    QByteArray existing;
    if (QFile current(path); current.size() <= MaxConfigBytes && current.open(QIODevice::ReadOnly))
        existing = current.readAll();
    std::optional<RunConfig> was;
    if (!existing.isEmpty())
        if (Result<RunConfig> parsed = parseRunConfig(existing); parsed.ok())
            was = std::move(parsed).value();
    QByteArray text;
    if (!was) {
        text = serializeRunConfig(config);
    } else {
        // Everything but the target through updateRunConfigText (which leaves the target line
        // as it is), then the target in place: a change of target alone changes one value.
        RunConfig rest = config;
        rest.target = was->target;
        rest.origin = was->origin;
        text = rest == *was ? existing : updateRunConfigText(existing, rest);
    }
    text = setTargetInText(text, config.target.isEmpty() ? u"local"_s : config.target);
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return Error{ErrorCode::RunConfig, u"Could not write %1: %2. Check that the project folder is "
                                      "writable."_s.arg(file.fileName(), file.errorString())};
    file.write(text);
    if (!file.commit())
        return Error{ErrorCode::RunConfig, u"Could not save %1: %2. The previous file is unchanged; "
                                      "check the free disk space."_s
                                          .arg(file.fileName(), file.errorString())};
    return {};
}

JobSpec toJobSpec(const RunConfig &config, const QString &projectDir, const QString &autoTarget)
{
    const QString root = QDir::cleanPath(QDir(projectDir).absolutePath());
    JobSpec spec;
    spec.name = config.name.isEmpty() ? QFileInfo(root).fileName() : config.name;
    spec.command = config.command;
    spec.projectDirectory = root;
    spec.workingDirectory = QDir::cleanPath(
        QDir(root).absoluteFilePath(config.workdir.isEmpty() ? u"."_s : config.workdir));
    spec.environment = config.env;
    spec.targetId = config.target.isEmpty() ? u"local"_s : config.target;
    if (spec.targetId == u"auto"_s)
        spec.targetId = autoTarget.isEmpty() ? u"local"_s : autoTarget;
    spec.setup = config.setup;
    spec.artifacts = config.artifacts;
    spec.remoteDirectory = config.remoteDir;
    return spec;
}

} // namespace gpuwb::RunConfigIo
