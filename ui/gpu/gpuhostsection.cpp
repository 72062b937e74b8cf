#include "ui/gpu/gpuhostsection.h"

#include "ui/gpu/gpucard.h"
#include "ui/gpu/gpucsv.h"
#include "ui/gpu/gputext.h"

#include <QDir>
#include <QFileDialog>
#include <QFutureWatcher>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QResizeEvent>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

using namespace Qt::StringLiterals;

namespace gpuwb {

GpuHostSection::GpuHostSection(const QString &hostId, QWidget *parent)
    : QFrame(parent), m_hostId(hostId), m_arrow(new QToolButton(this)),
      m_title(new QLabel(GpuText::hostLabel(hostId), this)), m_statusLabel(new QLabel(this)),
      m_export(new QPushButton(tr("Export CSV…"), this)), m_body(new QWidget(this)),
      m_grid(new QGridLayout(m_body))
{
    setObjectName(u"gpuHostSection"_s);
    m_arrow->setObjectName(u"collapseButton"_s);
    m_arrow->setAutoRaise(true);
    m_arrow->setArrowType(Qt::DownArrow);
    m_arrow->setToolTip(tr("Show or hide the GPUs of this host"));
    connect(m_arrow, &QToolButton::clicked, this, [this] { setCollapsed(!m_collapsed); });
    QFont bold = m_title->font();
    bold.setBold(true);
    m_title->setFont(bold);
    m_statusLabel->setObjectName(u"hostStatus"_s);
    m_statusLabel->setForegroundRole(QPalette::PlaceholderText);
    m_statusLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_statusLabel->setWordWrap(true);
    m_statusLabel->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_export->setObjectName(u"exportCsvButton"_s);
    m_export->setToolTip(tr("Save the samples of the chosen time window as CSV"));
    m_export->setEnabled(false);
    connect(m_export, &QPushButton::clicked, this, &GpuHostSection::chooseExportFile);

    m_grid->setContentsMargins(0, 0, 0, 0);
    m_grid->setSpacing(6);
    auto *header = new QHBoxLayout;
    header->addWidget(m_arrow);
    header->addWidget(m_title);
    header->addWidget(m_statusLabel, 1);
    header->addWidget(m_export);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 4, 0, 4);
    layout->addLayout(header);
    layout->addWidget(m_body, 1);
    setStatus(GpuHostStatus::Starting, {});
}

QString GpuHostSection::title() const
{
    return m_title->text();
}

QString GpuHostSection::statusText() const
{
    return m_statusLabel->text();
}

void GpuHostSection::setHistory(const GpuHistory *history)
{
    if (m_history == history)
        return;
    m_history = history;
    m_export->setEnabled(history != nullptr);
    refresh();
}

void GpuHostSection::setWindowMs(qint64 windowMs)
{
    if (m_windowMs == windowMs)
        return;
    m_windowMs = windowMs;
    refresh();
}

void GpuHostSection::setStatus(GpuHostStatus status, const QString &message)
{
    m_status = status;
    m_statusMessage = message;
    const QString text = GpuText::statusText(status, message);
    if (m_statusLabel->text() != text)
        m_statusLabel->setText(text);
    m_statusLabel->setToolTip(text);
    // Failures are said in the normal text colour; the rest is background information.
    m_statusLabel->setForegroundRole(status == GpuHostStatus::Failed ? QPalette::WindowText
                                                                     : QPalette::PlaceholderText);
}

void GpuHostSection::setCollapsed(bool collapsed)
{
    if (m_collapsed == collapsed)
        return;
    m_collapsed = collapsed;
    m_arrow->setArrowType(collapsed ? Qt::RightArrow : Qt::DownArrow);
    m_body->setVisible(!collapsed);
    if (!collapsed && m_stale)
        refresh();
}

bool GpuHostSection::canBeSeen() const
{
    return !m_collapsed && isVisible();
}

void GpuHostSection::refresh()
{
    if (!canBeSeen()) {
        m_stale = true; // nothing is sliced for charts nobody can see
        return;
    }
    m_stale = false;
    if (!m_history || m_history->isEmpty()) {
        syncCards(GpuSnapshot{});
        return;
    }
    const GpuSnapshot latest = m_history->latest();
    syncCards(latest);
    for (qsizetype i = 0; i < m_cards.size() && i < latest.gpus.size(); ++i) {
        const GpuSample &gpu = latest.gpus.at(i);
        QStringList jobNames;
        if (!m_jobs.isEmpty()) {
            for (const GpuProcess &process : gpu.processes) {
                const QString jobId = GpuAttribution::jobOf(m_hostId, process, m_jobs);
                QString name;
                for (const JobIdentity &job : std::as_const(m_jobs))
                    if (!jobId.isEmpty() && job.jobId == jobId)
                        name = job.jobName.isEmpty() ? jobId : job.jobName;
                jobNames.append(name);
            }
        }
        m_cards.at(i)->refresh(gpu, *m_history, m_windowMs, jobNames);
    }
}

void GpuHostSection::syncCards(const GpuSnapshot &latest)
{
    bool same = latest.gpus.size() == m_cards.size();
    for (qsizetype i = 0; same && i < m_cards.size(); ++i)
        same = m_cards.at(i)->uuid() == latest.gpus.at(i).uuid;
    if (same)
        return;
    // The set of GPUs changed (rare: a host came or went, a GPU was lost): rebuild, keeping
    // what was expanded.
    QSet<QString> expanded;
    for (GpuCard *card : std::as_const(m_cards)) {
        if (card->isExpanded())
            expanded.insert(card->uuid());
        delete card;
    }
    m_cards.clear();
    for (const GpuSample &gpu : latest.gpus) {
        auto *card = new GpuCard(gpu.uuid, m_body);
        card->setExpanded(expanded.contains(gpu.uuid));
        m_cards.append(card);
    }
    placeCards();
}

void GpuHostSection::placeCards()
{
    const int columns =
        m_cards.size() > 1 && width() >= 2 * kCardMinimumWidth ? 2 : 1;
    m_columns = columns;
    for (GpuCard *card : std::as_const(m_cards))
        m_grid->removeWidget(card);
    for (int i = 0; i < m_cards.size(); ++i)
        m_grid->addWidget(m_cards.at(i), i / columns, i % columns);
    for (int c = 0; c < 2; ++c)
        m_grid->setColumnStretch(c, c < columns ? 1 : 0);
}

void GpuHostSection::showEvent(QShowEvent *event)
{
    QFrame::showEvent(event);
    if (m_stale)
        refresh();
}

void GpuHostSection::resizeEvent(QResizeEvent *event)
{
    QFrame::resizeEvent(event);
    const int columns =
        m_cards.size() > 1 && event->size().width() >= 2 * kCardMinimumWidth ? 2 : 1;
    if (columns != m_columns)
        placeCards(); // only when the column count changes, never per tick
}

void GpuHostSection::chooseExportFile()
{
    const qint64 now = m_history && !m_history->isEmpty() ? m_history->latest().timestampMs
                                                          : QDateTime::currentMSecsSinceEpoch();
    auto *dialog = new QFileDialog(this, tr("Export GPU samples of %1").arg(title()),
                                   QDir::homePath() + u'/'
                                       + GpuCsv::suggestedFileName(m_hostId, now),
                                   tr("CSV files (*.csv)"));
    dialog->setAcceptMode(QFileDialog::AcceptSave);
    dialog->setDefaultSuffix(u"csv"_s);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QFileDialog::fileSelected, this, &GpuHostSection::exportCsv);
    dialog->open();
}

void GpuHostSection::exportCsv(const QString &path)
{
    if (!m_history || m_history->isEmpty()) {
        emit exportFinished(false, tr("No GPU samples of %1 yet: wait for the first reading, "
                                      "then export again.").arg(title()));
        return;
    }
    // Copying the window is cheap (implicitly shared); formatting and writing are not, so they
    // run on a worker thread.
    const QList<GpuSnapshot> snapshots = m_history->snapshots(m_windowMs);
    m_export->setEnabled(false);
    auto *watcher = new QFutureWatcher<Result<int>>(this);
    connect(watcher, &QFutureWatcher<Result<int>>::finished, this, [this, watcher, path] {
        watcher->deleteLater();
        m_export->setEnabled(m_history != nullptr);
        const Result<int> result = watcher->result();
        if (!result) {
            emit exportFinished(false, result.errorMessage());
            return;
        }
        emit exportFinished(true, tr("Saved %1 rows to %2.")
                                      .arg(*result)
                                      .arg(QDir::toNativeSeparators(path)));
    });
    watcher->setFuture(QtConcurrent::run(
        [path, snapshots] { return GpuCsv::write(path, snapshots); }));
}

} // namespace gpuwb
