#include "core/util/shellquote.h"

#include <QByteArray>

#include <algorithm>

namespace gpuwb {

static bool isShellSafe(QChar c)
{
    if (c.unicode() >= 128)
        return false;
    if (c.isLetterOrNumber())
        return true;
    return QStringView(u"_-./,:@+=%").contains(c);
}

QString shellQuote(const QString &argument)
{
    if (argument.isEmpty())
        return QStringLiteral("''");
    bool safe = true;
    for (QChar c : argument) {
        if (!isShellSafe(c)) {
            safe = false;
            break;
        }
    }
    // A leading '=' or '~' can still be special in some shells' word positions.
    if (safe && argument.front() != u'~' && argument.front() != u'=')
        return argument;
    QString quoted = argument;
    quoted.replace(u'\'', QStringLiteral("'\\''"));
    return u'\'' + quoted + u'\'';
}

QString shellJoin(const QStringList &arguments)
{
    QStringList quoted;
    quoted.reserve(arguments.size());
    for (const QString &a : arguments)
        quoted.append(shellQuote(a));
    return quoted.join(u' ');
}

QByteArray remoteShellLine(const QByteArray &script)
{
    // Printable ASCII without the characters that some login shell treats specially inside
    // single quotes: ' (all), \ (fish), ! (csh history) and newline (csh).
    const bool plain = std::all_of(script.cbegin(), script.cend(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u >= 0x20 && u < 0x7f && c != '\'' && c != '\\' && c != '!';
    });
    if (plain)
        return "exec /bin/sh -c '" + script + '\'';
    // Letters and digits stay; every other byte becomes \0ooo, which printf's %b turns back
    // into that byte. The escapes are a backslash followed by a digit, which every shell keeps
    // as it is inside single quotes; $(...) drops only trailing newlines, which eval ignores.
    QByteArray encoded;
    encoded.reserve(script.size() * 3);
    for (const char c : script) {
        const auto u = static_cast<unsigned char>(c);
        if ((u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z')) {
            encoded += c;
        } else {
            const char octal[] = {'\\', '0', char('0' + (u >> 6)), char('0' + ((u >> 3) & 7)),
                                  char('0' + (u & 7))};
            encoded.append(octal, sizeof octal);
        }
    }
    return "exec /bin/sh -c 'eval \"$(printf \"%b\" \"" + encoded + "\")\"'";
}

} // namespace gpuwb
