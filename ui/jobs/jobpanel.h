#pragma once

#include <QHash>
#include <QPointer>
#include <QWidget>

class QAction;
class QLabel;
class QLineEdit;
class QStackedWidget;
class QTableView;
class QToolButton;

namespace gpuwb {

class Job;
class JobListModel;
class JobManager;
class OutputView;

// The job panel: Run and Stop, the list of jobs (this session's and the history's) and the
// output of the selected one, with search, copy and clear over it. Run reads the project's
// run configuration off the UI thread and starts it through the JobManager; what goes wrong
// is said in a line above the output, never in a blocking dialog. Each live job has its own
// OutputView, fed by the job's output signal from the moment it starts; a history job's view
// is filled from the tail of its log, read off the UI thread. Lives on the UI thread.
class JobPanel : public QWidget
{
    Q_OBJECT
public:
    explicit JobPanel(JobManager *manager, QWidget *parent = nullptr);
    ~JobPanel() override;

    void setProject(const QString &dir);
    QString project() const { return m_project; }

    // For the main window's toolbar and menus: Run (F5), Stop (Shift+F5), and the editor of
    // the run configuration.
    QAction *runAction() const { return m_runAction; }
    QAction *stopAction() const { return m_stopAction; }
    QAction *editRunConfigAction() const { return m_editAction; }

    JobListModel *model() const { return m_model; }
    QTableView *jobList() const { return m_list; }
    QLineEdit *searchField() const { return m_search; }
    OutputView *currentView() const;
    OutputView *viewFor(const QString &jobId) const; // nullptr when none was made
    QString currentJobId() const;
    void selectJob(const QString &jobId);

    // The message line over the output: empty when all is well.
    QString message() const;

public slots:
    void run();
    void stop();
    void editRunConfig();

signals:
    // Run was asked for and the configuration could not be read or started.
    void runFailed(const QString &message);

private:
    void onJobStarted(Job *job);
    void onCurrentRowChanged();
    void showView(const QString &jobId);
    OutputView *makeView(const QString &jobId, const QString &logPath);
    void loadLog(const QString &jobId, const QString &logPath);
    void showMessage(const QString &text, bool error);
    void updateActions();
    void updateMatchCount();
    void applySearch();

    JobManager *m_manager;
    JobListModel *m_model;
    QString m_project;

    QAction *m_runAction;
    QAction *m_stopAction;
    QAction *m_editAction;
    QAction *m_findAction;

    QTableView *m_list;
    QLabel *m_message;
    QLineEdit *m_search;
    QLabel *m_matches;
    QStackedWidget *m_stack;
    QWidget *m_placeholder;
    QHash<QString, OutputView *> m_views;
    QString m_historyViewId; // the one view made for a history job; replaced on the next
    bool m_runPending = false;
};

} // namespace gpuwb
