#pragma once

#include <QFrame>

class QHBoxLayout;
class QLabel;
class QPushButton;

namespace gpuwb {

// A message strip above an editor ("This file changed on disk: Reload / Keep mine"). It is
// non-modal: the editor under it stays usable. It owns its label and buttons; what a button
// does is connected by the owner. UI thread only.
class EditorBanner : public QFrame
{
    Q_OBJECT
public:
    enum class Kind { Info, Warning, Error };

    EditorBanner(Kind kind, const QString &objectName, QWidget *parent = nullptr);

    void setText(const QString &text);
    QString text() const;
    // A button with an object name, so that tests can find and click it.
    QPushButton *addButton(const QString &text, const QString &objectName);

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    Kind m_kind;
    QLabel *m_label = nullptr;
    QHBoxLayout *m_layout = nullptr;
};

} // namespace gpuwb
