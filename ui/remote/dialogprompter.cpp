#include "ui/remote/dialogprompter.h"

#include "core/util/logging.h"

#include <QCheckBox>
#include <QCoreApplication>
#include <QDialog>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QThread>
#include <QVBoxLayout>

#include <condition_variable>
#include <functional>
#include <mutex>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("gpuwb::DialogPrompter", text);
}

// Lives on the UI thread; questions are posted to it. When it goes (with its window), the
// prompter is closed and every waiting question is answered "no".
class Relay : public QObject
{
public:
    Relay(DialogPrompter::Shared *shared, QWidget *window, bool needsWindow)
        : QObject(window), m_shared(shared), m_window(window), m_needsWindow(needsWindow)
    {
    }
    ~Relay() override;

    // The parent for a dialog; nullptr with *gone set when the window it needs has gone.
    QWidget *window(bool *gone) const
    {
        *gone = m_needsWindow && !m_window;
        return m_window;
    }

private:
    DialogPrompter::Shared *m_shared;
    QPointer<QWidget> m_window;
    bool m_needsWindow;
};

QString secretTitle(const SshSecretRequest &request)
{
    switch (request.kind) {
    case SshSecretRequest::Kind::Passphrase: return tr("Key passphrase");
    case SshSecretRequest::Kind::Password: return tr("SSH password");
    case SshSecretRequest::Kind::KeyboardInteractive:
        return tr("SSH authentication");
    }
    return {};
}

QString secretText(const SshSecretRequest &request)
{
    const QString who = request.user.isEmpty() ? request.host
                                               : request.user + u'@' + request.host;
    QString text;
    switch (request.kind) {
    case SshSecretRequest::Kind::Passphrase:
        text = tr("Enter the passphrase of the key %1 to log in to %2.")
                   .arg(request.keyFile, who);
        break;
    case SshSecretRequest::Kind::Password:
        text = tr("Enter the password of %1.").arg(who);
        break;
    case SshSecretRequest::Kind::KeyboardInteractive:
        text = tr("%1 asks:").arg(who);
        if (!request.name.isEmpty())
            text += u"\n"_s + request.name;
        if (!request.instruction.isEmpty())
            text += u"\n"_s + request.instruction;
        break;
    }
    return text;
}

} // namespace

struct DialogPrompter::Shared
{
    std::mutex mutex;
    std::condition_variable answered;
    Relay *relay = nullptr; // guarded by mutex; reset when the relay dies
    bool closed = false;
};

Relay::~Relay()
{
    std::lock_guard lock(m_shared->mutex);
    m_shared->relay = nullptr;
    m_shared->closed = true;
    m_shared->answered.notify_all();
}

namespace {

// Posts `show` to the UI thread and waits until it calls its answer function, the prompter is
// shut down, or the window goes; `fallback` is the answer in the last two cases.
template<typename T>
T askOnUiThread(const std::shared_ptr<DialogPrompter::Shared> &shared, T fallback,
                std::function<void(QWidget *, std::function<void(T)>)> show)
{
    struct Pending
    {
        std::optional<T> answer;
    };
    auto pending = std::make_shared<Pending>();
    std::unique_lock lock(shared->mutex);
    if (shared->closed || !shared->relay)
        return fallback;
    if (QThread::currentThread() == shared->relay->thread()) {
        // Waiting here would wait for ourselves.
        qCWarning(lcUi) << "an SSH question was asked on the UI thread; answering no";
        return fallback;
    }
    Relay *relay = shared->relay;
    auto answer = [shared, pending](T value) {
        std::lock_guard guard(shared->mutex);
        if (!pending->answer)
            pending->answer = std::move(value);
        shared->answered.notify_all();
    };
    // Posting under the lock: the relay cannot finish dying until we release it, and events
    // posted to an object are dropped when it dies.
    QMetaObject::invokeMethod(
        relay,
        [relay, show = std::move(show), answer, fallback] {
            bool gone = false;
            QWidget *window = relay->window(&gone);
            if (gone) {
                answer(fallback);
                return;
            }
            show(window, answer);
        },
        Qt::QueuedConnection);
    shared->answered.wait(lock, [&] { return pending->answer.has_value() || shared->closed; });
    return pending->answer ? *pending->answer : fallback;
}

} // namespace

DialogPrompter::DialogPrompter(QWidget *parent)
    : m_parent(parent)
    , m_shared(std::make_shared<Shared>())
{
    m_shared->relay = new Relay(m_shared.get(), parent, parent != nullptr);
}

DialogPrompter::~DialogPrompter()
{
    shutdown();
    std::lock_guard lock(m_shared->mutex);
    if (m_shared->relay) {
        // Its destructor touches m_shared: keep that alive until it runs.
        Relay *relay = m_shared->relay;
        QObject::connect(relay, &QObject::destroyed, relay, [keep = m_shared] {});
        relay->deleteLater();
    }
}

void DialogPrompter::shutdown()
{
    std::lock_guard lock(m_shared->mutex);
    m_shared->closed = true;
    m_shared->answered.notify_all();
}

bool DialogPrompter::acceptHostKey(const SshHostKeyInfo &key)
{
    return askOnUiThread<bool>(m_shared, false, [key](QWidget *window,
                                                      std::function<void(bool)> answer) {
        auto *box = new QMessageBox(QMessageBox::Question, tr("Unknown host key"),
                                    tr("The host %1 is not in your known hosts yet.").arg(key.host),
                                    QMessageBox::NoButton, window);
        box->setObjectName(u"SshHostKeyDialog"_s);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->setInformativeText(
            tr("Its %1 key has the fingerprint\n%2\n\nAccept it only if this is the fingerprint "
               "the host's administrator gave you; it is then remembered in known_hosts.")
                .arg(key.keyType, key.fingerprint));
        box->setTextInteractionFlags(Qt::TextSelectableByMouse);
        QPushButton *accept = box->addButton(tr("Accept and remember"), QMessageBox::AcceptRole);
        accept->setObjectName(u"accept"_s);
        QPushButton *cancel = box->addButton(QMessageBox::Cancel);
        box->setDefaultButton(cancel);
        box->setWindowModality(window ? Qt::WindowModal : Qt::ApplicationModal);
        QObject::connect(box, &QMessageBox::finished, box, [box, accept, answer] {
            answer(box->clickedButton() == accept);
        });
        // Destroyed without an answer (its window closed): no.
        QObject::connect(box, &QObject::destroyed, box, [answer] { answer(false); });
        box->open();
    });
}

// GCC 14 at -O2 warns that a moved std::optional<SshSecret> "may be used uninitialized" inside
// std::function's plumbing: a known false positive for optionals of aggregates.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
std::optional<SshSecret> DialogPrompter::askSecret(const SshSecretRequest &request)
{
    using Answer = std::optional<SshSecret>;
    return askOnUiThread<Answer>(m_shared, std::nullopt, [request](QWidget *window,
                                                                   std::function<void(Answer)>
                                                                       answer) {
        auto *dialog = new QDialog(window);
        dialog->setObjectName(u"SshSecretDialog"_s);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->setWindowTitle(secretTitle(request));
        auto *layout = new QVBoxLayout(dialog);
        auto *text = new QLabel(secretText(request), dialog);
        text->setWordWrap(true);
        text->setTextFormat(Qt::PlainText);
        layout->addWidget(text);
        if (!request.previousError.isEmpty()) {
            auto *error = new QLabel(tr("Attempt %1 of 3. The last one failed: %2")
                                         .arg(request.attempt)
                                         .arg(request.previousError),
                                     dialog);
            error->setObjectName(u"previousError"_s);
            error->setWordWrap(true);
            error->setTextFormat(Qt::PlainText);
            error->setForegroundRole(QPalette::Highlight);
            layout->addWidget(error);
        }
        const QString prompt = request.prompt.isEmpty() ? tr("Password:") : request.prompt;
        auto *promptLabel = new QLabel(prompt, dialog);
        promptLabel->setTextFormat(Qt::PlainText);
        layout->addWidget(promptLabel);
        auto *edit = new QLineEdit(dialog);
        edit->setObjectName(u"secret"_s);
        edit->setEchoMode(request.echo ? QLineEdit::Normal : QLineEdit::Password);
        promptLabel->setBuddy(edit);
        layout->addWidget(edit);
        auto *remember = new QCheckBox(tr("Remember in the system keychain"), dialog);
        remember->setObjectName(u"remember"_s);
        // A visible answer (often a one-time code) is not a secret worth keeping.
        remember->setVisible(!request.echo && request.rememberable);
        layout->addWidget(remember);
        auto *buttons =
            new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, dialog);
        layout->addWidget(buttons);
        QObject::connect(buttons, &QDialogButtonBox::accepted, dialog, &QDialog::accept);
        QObject::connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
        dialog->setWindowModality(window ? Qt::WindowModal : Qt::ApplicationModal);
        QObject::connect(dialog, &QDialog::finished, dialog,
                         [answer, edit, remember](int result) {
                             if (result != QDialog::Accepted) {
                                 answer(std::nullopt);
                                 return;
                             }
                             answer(SshSecret{edit->text(), remember->isChecked()});
                             edit->clear();
                         });
        QObject::connect(dialog, &QObject::destroyed, dialog,
                         [answer] { answer(std::nullopt); });
        edit->setFocus();
        dialog->open();
    });
}

#pragma GCC diagnostic pop

} // namespace gpuwb
