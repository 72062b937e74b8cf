#pragma once

#include "core/fs/location.h"

#include <QHash>
#include <QWidget>

class QLabel;
class QListWidget;
class QPushButton;

namespace gpuwb {

// The files one job left behind (its artifacts), under its output: each with where it was
// downloaded to, if it was. Download asks for the selected files (or all); Open (or a double
// click) shows a downloaded file, or downloads it first. The view only asks: whoever owns the
// transfers answers with setDownloaded(). UI thread.
class ArtifactsView : public QWidget
{
    Q_OBJECT
public:
    explicit ArtifactsView(QWidget *parent = nullptr);

    void setArtifacts(const QList<Location> &artifacts);
    QList<Location> artifacts() const { return m_artifacts; }
    void setDownloaded(const Location &artifact, const QString &localPath);
    QString downloadedPath(const Location &artifact) const { return m_local.value(artifact); }

    QListWidget *list() const { return m_list; }
    QPushButton *downloadButton() const { return m_download; }
    QPushButton *openButton() const { return m_open; }

    // Images a viewer can show (by name): png, jpg/jpeg, svg, gif, bmp.
    static bool isImage(const QString &fileName);

signals:
    // `open`: show each file once it is downloaded.
    void downloadRequested(const QList<gpuwb::Location> &artifacts, bool open);
    void openRequested(const gpuwb::Location &artifact, const QString &localPath);

private:
    QList<Location> selected() const;
    void openSelected();
    void updateItems();
    void updateButtons();

    QList<Location> m_artifacts;
    QHash<Location, QString> m_local;
    QLabel *m_title;
    QListWidget *m_list;
    QPushButton *m_download;
    QPushButton *m_open;
};

} // namespace gpuwb
