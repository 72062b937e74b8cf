#pragma once

#include <QHashFunctions>
#include <QMetaType>
#include <QString>

namespace gpuwb {

// Where a file lives: a path on this machine, or a path on a named SSH host. The UI handles
// both the same way (principle 1); only the FileSystem behind a Location knows the difference.
// Paths are absolute, POSIX style, without a trailing slash (except the root "/").
class Location
{
public:
    Location() = default;
    static Location local(const QString &path);
    static Location remote(const QString &host, const QString &path);
    // "host:/path" for a remote location, a plain path otherwise.
    static Location fromString(const QString &text);

    bool isValid() const { return !m_path.isEmpty(); }
    bool isLocal() const { return m_host.isEmpty(); }
    QString host() const { return m_host; }
    QString path() const { return m_path; }
    QString fileName() const;
    Location parent() const;
    Location child(const QString &name) const;
    // True when this is `other` or lies below it.
    bool isInside(const Location &other) const;
    // The path of this location relative to `base`, or an empty string when it is not inside.
    QString relativeTo(const Location &base) const;
    QString toString() const;
    // For people: the path, with "host:" in front when remote.
    QString displayName() const { return toString(); }

    friend bool operator==(const Location &a, const Location &b) = default;

private:
    Location(QString host, QString path);
    QString m_host;
    QString m_path;
};

inline size_t qHash(const Location &l, size_t seed = 0)
{
    return qHashMulti(seed, l.host(), l.path());
}

} // namespace gpuwb

Q_DECLARE_METATYPE(gpuwb::Location)
