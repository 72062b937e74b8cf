#include "core/fs/location.h"

#include <QDir>

namespace gpuwb {

static QString normalized(const QString &path)
{
    if (path.isEmpty())
        return {};
    QString clean = QDir::cleanPath(path);
    return clean;
}

Location::Location(QString host, QString path) : m_host(std::move(host)), m_path(std::move(path)) {}

Location Location::local(const QString &path)
{
    return Location(QString(), normalized(QDir::isAbsolutePath(path) ? path
                                                                     : QDir::current().absoluteFilePath(path)));
}

Location Location::remote(const QString &host, const QString &path)
{
    return Location(host, normalized(path.startsWith(u'/') ? path : u'/' + path));
}

Location Location::fromString(const QString &text)
{
    // "host:/path" is remote; a Windows drive letter or a plain path is local.
    const qsizetype colon = text.indexOf(u':');
    if (colon > 1 && !text.left(colon).contains(u'/'))
        return remote(text.left(colon), text.mid(colon + 1));
    return local(text);
}

QString Location::fileName() const
{
    if (m_path == u"/")
        return m_path;
    return m_path.mid(m_path.lastIndexOf(u'/') + 1);
}

Location Location::parent() const
{
    if (m_path.isEmpty() || m_path == u"/")
        return *this;
    const qsizetype slash = m_path.lastIndexOf(u'/');
    return Location(m_host, slash <= 0 ? QStringLiteral("/") : m_path.left(slash));
}

Location Location::child(const QString &name) const
{
    return Location(m_host, normalized(m_path == u"/" ? u'/' + name : m_path + u'/' + name));
}

bool Location::isInside(const Location &other) const
{
    if (m_host != other.m_host)
        return false;
    if (m_path == other.m_path || other.m_path == u"/")
        return true;
    return m_path.startsWith(other.m_path + u'/');
}

QString Location::relativeTo(const Location &base) const
{
    if (!isInside(base))
        return {};
    if (m_path == base.m_path)
        return QStringLiteral(".");
    return m_path.mid(base.m_path == u"/" ? 1 : base.m_path.size() + 1);
}

QString Location::toString() const
{
    return isLocal() ? m_path : m_host + u':' + m_path;
}

} // namespace gpuwb
