#pragma once

#include <QDialog>

class QLabel;
class QScrollArea;

namespace gpuwb {

// A window showing one image file (a job's plot, say) at its size, scrolled when larger. The
// file is read off the UI thread; until then, or when it cannot be read, a line says so.
// UI thread.
class ImageViewer : public QDialog
{
    Q_OBJECT
public:
    explicit ImageViewer(QWidget *parent = nullptr);

    void openFile(const QString &path);
    QString path() const { return m_path; }
    bool hasImage() const;
    QLabel *imageLabel() const { return m_label; }

signals:
    void loaded(bool ok);

private:
    QString m_path;
    QScrollArea *m_scroll;
    QLabel *m_label;
};

} // namespace gpuwb
