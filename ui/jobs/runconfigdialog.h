#pragma once

#include "core/jobs/runconfig.h"

#include <QDialog>

#include <utility>

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QTableWidget;

namespace gpuwb {

// Edits a project's run configuration: name, command, working folder, target and the
// environment (a two-column table). It validates as the person types, saying what is wrong,
// and on OK writes gpuwb.toml through RunConfigIo::saveRunConfigWithTarget off the UI thread
// (the target key always written: it is the project's default for everyone), closing only
// when that worked. Settings it has no field for (setup, artifacts, remote_dir) are kept as
// setRunConfig gave them. The target offers what the toolbar's Target does: Auto, this
// machine and every SSH host. Lives on the UI thread.
class RunConfigDialog : public QDialog
{
    Q_OBJECT
public:
    explicit RunConfigDialog(const QString &projectDir, QWidget *parent = nullptr);

    // Auto and this machine, then `targetIds` ("ssh:<alias>" shown as the alias).
    void setTargets(const QStringList &targetIds);
    // The choices as the toolbar lists them: (id, label) pairs, "auto" and "local" among them.
    void setTargetChoices(const QList<std::pair<QString, QString>> &choices);
    // Selects a target id; one not offered is added (a host no longer listed stays visible).
    void selectTarget(const QString &targetId);
    QString target() const; // "auto", "local" or "ssh:<alias>"
    void setRunConfig(const RunConfig &config);
    RunConfig runConfig() const;

    // Empty when the configuration can be saved; otherwise what to fix.
    QString validationError() const;
    QString projectDirectory() const { return m_projectDir; }

    QLineEdit *nameEdit() const { return m_name; }
    QLineEdit *commandEdit() const { return m_command; }
    QLineEdit *workdirEdit() const { return m_workdir; }
    QComboBox *targetCombo() const { return m_target; }
    QLabel *targetHint() const { return m_targetHint; }
    QTableWidget *environmentTable() const { return m_env; }
    QDialogButtonBox *buttons() const { return m_buttons; }

public slots:
    void accept() override;

signals:
    void saved(const gpuwb::RunConfig &config);

private:
    void addEnvironmentRow(const QString &name = {}, const QString &value = {});
    void revalidate();

    QString m_projectDir;
    RunConfig m_base; // what setRunConfig gave: the settings without a field here
    QLineEdit *m_name;
    QLineEdit *m_command;
    QLineEdit *m_workdir;
    QComboBox *m_target;
    QLabel *m_targetHint;
    QTableWidget *m_env;
    QLabel *m_error;
    QDialogButtonBox *m_buttons;
    bool m_saving = false;
};

} // namespace gpuwb
