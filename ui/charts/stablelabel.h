#pragma once

#include <QWidget>

class QLabel;

namespace gpuwb {

// A one-line QLabel whose text changes every tick without asking its window for a new layout:
// the label sits in this fixed-height box without a layout, so a new text repaints the label
// and nothing else (a QLabel in a layout relayouted the GPU panel's cards and sections up to
// the page each tick, a third of the UI thread's time in ./bench telemetry). The label keeps
// what QLabel offers (selection, tool tips); text that does not fit is cut at the box's right
// edge. A widget on the UI thread.
class StableLabel : public QWidget
{
    Q_OBJECT
public:
    explicit StableLabel(QWidget *parent = nullptr);

    QLabel *label() const { return m_label; }
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void resizeEvent(QResizeEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    QLabel *m_label;
};

} // namespace gpuwb
