#pragma once

#include "core/gpu/gpuhistory.h"
#include "core/util/result.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QStackedWidget;
class QVBoxLayout;

namespace gpuwb {

class GpuCard;

// The GPU panel: one card per GPU with live charts and its processes, a time window selector
// (1, 5, 15 minutes), and a plain message with the next step when there is no GPU. Owns the
// GpuHistory the charts are sliced from; does not own the sampler (the main window connects a
// GpuSampler's signals to the slots). A widget on the UI thread; one repaint per tick.
class GpuPanel : public QWidget
{
    Q_OBJECT
public:
    static const QString &noGpuMessage();

    explicit GpuPanel(QWidget *parent = nullptr);
    ~GpuPanel() override;

    const GpuHistory &history() const { return m_history; }
    int windowMinutes() const { return m_windowMinutes; }
    void setWindowMinutes(int minutes); // 1, 5 or 15

    QList<GpuCard *> cards() const { return m_cards; }
    bool isShowingNoGpu() const;
    QString messageText() const; // what the message page says, when it shows
    QString statusText() const;

public slots:
    void onOpened(const QString &description);
    void onSampled(const gpuwb::GpuSnapshot &snapshot);
    void onSourceFailed(const gpuwb::Error &error);

private:
    void showPage(int page);
    void syncCards(const GpuSnapshot &snapshot);
    void refreshCards();

    GpuHistory m_history;
    int m_windowMinutes = 5;
    QString m_sourceDescription;
    QList<GpuCard *> m_cards;
    QLabel *m_source;
    QLabel *m_status;
    QComboBox *m_window;
    QStackedWidget *m_pages;
    QLabel *m_message;
    QWidget *m_cardsPage;
    QVBoxLayout *m_cardsLayout;
};

} // namespace gpuwb
