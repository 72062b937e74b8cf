#pragma once

#include "core/jobs/runconfig.h"

#include <QDialog>

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QTableWidget;

namespace gpuwb {

// Edits a project's run configuration: name, command, working folder, target and the
// environment (a two-column table). It validates as the person types, saying what is wrong,
// and on OK writes gpuwb.toml through RunConfigIo::saveRunConfig off the UI thread, closing
// only when that worked. Lives on the UI thread.
class RunConfigDialog : public QDialog
{
    Q_OBJECT
public:
    explicit RunConfigDialog(const QString &projectDir, QWidget *parent = nullptr);

    void setTargets(const QStringList &targetIds); // "local" is always offered
    void setRunConfig(const RunConfig &config);
    RunConfig runConfig() const;

    // Empty when the configuration can be saved; otherwise what to fix.
    QString validationError() const;
    QString projectDirectory() const { return m_projectDir; }

    QLineEdit *nameEdit() const { return m_name; }
    QLineEdit *commandEdit() const { return m_command; }
    QLineEdit *workdirEdit() const { return m_workdir; }
    QComboBox *targetCombo() const { return m_target; }
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
    QString m_origin;
    QLineEdit *m_name;
    QLineEdit *m_command;
    QLineEdit *m_workdir;
    QComboBox *m_target;
    QTableWidget *m_env;
    QLabel *m_error;
    QDialogButtonBox *m_buttons;
    bool m_saving = false;
};

} // namespace gpuwb
