#pragma once

#include "core/fs/location.h"

#include <QMainWindow>

#include <memory>

class QComboBox;
class QDockWidget;
class QLabel;
class QMenu;

namespace gpuwb {

class EditorTabs;
class FileBrowser;
class GpuPanel;
class GpuSampler;
class JobHistory;
class JobManager;
class JobPanel;
class LocalFileSystem;
class RecentProjects;
struct GpuSnapshot;
struct Error;

// The workbench window: file browser, editor, job panel and GPU panel around one project
// folder. It owns the session's core objects (file system, job manager and history, GPU
// sampler) and wires them to the panels; the panels themselves hold the behaviour. Lives on the
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

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createMenus();
    void chooseProject();
    void rebuildRecentMenu();
    void onGpuSampled(const GpuSnapshot &snapshot);
    void onGpuFailed(const Error &error);
    void updateTitle(bool anyDirty);

    LocalFileSystem *m_fileSystem = nullptr;
    std::unique_ptr<JobHistory> m_history;
    std::unique_ptr<JobManager> m_jobs;
    GpuSampler *m_sampler = nullptr;
    std::unique_ptr<RecentProjects> m_recent;

    FileBrowser *m_files = nullptr;
    EditorTabs *m_editor = nullptr;
    JobPanel *m_jobPanel = nullptr;
    GpuPanel *m_gpuPanel = nullptr;
    QComboBox *m_targetBox = nullptr;
    QLabel *m_gpuStatus = nullptr;
    QMenu *m_recentMenu = nullptr;
    Location m_project;
    bool m_gpuStatusKnown = false;
};

} // namespace gpuwb
