#include "ui/jobs/runconfigdialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QFuture>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSet>
#include <QTableWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

struct SaveOutcome
{
    bool ok = false;
    QString error;
};

} // namespace

RunConfigDialog::RunConfigDialog(const QString &projectDir, QWidget *parent)
    : QDialog(parent), m_projectDir(projectDir)
{
    setWindowTitle(tr("Run Configuration"));
    m_name = new QLineEdit(this);
    m_name->setPlaceholderText(tr("for people, e.g. saxpy"));
    m_command = new QLineEdit(this);
    m_command->setPlaceholderText(tr("a shell command line, e.g. ./build/saxpy --n 1000000"));
    m_workdir = new QLineEdit(this);
    m_workdir->setPlaceholderText(tr("relative to the project folder"));
    m_target = new QComboBox(this);
    m_targetHint = new QLabel(tr("Saved in gpuwb.toml for everyone using this project; the "
                                 "toolbar's Target choice is yours only."),
                              this);
    m_targetHint->setWordWrap(true);
    m_targetHint->setTextFormat(Qt::PlainText);
    QFont small = m_targetHint->font();
    small.setPointSizeF(small.pointSizeF() * 0.9);
    m_targetHint->setFont(small);
    setTargets({});

    m_env = new QTableWidget(0, 2, this);
    m_env->setHorizontalHeaderLabels({tr("Variable"), tr("Value")});
    m_env->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_env->verticalHeader()->hide();
    m_env->setSelectionBehavior(QAbstractItemView::SelectRows);
    auto *add = new QPushButton(QIcon::fromTheme(u"list-add"_s), tr("Add"), this);
    auto *remove = new QPushButton(QIcon::fromTheme(u"list-remove"_s), tr("Remove"), this);
    auto *envButtons = new QHBoxLayout;
    envButtons->addWidget(add);
    envButtons->addWidget(remove);
    envButtons->addStretch(1);

    m_error = new QLabel(this);
    m_error->setWordWrap(true);
    m_error->setTextFormat(Qt::PlainText);
    QPalette errorPalette = m_error->palette();
    const bool dark = errorPalette.color(QPalette::Window).lightness() < 128;
    errorPalette.setColor(QPalette::WindowText, dark ? QColor(0xff8a80) : QColor(0xb3261e));
    m_error->setPalette(errorPalette);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("Save"));

    auto *form = new QFormLayout;
    form->addRow(tr("&Name:"), m_name);
    form->addRow(tr("&Command:"), m_command);
    form->addRow(tr("&Working folder:"), m_workdir);
    form->addRow(tr("&Target:"), m_target);
    form->addRow(QString(), m_targetHint);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    auto *envLabel = new QLabel(tr("&Environment:"), this);
    envLabel->setBuddy(m_env);
    layout->addWidget(envLabel);
    layout->addWidget(m_env, 1);
    layout->addLayout(envButtons);
    layout->addWidget(m_error);
    layout->addWidget(m_buttons);
    resize(560, 420);

    connect(add, &QPushButton::clicked, this, [this] {
        addEnvironmentRow();
        m_env->setCurrentCell(m_env->rowCount() - 1, 0);
        m_env->editItem(m_env->item(m_env->rowCount() - 1, 0));
    });
    connect(remove, &QPushButton::clicked, this, [this] {
        const int row = m_env->currentRow();
        if (row >= 0)
            m_env->removeRow(row);
        revalidate();
    });
    connect(m_buttons, &QDialogButtonBox::accepted, this, &RunConfigDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &RunConfigDialog::reject);
    for (QLineEdit *edit : {m_name, m_command, m_workdir})
        connect(edit, &QLineEdit::textChanged, this, &RunConfigDialog::revalidate);
    connect(m_env, &QTableWidget::itemChanged, this, &RunConfigDialog::revalidate);
    revalidate();
}

void RunConfigDialog::setTargets(const QStringList &targetIds)
{
    QList<std::pair<QString, QString>> choices{{u"auto"_s, tr("Auto")},
                                               {u"local"_s, tr("This machine (local)")}};
    for (const QString &id : targetIds) {
        const bool ssh = id.startsWith(u"ssh:"_s) && id.size() > 4;
        choices.append({id, ssh ? id.mid(4) : id});
    }
    setTargetChoices(choices);
}

void RunConfigDialog::setTargetChoices(const QList<std::pair<QString, QString>> &choices)
{
    const QString current = m_target->count() ? target() : QString();
    m_target->clear();
    for (const auto &[id, label] : choices)
        if (m_target->findData(id) < 0)
            m_target->addItem(label, id);
    // Auto and this machine are always there, whatever the caller listed.
    if (m_target->findData(u"local"_s) < 0)
        m_target->insertItem(0, tr("This machine (local)"), u"local"_s);
    if (m_target->findData(u"auto"_s) < 0)
        m_target->insertItem(0, tr("Auto"), u"auto"_s);
    selectTarget(current.isEmpty() ? u"local"_s : current);
}

void RunConfigDialog::selectTarget(const QString &targetId)
{
    const QString id = targetId.isEmpty() ? u"local"_s : targetId;
    int index = m_target->findData(id);
    if (index < 0) {
        // Keep what the file or the toolbar says, even if that target is not listed here.
        const bool ssh = id.startsWith(u"ssh:"_s);
        m_target->addItem(ssh ? tr("%1 (not in the host list)").arg(id.mid(4)) : id, id);
        index = m_target->count() - 1;
    }
    m_target->setCurrentIndex(index);
}

QString RunConfigDialog::target() const
{
    const QString id = m_target->currentData().toString();
    return id.isEmpty() ? u"local"_s : id;
}

void RunConfigDialog::setRunConfig(const RunConfig &config)
{
    m_base = config;
    m_name->setText(config.name);
    m_command->setText(config.command);
    m_workdir->setText(config.workdir.isEmpty() ? u"."_s : config.workdir);
    selectTarget(config.target);
    m_env->setRowCount(0);
    for (auto it = config.env.cbegin(); it != config.env.cend(); ++it)
        addEnvironmentRow(it.key(), it.value());
    revalidate();
}

RunConfig RunConfigDialog::runConfig() const
{
    RunConfig config = m_base; // setup, artifacts and remote_dir as they were
    config.env.clear();
    config.name = m_name->text().trimmed();
    config.command = m_command->text().trimmed();
    config.workdir = m_workdir->text().trimmed().isEmpty() ? u"."_s : m_workdir->text().trimmed();
    config.target = target();
    config.origin = QString::fromLatin1(RunConfigIo::FileName);
    for (int row = 0; row < m_env->rowCount(); ++row) {
        const QTableWidgetItem *name = m_env->item(row, 0);
        const QTableWidgetItem *value = m_env->item(row, 1);
        const QString key = name ? name->text().trimmed() : QString();
        if (key.isEmpty() && (!value || value->text().isEmpty()))
            continue; // an empty row someone added and left
        config.env.insert(key, value ? value->text() : QString());
    }
    return config;
}

QString RunConfigDialog::validationError() const
{
    if (m_command->text().trimmed().isEmpty())
        return tr("Enter the command to run, e.g. ./run.sh or python3 -u train.py.");
    const QString workdir = m_workdir->text().trimmed();
    if (workdir.startsWith(u'/'))
        return tr("Give the working folder relative to the project folder, e.g. . or build.");
    for (const QLineEdit *edit : {m_name, m_command, m_workdir})
        if (edit->text().contains(u'\n') || edit->text().contains(u'\r'))
            return tr("Names, commands and folders must fit on one line.");
    static const QRegularExpression variable(u"^[A-Za-z_][A-Za-z0-9_]*$"_s);
    QSet<QString> seen;
    for (int row = 0; row < m_env->rowCount(); ++row) {
        const QTableWidgetItem *name = m_env->item(row, 0);
        const QTableWidgetItem *value = m_env->item(row, 1);
        const QString key = name ? name->text().trimmed() : QString();
        if (key.isEmpty() && (!value || value->text().isEmpty()))
            continue;
        if (key.isEmpty())
            return tr("Environment row %1 has a value but no variable name.").arg(row + 1);
        if (!variable.match(key).hasMatch())
            return tr("\"%1\" is not a variable name: use letters, digits and _, not starting "
                      "with a digit.")
                .arg(key);
        if (seen.contains(key))
            return tr("%1 is set twice in the environment; remove one of the rows.").arg(key);
        seen.insert(key);
    }
    return {};
}

void RunConfigDialog::addEnvironmentRow(const QString &name, const QString &value)
{
    const QSignalBlocker blocker(m_env);
    const int row = m_env->rowCount();
    m_env->insertRow(row);
    m_env->setItem(row, 0, new QTableWidgetItem(name));
    m_env->setItem(row, 1, new QTableWidgetItem(value));
}

void RunConfigDialog::revalidate()
{
    const QString error = validationError();
    m_error->setText(error);
    m_error->setVisible(!error.isEmpty());
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(error.isEmpty() && !m_saving);
}

void RunConfigDialog::accept()
{
    if (m_saving || !validationError().isEmpty())
        return;
    m_saving = true;
    revalidate();
    const RunConfig config = runConfig();
    const QString dir = m_projectDir;
    // Writing the file touches the disk: off the UI thread; close only once it is saved.
    QtConcurrent::run([dir, config] {
        const Status status = RunConfigIo::saveRunConfigWithTarget(dir, config);
        return SaveOutcome{status.ok(), status.errorMessage()};
    }).then(this, [this, config](const SaveOutcome &outcome) {
        m_saving = false;
        if (!outcome.ok) {
            m_error->setText(outcome.error);
            m_error->setVisible(true);
            m_buttons->button(QDialogButtonBox::Ok)->setEnabled(true);
            return;
        }
        emit saved(config);
        QDialog::accept();
    });
}

} // namespace gpuwb
