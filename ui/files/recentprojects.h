#pragma once

#include <QStringList>

#include <memory>

class QSettings;

namespace gpuwb {

// The project folders opened lately, most recent first, at most MaxCount, kept in QSettings
// under "recentProjects". Entries are Location strings ("/path" or "host:/path"). Reading drops
// local folders that no longer exist (and saves the pruned list); remote ones are kept, since
// checking them needs a connection. Used on the UI thread; reading costs one stat() per local
// entry.
class RecentProjects
{
public:
    static constexpr int MaxCount = 10;

    // Uses `settings` when given (not owned), otherwise the application's default QSettings.
    explicit RecentProjects(QSettings *settings = nullptr);
    ~RecentProjects();

    QStringList projects() const;
    // Moves `directory` to the front (adding it if new) and drops the oldest beyond MaxCount.
    void add(const QString &directory);
    void remove(const QString &directory);
    void clear();

private:
    QStringList stored() const;
    void store(const QStringList &list) const;

    std::unique_ptr<QSettings> m_ownSettings;
    QSettings *m_settings = nullptr;
};

} // namespace gpuwb
