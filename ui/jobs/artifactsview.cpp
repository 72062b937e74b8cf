#include "ui/jobs/artifactsview.h"

#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {
constexpr int LocationRole = Qt::UserRole + 1;
}

ArtifactsView::ArtifactsView(QWidget *parent) : QWidget(parent)
{
    m_title = new QLabel(this);
    m_list = new QListWidget(this);
    m_list->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_list->setMaximumHeight(120);
    m_download = new QPushButton(QIcon::fromTheme(u"download"_s), tr("&Download"), this);
    m_download->setToolTip(tr("Copy the selected files (or all) into the project's artifacts "
                              "folder"));
    m_open = new QPushButton(QIcon::fromTheme(u"document-open"_s), tr("&Open"), this);
    m_open->setToolTip(tr("Show the selected file; it is downloaded first when need be"));

    auto *buttons = new QHBoxLayout;
    buttons->setContentsMargins(0, 0, 0, 0);
    buttons->addWidget(m_title, 1);
    buttons->addWidget(m_download);
    buttons->addWidget(m_open);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 4, 6, 4);
    layout->setSpacing(2);
    layout->addLayout(buttons);
    layout->addWidget(m_list);

    connect(m_download, &QPushButton::clicked, this, [this] {
        const QList<Location> chosen = selected();
        emit downloadRequested(chosen.isEmpty() ? m_artifacts : chosen, false);
    });
    connect(m_open, &QPushButton::clicked, this, &ArtifactsView::openSelected);
    connect(m_list, &QListWidget::itemDoubleClicked, this, [this] { openSelected(); });
    connect(m_list, &QListWidget::itemSelectionChanged, this, &ArtifactsView::updateButtons);
    updateItems();
}

bool ArtifactsView::isImage(const QString &fileName)
{
    const QString suffix = QFileInfo(fileName).suffix().toLower();
    static const QStringList images{u"png"_s, u"jpg"_s, u"jpeg"_s, u"svg"_s, u"gif"_s, u"bmp"_s};
    return images.contains(suffix);
}

void ArtifactsView::setArtifacts(const QList<Location> &artifacts)
{
    if (artifacts == m_artifacts)
        return;
    m_artifacts = artifacts;
    updateItems();
}

void ArtifactsView::setDownloaded(const Location &artifact, const QString &localPath)
{
    m_local.insert(artifact, localPath);
    updateItems();
}

QList<Location> ArtifactsView::selected() const
{
    QList<Location> out;
    for (const QListWidgetItem *item : m_list->selectedItems())
        out.append(Location::fromString(item->data(LocationRole).toString()));
    return out;
}

void ArtifactsView::openSelected()
{
    QList<Location> chosen = selected();
    if (chosen.isEmpty() && m_artifacts.size() == 1)
        chosen = m_artifacts;
    QList<Location> missing;
    for (const Location &artifact : std::as_const(chosen)) {
        const QString local = m_local.value(artifact);
        if (local.isEmpty())
            missing.append(artifact);
        else
            emit openRequested(artifact, local);
    }
    if (!missing.isEmpty())
        emit downloadRequested(missing, true);
}

void ArtifactsView::updateItems()
{
    QList<Location> keep = selected();
    m_list->clear();
    for (const Location &artifact : std::as_const(m_artifacts)) {
        const QString local = m_local.value(artifact);
        auto *item = new QListWidgetItem(
            QIcon::fromTheme(isImage(artifact.fileName()) ? u"image-x-generic"_s
                                                          : u"text-x-generic"_s),
            local.isEmpty() ? artifact.fileName()
                            : tr("%1 \u2014 downloaded").arg(artifact.fileName()),
            m_list);
        item->setData(LocationRole, artifact.toString());
        item->setToolTip(local.isEmpty() ? artifact.toString()
                                         : tr("%1\nDownloaded to %2").arg(artifact.toString(),
                                                                          local));
        item->setSelected(keep.contains(artifact));
    }
    m_title->setText(m_artifacts.isEmpty()
                         ? tr("No artifacts")
                         : tr("%n artifact(s)", nullptr, int(m_artifacts.size())));
    updateButtons();
}

void ArtifactsView::updateButtons()
{
    m_download->setEnabled(!m_artifacts.isEmpty());
    m_open->setEnabled(!m_list->selectedItems().isEmpty() || m_artifacts.size() == 1);
}

} // namespace gpuwb
