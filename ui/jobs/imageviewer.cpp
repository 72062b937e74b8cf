#include "ui/jobs/imageviewer.h"

#include <QFileInfo>
#include <QFuture>
#include <QImage>
#include <QImageReader>
#include <QLabel>
#include <QPixmap>
#include <QScrollArea>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

struct Loaded
{
    QImage image;
    QString error;
};

Loaded readImage(const QString &path)
{
    QImageReader reader(path);
    reader.setAutoTransform(true);
    Loaded out;
    out.image = reader.read();
    if (out.image.isNull())
        out.error = reader.errorString();
    return out;
}

} // namespace

ImageViewer::ImageViewer(QWidget *parent) : QDialog(parent)
{
    setObjectName(u"ImageViewer"_s);
    m_label = new QLabel(this);
    m_label->setAlignment(Qt::AlignCenter);
    m_label->setTextFormat(Qt::PlainText);
    m_scroll = new QScrollArea(this);
    m_scroll->setWidget(m_label);
    m_scroll->setWidgetResizable(true);
    m_scroll->setAlignment(Qt::AlignCenter);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_scroll);
    resize(800, 600);
}

bool ImageViewer::hasImage() const
{
    return !m_label->pixmap().isNull();
}

void ImageViewer::openFile(const QString &path)
{
    m_path = path;
    setWindowTitle(QFileInfo(path).fileName());
    m_label->setPixmap({});
    m_label->setText(tr("Loading %1\u2026").arg(QFileInfo(path).fileName()));
    QtConcurrent::run(&readImage, path).then(this, [this, path](const Loaded &loaded) {
        if (path != m_path)
            return;
        if (loaded.image.isNull()) {
            m_label->setText(tr("Cannot show %1: %2. Open it with another program from the "
                                "artifacts folder.")
                                 .arg(path, loaded.error));
            emit this->loaded(false);
            return;
        }
        m_label->setText({});
        m_label->setPixmap(QPixmap::fromImage(loaded.image));
        emit this->loaded(true);
    });
}

} // namespace gpuwb
