#pragma once

#include "core/fs/location.h"

#include <QHash>
#include <QPointer>
#include <QWidget>

#include <functional>

class QAction;
class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QStackedWidget;
class QTableView;
class QToolButton;

namespace gpuwb {

class ArtifactsView;
class Job;
class JobFilterModel;
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
    // What the list shows: the model through the target and state filters above it.
    JobFilterModel *filterModel() const { return m_filter; }
    QComboBox *targetFilterBox() const { return m_targetFilter; }
    QComboBox *stateFilterBox() const { return m_stateFilter; }
    // Lists the manager's targets (and those of listed jobs) in the target filter again.
    void refreshTargets();
    QTableView *jobList() const { return m_list; }
    QLineEdit *searchField() const { return m_search; }
    OutputView *currentView() const;
    OutputView *viewFor(const QString &jobId) const; // nullptr when none was made
    QString currentJobId() const;
    void selectJob(const QString &jobId);

    // The message line over the output: empty when all is well.
    QString message() const;

    // Where Run runs: given the run configuration's target ("local", "auto", "ssh:<alias>"),
    // the id of the target to start the job on, or an empty string when there is none (the
    // resolver then says why through runFailed's message it returns in `why`). Unset: the
    // configuration's own target.
    using TargetResolver = std::function<QString(const QString &configured, QString *why)>;
    void setTargetResolver(TargetResolver resolver) { m_resolveTarget = std::move(resolver); }

    // What Run does first, before it reads the configuration: e.g. the window saves the
    // project's edited files, so that a job runs what the user sees. It calls `proceed` once,
    // later or at once; with ok false Run stops and shows `why`. Unset: Run goes on at once.
    using BeforeRun = std::function<void(const QString &projectDir,
                                         std::function<void(bool ok, const QString &why)> proceed)>;
    void setBeforeRun(BeforeRun beforeRun) { m_beforeRun = std::move(beforeRun); }

    // A job copying the project before it starts (bytes), shown over its output until done.
    void setSyncProgress(const QString &jobId, qint64 done, qint64 total);
    bool isSyncing(const QString &jobId) const;
    QProgressBar *syncBar() const { return m_syncBar; }
    // The files a job left, listed when it ended; shown under its output.
    void setArtifacts(const QString &jobId, const QList<Location> &artifacts);
    QList<Location> artifacts(const QString &jobId) const { return m_artifacts.value(jobId); }
    // An artifact is now on this machine at localPath.
    void setArtifactDownloaded(const QString &jobId, const Location &artifact,
                               const QString &localPath);
    ArtifactsView *artifactsView() const { return m_artifactsView; }
    // Forward Port… for the current job: enabled for jobs on an SSH host.
    QAction *forwardPortAction() const { return m_forwardAction; }

public slots:
    void run();
    void stop();
    void editRunConfig();

signals:
    // Run was asked for and the configuration could not be read or started.
    void runFailed(const QString &message);
    // The artifacts view asked for files of a job; `open` shows each once it is here.
    void artifactsDownloadRequested(const QString &jobId, const QList<gpuwb::Location> &artifacts,
                                    bool open);
    void artifactOpenRequested(const QString &jobId, const gpuwb::Location &artifact,
                               const QString &localPath);
    void forwardPortRequested(const QString &jobId, const QString &targetId);

private:
    void startRun(const QString &dir);
    void onJobStarted(Job *job);
    void onCurrentRowChanged();
    void showView(const QString &jobId);
    OutputView *makeView(const QString &jobId, const QString &logPath);
    // completeUpTo: see readLogTail(); then() runs on the UI thread once the lines are shown.
    void loadLog(const QString &jobId, const QString &logPath, qint64 completeUpTo = -1,
                 std::function<void()> then = {});
    void showMessage(const QString &text, bool error);
    void updateActions();
    void updateMatchCount();
    void applySearch();
    void updateJobExtras();
    int sourceRow(const QModelIndex &viewIndex) const;
    QString currentTargetId() const;
    void showContextMenu(const QPoint &pos);

    JobManager *m_manager;
    JobListModel *m_model;
    JobFilterModel *m_filter;
    QString m_project;
    TargetResolver m_resolveTarget;
    BeforeRun m_beforeRun;

    QAction *m_runAction;
    QAction *m_stopAction;
    QAction *m_editAction;
    QAction *m_findAction;
    QAction *m_forwardAction;

    QTableView *m_list;
    QComboBox *m_targetFilter;
    QComboBox *m_stateFilter;
    QLabel *m_message;
    QProgressBar *m_syncBar;
    ArtifactsView *m_artifactsView;
    QHash<QString, std::pair<qint64, qint64>> m_sync; // job id -> (done, total) while syncing
    QHash<QString, QList<Location>> m_artifacts;
    QHash<QString, QHash<Location, QString>> m_downloaded; // job id -> artifact -> local path
    QLineEdit *m_search;
    QLabel *m_matches;
    QStackedWidget *m_stack;
    QWidget *m_placeholder;
    QHash<QString, OutputView *> m_views;
    QString m_historyViewId; // the one view made for a history job; replaced on the next
    bool m_runPending = false;
};

} // namespace gpuwb
