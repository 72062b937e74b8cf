#include "ui/files/recentprojects.h"

#include "core/fs/location.h"

#include <QFileInfo>
#include <QSettings>

using namespace Qt::StringLiterals;

namespace gpuwb {

static const auto kKey = u"recentProjects"_s;

static QString normalized(const QString &directory)
{
    // An empty string would otherwise name the working directory.
    if (directory.trimmed().isEmpty())
        return {};
    const Location location = Location::fromString(directory);
    return location.isValid() ? location.toString() : QString();
}

RecentProjects::RecentProjects(QSettings *settings) : m_settings(settings)
{
    if (!m_settings) {
        m_ownSettings = std::make_unique<QSettings>();
        m_settings = m_ownSettings.get();
    }
}

RecentProjects::~RecentProjects() = default;

QStringList RecentProjects::stored() const
{
    return m_settings->value(kKey).toStringList();
}

void RecentProjects::store(const QStringList &list) const
{
    if (list.isEmpty())
        m_settings->remove(kKey);
    else
        m_settings->setValue(kKey, list);
}

QStringList RecentProjects::projects() const
{
    const QStringList all = stored();
    QStringList kept;
    for (const QString &entry : all) {
        const Location location = Location::fromString(entry);
        if (!location.isValid() || kept.contains(location.toString()))
            continue;
        if (location.isLocal() && !QFileInfo(location.path()).isDir())
            continue;
        kept << location.toString();
        if (kept.size() == MaxCount)
            break;
    }
    if (kept != all)
        store(kept);
    return kept;
}

void RecentProjects::add(const QString &directory)
{
    const QString entry = normalized(directory);
    if (entry.isEmpty())
        return;
    QStringList list = stored();
    list.removeAll(entry);
    list.prepend(entry);
    while (list.size() > MaxCount)
        list.removeLast();
    store(list);
}

void RecentProjects::remove(const QString &directory)
{
    QStringList list = stored();
    if (list.removeAll(normalized(directory)) > 0)
        store(list);
}

void RecentProjects::clear()
{
    store({});
}

} // namespace gpuwb
