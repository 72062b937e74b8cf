#include "core/util/shellquote.h"

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

} // namespace gpuwb
