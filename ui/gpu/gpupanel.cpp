#include "ui/gpu/gpupanel.h"

#include "ui/gpu/gpucard.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QScrollArea>
#include <QStackedWidget>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

enum Page { MessagePage, CardsPage };

} // namespace

const QString &GpuPanel::noGpuMessage()
{
    static const QString text =
        u"No NVIDIA GPU on this machine. Add a remote GPU host to run jobs and see its GPUs."_s;
    return text;
}

GpuPanel::GpuPanel(QWidget *parent)
    : QWidget(parent), m_source(new QLabel(this)), m_status(new QLabel(this)),
      m_window(new QComboBox(this)), m_pages(new QStackedWidget(this)),
      m_message(new QLabel(this)), m_cardsPage(new QWidget(this)),
      m_cardsLayout(new QVBoxLayout(m_cardsPage))
{
    setObjectName(u"gpuPanel"_s);
    m_window->setObjectName(u"windowSelector"_s);
    m_window->addItem(tr("Last minute"), 1);
    m_window->addItem(tr("Last 5 minutes"), 5);
    m_window->addItem(tr("Last 15 minutes"), 15);
    m_window->setCurrentIndex(m_window->findData(m_windowMinutes));
    connect(m_window, &QComboBox::currentIndexChanged, this,
            [this](int index) { setWindowMinutes(m_window->itemData(index).toInt()); });

    m_source->setText(tr("GPUs"));
    m_status->setObjectName(u"gpuStatus"_s);
    m_status->setForegroundRole(QPalette::PlaceholderText);
    m_status->setWordWrap(true);

    m_message->setObjectName(u"gpuMessage"_s);
    m_message->setWordWrap(true);
    m_message->setAlignment(Qt::AlignCenter);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->setText(tr("Waiting for the first GPU reading…"));
    m_message->setMargin(24);

    m_cardsLayout->setContentsMargins(0, 0, 0, 0);
    m_cardsLayout->addStretch();
    auto *scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(m_cardsPage);

    m_pages->insertWidget(MessagePage, m_message);
    m_pages->insertWidget(CardsPage, scroll);
    showPage(MessagePage);

    auto *top = new QHBoxLayout;
    QFont bold = m_source->font();
    bold.setBold(true);
    m_source->setFont(bold);
    top->addWidget(m_source);
    top->addWidget(m_status, 1);
    top->addWidget(m_window);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_pages, 1);
}

GpuPanel::~GpuPanel() = default;

void GpuPanel::showPage(int page)
{
    m_pages->setCurrentIndex(page);
    // The window selector means nothing without charts.
    m_window->setVisible(page == CardsPage);
}

void GpuPanel::setWindowMinutes(int minutes)
{
    if (minutes != 1 && minutes != 5 && minutes != 15)
        return;
    if (m_windowMinutes == minutes)
        return;
    m_windowMinutes = minutes;
    const QSignalBlocker blocker(m_window);
    m_window->setCurrentIndex(m_window->findData(minutes));
    refreshCards();
}

bool GpuPanel::isShowingNoGpu() const
{
    return m_pages->currentIndex() == MessagePage
        && m_message->text().startsWith(noGpuMessage());
}

QString GpuPanel::messageText() const
{
    return m_pages->currentIndex() == MessagePage ? m_message->text() : QString();
}

QString GpuPanel::statusText() const
{
    return m_status->text();
}

void GpuPanel::onOpened(const QString &description)
{
    m_sourceDescription = description;
    m_source->setText(tr("GPUs · %1").arg(description));
    m_status->clear();
}

void GpuPanel::onSampled(const GpuSnapshot &snapshot)
{
    m_history.append(snapshot);
    m_status->clear();
    if (snapshot.gpus.isEmpty()) {
        m_message->setText(noGpuMessage());
        showPage(MessagePage);
        return;
    }
    syncCards(snapshot);
    refreshCards();
    showPage(CardsPage);
}

void GpuPanel::onSourceFailed(const Error &error)
{
    if (!m_cards.isEmpty() && m_pages->currentIndex() == CardsPage) {
        // The GPUs were there a moment ago: keep the charts, say what went wrong.
        m_status->setText(tr("Last reading failed: %1").arg(error.message));
        return;
    }
    m_message->setText(noGpuMessage() + u"\n\n"_s + error.message);
    showPage(MessagePage);
}

void GpuPanel::syncCards(const GpuSnapshot &snapshot)
{
    QStringList uuids;
    for (const GpuSample &gpu : snapshot.gpus)
        uuids.append(gpu.uuid);
    QStringList current;
    for (GpuCard *card : std::as_const(m_cards))
        current.append(card->uuid());
    if (uuids == current)
        return;
    // The set of GPUs changed (rare: a replay, a lost GPU): rebuild in sample order.
    for (GpuCard *card : std::as_const(m_cards))
        delete card;
    m_cards.clear();
    for (const QString &uuid : std::as_const(uuids)) {
        auto *card = new GpuCard(uuid, m_cardsPage);
        m_cardsLayout->insertWidget(m_cardsLayout->count() - 1, card);
        m_cards.append(card);
    }
}

void GpuPanel::refreshCards()
{
    if (m_history.isEmpty())
        return;
    const GpuSnapshot latest = m_history.latest();
    const qint64 windowMs = qint64(m_windowMinutes) * 60 * 1000;
    // No setUpdatesEnabled() batching here: the chart scenes coalesce their own changes into
    // one repaint per tick, and re-enabling updates would add a second one.
    for (GpuCard *card : std::as_const(m_cards)) {
        for (const GpuSample &gpu : latest.gpus) {
            if (gpu.uuid == card->uuid()) {
                card->refresh(gpu, m_history, windowMs);
                break;
            }
        }
    }
}

} // namespace gpuwb
