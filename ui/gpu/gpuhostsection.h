#pragma once

#include "core/gpu/gpuhistory.h"
#include "core/telemetry/gpuattribution.h"
#include "core/telemetry/gputelemetry.h"

#include <QFrame>

class QGridLayout;
class QLabel;
class QPushButton;
class QToolButton;

namespace gpuwb {

class GpuCard;

// One host in the GPU panel: a header (collapse arrow, "This machine" or the SSH alias, the
// host's status line, Export CSV…) and a grid of GpuCards, two columns when there is room.
// Slices the host's GpuHistory (owned by GpuTelemetry) on refresh(); while collapsed or
// hidden it slices nothing and catches up when shown. A widget on the UI thread.
class GpuHostSection : public QFrame
{
    Q_OBJECT
public:
    // Narrower than two of these: one column of cards.
    static constexpr int kCardMinimumWidth = 430;

    explicit GpuHostSection(const QString &hostId, QWidget *parent = nullptr);

    QString hostId() const { return m_hostId; }
    QString title() const;

    // Where the samples are; null clears the cards.
    void setHistory(const GpuHistory *history);
    void setWindowMs(qint64 windowMs);
    qint64 windowMs() const { return m_windowMs; }
    // The user's jobs, to name the jobs of GPU processes (used on the next refresh).
    void setJobs(const QList<JobIdentity> &jobs) { m_jobs = jobs; }
    void setStatus(GpuHostStatus status, const QString &message);
    GpuHostStatus status() const { return m_status; }
    QString statusText() const;

    bool isCollapsed() const { return m_collapsed; }
    void setCollapsed(bool collapsed);

    // New samples: re-slices the charts now when they can be seen, later otherwise.
    void refresh();

    QList<GpuCard *> cards() const { return m_cards; }
    int columnCount() const { return m_columns; }

    // Writes the samples of the visible window to `path` as CSV on a worker thread; ends in
    // exportFinished().
    void exportCsv(const QString &path);
    QPushButton *exportButton() const { return m_export; }

signals:
    void exportFinished(bool ok, const QString &message);

protected:
    void showEvent(QShowEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    void syncCards(const GpuSnapshot &latest);
    void placeCards();
    void chooseExportFile();
    bool canBeSeen() const;

    QString m_hostId;
    const GpuHistory *m_history = nullptr;
    qint64 m_windowMs = 5 * 60 * 1000;
    QList<JobIdentity> m_jobs;
    GpuHostStatus m_status = GpuHostStatus::Starting;
    QString m_statusMessage;
    bool m_collapsed = false;
    bool m_stale = false; // samples came while nothing could be seen
    int m_columns = 1;

    QToolButton *m_arrow;
    QLabel *m_title;
    QLabel *m_statusLabel;
    QPushButton *m_export;
    QWidget *m_body;
    QGridLayout *m_grid;
    QList<GpuCard *> m_cards;
};

} // namespace gpuwb
