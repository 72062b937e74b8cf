#pragma once

#include "core/fs/location.h"

#include <QMainWindow>

#include <memory>

class QComboBox;
class QDockWidget;
class QLabel;
class QMenu;
class QSystemTrayIcon;

namespace gpuwb {

class DialogPrompter;
class EditorTabs;
class FileBrowser;
class HostStore;
class RemotePanel;
class SshConnections;
class TransferQueue;
class TransfersView;
class GpuPanel;
class Job;
class TargetSelector;
class GpuTelemetry;
struct GpuAlert;
class JobHistory;
class JobManager;
class JobPanel;
class LocalFileSystem;
class RecentProjects;
struct GpuSnapshot;
struct Error;

// The workbench window: file browser, editor, job panel and GPU panel around one project
// folder, and the remote files and transfers of SSH hosts. It owns the session's core objects
// (file system, job manager and history, GPU telemetry, hosts, SSH connections, transfer queue)
// and wires them to the panels; the panels themselves hold the behaviour. Lives on the
// UI thread.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    void openProject(const QString &directory);
    // Reopens the most recent project, or the bundled example when there is none.
    void openLastProject();
    QString projectDirectory() const { return m_project.path(); }

    EditorTabs *editor() const { return m_editor; }
    JobPanel *jobPanel() const { return m_jobPanel; }
    GpuPanel *gpuPanel() const { return m_gpuPanel; }
    FileBrowser *fileBrowser() const { return m_files; }
    JobManager *jobManager() const { return m_jobs.get(); }
    RemotePanel *remotePanel() const { return m_remote; }
    TransfersView *transfersView() const { return m_transfersView; }
    HostStore *hostStore() const { return m_hosts; }
    SshConnections *connections() const { return m_connections; }
    TransferQueue *transferQueue() const { return m_transfers; }
    TargetSelector *targetSelector() const { return m_targetSelector; }

    // Remote › Hosts…, Connect to Host…, Open Remote Folder…: non-modal dialogs.
    void showHostsDialog();
    void askHostToConnect();
    void askRemoteFolder();
    // Copies each of `sources` into `targetDir` through the transfer queue.
    void requestTransfers(const QList<Location> &sources, const Location &targetDir);
    // Remote › Forward Port…: a window forwarding a local port to a port of `alias` (empty:
    // the host of the remote pane or of the target).
    void showPortForward(const QString &alias = {});
    // A job's artifacts copied into <project>/artifacts/<job id>/; with `open`, each is shown
    // once it is here.
    void downloadArtifacts(const QString &jobId, const QList<Location> &artifacts, bool open);
    void openArtifact(const QString &localPath);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createMenus();
    void createRemote();
    void chooseProject();
    void rebuildRecentMenu();
    void createGpuTelemetry();
    void updateGpuStatus(const QString &hostId);
    void updateJobGpus();
    void showGpuAlert(const GpuAlert &alert);
    void updateTitle(bool anyDirty);
    void createTargets();
    void watchJob(Job *job);
    void editRunConfig();

    LocalFileSystem *m_fileSystem = nullptr;
    std::unique_ptr<JobHistory> m_history;
    std::unique_ptr<JobManager> m_jobs;
    GpuTelemetry *m_telemetry = nullptr;
    std::unique_ptr<RecentProjects> m_recent;

    FileBrowser *m_files = nullptr;
    EditorTabs *m_editor = nullptr;
    JobPanel *m_jobPanel = nullptr;
    GpuPanel *m_gpuPanel = nullptr;
    QComboBox *m_targetBox = nullptr;
    TargetSelector *m_targetSelector = nullptr;
    HostStore *m_hosts = nullptr;
    std::shared_ptr<DialogPrompter> m_prompter;
    SshConnections *m_connections = nullptr;
    TransferQueue *m_transfers = nullptr;
    RemotePanel *m_remote = nullptr;
    TransfersView *m_transfersView = nullptr;
    QLabel *m_gpuStatus = nullptr;
    QSystemTrayIcon *m_gpuTray = nullptr; // made for the first GPU alert, where there is a tray
    QMenu *m_recentMenu = nullptr;
    Location m_project;
    int m_localGpu = -1; // what the target selector was told: -1 nothing yet, 0 no, 1 yes
};

} // namespace gpuwb
