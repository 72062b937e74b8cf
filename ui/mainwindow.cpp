#include "ui/mainwindow.h"

#include "core/fs/localfilesystem.h"
#include "core/gpu/gpusampler.h"
#include "core/gpu/localgpusource.h"
#include "core/jobs/jobhistory.h"
#include "core/jobs/jobmanager.h"
#include "core/targets/localtarget.h"
#include "core/util/datapaths.h"
#include "core/util/logging.h"
#include "ui/editor/editortabs.h"
#include "ui/files/filebrowser.h"
#include "ui/files/recentprojects.h"
#include "ui/gpu/gpupanel.h"
#include "ui/jobs/jobpanel.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStatusBar>
#include <QToolBar>

using namespace Qt::StringLiterals;

namespace gpuwb {

static QDockWidget *makeDock(const QString &title, const QString &objectName, QWidget *content,
                             QMainWindow *window)
{
    auto *dock = new QDockWidget(title, window);
    dock->setObjectName(objectName);
    dock->setWidget(content);
    dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetClosable
                      | QDockWidget::DockWidgetFloatable);
    return dock;
}

MainWindow::MainWindow(QWidget *parent) : QMainWindow(parent)
{
    setWindowTitle(u"GPU Workbench"_s);
    setObjectName(u"MainWindow"_s);
    m_fileSystem = new LocalFileSystem(this);
    m_recent = std::make_unique<RecentProjects>();

    const DataPaths paths = dataPaths();
    auto history = JobHistory::open(paths.historyDatabase);
    if (!history) {
        // The workbench still runs jobs; only the history of this session is not kept.
        const QString why = history.errorMessage();
        qCWarning(lcUi) << why;
        history = JobHistory::open(u":memory:"_s);
        statusBar()->showMessage(tr("Job history is not kept this session: %1").arg(why), 30000);
    }
    if (history)
        m_history = std::move(history).value();
    m_jobs = std::make_unique<JobManager>(m_history.get(), paths.logDirectory);
    m_jobs->addTarget(new LocalTarget(m_fileSystem, m_jobs.get()));

    m_files = new FileBrowser(this);
    m_editor = new EditorTabs(this);
    m_jobPanel = new JobPanel(m_jobs.get(), this);
    m_gpuPanel = new GpuPanel(this);

    setCentralWidget(m_editor);
    QDockWidget *filesDock = makeDock(tr("Files"), u"FilesDock"_s, m_files, this);
    QDockWidget *jobsDock = makeDock(tr("Jobs"), u"JobsDock"_s, m_jobPanel, this);
    QDockWidget *gpuDock = makeDock(tr("GPUs"), u"GpuDock"_s, m_gpuPanel, this);
    addDockWidget(Qt::LeftDockWidgetArea, filesDock);
    addDockWidget(Qt::BottomDockWidgetArea, jobsDock);
    addDockWidget(Qt::RightDockWidgetArea, gpuDock);
    // First-run proportions: the editor gets most of the width, the job output a third of
    // the height. A saved layout replaces these below.
    resizeDocks({filesDock, gpuDock}, {240, 380}, Qt::Horizontal);
    resizeDocks({jobsDock}, {300}, Qt::Vertical);

    connect(m_files, &FileBrowser::openRequested, this,
            [this](const Location &location) { m_editor->openFile(m_fileSystem, location); });
    connect(m_files, &FileBrowser::renamed, this, [this](const Location &from, const Location &to) {
        m_editor->relocate(m_fileSystem, from, to);
    });
    connect(m_editor, &EditorTabs::dirtyChanged, this, &MainWindow::updateTitle);
    // Closing waits for saves the user asked for; when they are done, close for real.
    connect(m_editor, &EditorTabs::closeAllFinished, this, [this](bool allClosed) {
        if (allClosed)
            close();
    });
    connect(m_editor, &EditorTabs::status, this,
            [this](const QString &message) { statusBar()->showMessage(message, 8000); });

    createMenus();

    m_gpuStatus = new QLabel(tr("Looking for a local NVIDIA GPU…"), this);
    statusBar()->addPermanentWidget(m_gpuStatus);

    m_sampler = new GpuSampler(makeLocalGpuSource(), 1000, this);
    connect(m_sampler, &GpuSampler::sampled, this, &MainWindow::onGpuSampled);
    connect(m_sampler, &GpuSampler::failed, this, &MainWindow::onGpuFailed);
    connect(m_sampler, &GpuSampler::sampled, m_gpuPanel, &GpuPanel::onSampled);
    connect(m_sampler, &GpuSampler::failed, m_gpuPanel, &GpuPanel::onSourceFailed);
    connect(m_sampler, &GpuSampler::opened, m_gpuPanel, &GpuPanel::onOpened);
    m_sampler->start();

    QSettings settings;
    restoreGeometry(settings.value(u"window/geometry"_s).toByteArray());
    restoreState(settings.value(u"window/state"_s).toByteArray());
    if (!settings.contains(u"window/geometry"_s))
        resize(1400, 900);
}

MainWindow::~MainWindow()
{
    m_sampler->stop();
    // Jobs outlive their panels' views otherwise; end them before the widgets go.
    delete m_jobPanel;
    m_jobPanel = nullptr;
    m_jobs.reset();
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *open = file->addAction(tr("&Open Folder…"), this, &MainWindow::chooseProject);
    open->setShortcut(QKeySequence::Open);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    connect(m_recentMenu, &QMenu::aboutToShow, this, &MainWindow::rebuildRecentMenu);
    file->addSeparator();
    file->addAction(m_files->newFileAction());
    file->addAction(m_files->newFolderAction());
    file->addSeparator();
    file->addAction(m_editor->saveAction());
    file->addAction(m_editor->saveAllAction());
    file->addAction(m_editor->closeTabAction());
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    edit->addAction(m_editor->findAction());
    edit->addAction(m_editor->replaceAction());
    edit->addAction(m_editor->findNextAction());
    edit->addAction(m_editor->findPreviousAction());
    edit->addSeparator();
    edit->addAction(m_editor->goToLineAction());

    QMenu *run = menuBar()->addMenu(tr("&Run"));
    run->addAction(m_jobPanel->runAction());
    run->addAction(m_jobPanel->stopAction());
    run->addSeparator();
    run->addAction(m_jobPanel->editRunConfigAction());

    QMenu *view = menuBar()->addMenu(tr("&View"));
    for (QDockWidget *dock : findChildren<QDockWidget *>())
        view->addAction(dock->toggleViewAction());

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About GPU Workbench"), this, [this] {
        QMessageBox::about(this, tr("About GPU Workbench"),
                           tr("GPU Workbench %1\nEdit a project, run it on a GPU, watch the GPUs.")
                               .arg(QCoreApplication::applicationVersion()));
    });

    QToolBar *bar = addToolBar(tr("Main"));
    bar->setObjectName(u"MainToolBar"_s);
    bar->addAction(open);
    bar->addAction(m_editor->saveAction());
    bar->addSeparator();
    bar->addAction(m_jobPanel->runAction());
    bar->addAction(m_jobPanel->stopAction());
    bar->addSeparator();
    bar->addWidget(new QLabel(tr(" Target: "), bar));
    m_targetBox = new QComboBox(bar);
    m_targetBox->addItem(tr("This machine (local)"), u"local"_s);
    m_targetBox->setToolTip(tr("Where jobs run. Remote GPU hosts come with SSH support."));
    bar->addWidget(m_targetBox);
}

void MainWindow::openProject(const QString &directory)
{
    const QString dir = QDir(directory).absolutePath();
    if (!QFileInfo(dir).isDir()) {
        statusBar()->showMessage(tr("%1 is not a folder; choose a project folder with File › Open Folder.")
                                     .arg(dir), 10000);
        return;
    }
    m_project = Location::local(dir);
    m_files->setRoot(m_fileSystem, m_project);
    m_jobPanel->setProject(dir);
    m_recent->add(dir);
    QSettings().setValue(u"project/last"_s, dir);
    updateTitle(m_editor->hasUnsavedChanges());
}

void MainWindow::openLastProject()
{
    const QStringList recent = m_recent->projects();
    if (!recent.isEmpty()) {
        openProject(recent.first());
        return;
    }
    // The bundled example: beside an installed gpuwb, or in the source tree of a build.
    const QString bin = QCoreApplication::applicationDirPath();
    for (const QString &example : {bin + u"/../share/gpuwb/examples/saxpy"_s,
                                   bin + u"/../../../examples/saxpy"_s}) {
        if (QFileInfo(example).isDir()) {
            openProject(example);
            return;
        }
    }
}

void MainWindow::chooseProject()
{
    // Non-blocking: the dialog is window-modal and answers through a signal.
    auto *dialog = new QFileDialog(this, tr("Open Project Folder"), m_project.path());
    dialog->setFileMode(QFileDialog::Directory);
    dialog->setOption(QFileDialog::ShowDirsOnly);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QFileDialog::fileSelected, this, &MainWindow::openProject);
    dialog->open();
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    const QStringList projects = m_recent->projects();
    for (const QString &dir : projects)
        m_recentMenu->addAction(dir, this, [this, dir] { openProject(dir); });
    if (projects.isEmpty())
        m_recentMenu->addAction(tr("No recent projects"))->setEnabled(false);
}

void MainWindow::onGpuSampled(const GpuSnapshot &snapshot)
{
    if (m_gpuStatusKnown)
        return;
    m_gpuStatusKnown = true;
    if (snapshot.gpus.isEmpty()) {
        m_gpuStatus->setText(tr("No local NVIDIA GPU"));
        return;
    }
    m_gpuStatus->setText(snapshot.gpus.size() == 1
                             ? tr("Local NVIDIA GPU: %1").arg(snapshot.gpus.first().name)
                             : tr("%n local NVIDIA GPUs", nullptr, int(snapshot.gpus.size())));
}

void MainWindow::onGpuFailed(const Error &error)
{
    m_gpuStatusKnown = true;
    m_gpuStatus->setText(tr("No local NVIDIA GPU"));
    m_gpuStatus->setToolTip(error.message);
}

void MainWindow::updateTitle(bool anyDirty)
{
    const QString project = m_project.isValid() ? m_project.fileName() : tr("no project");
    setWindowTitle((anyDirty ? u"● "_s : QString()) + project + u" — GPU Workbench"_s);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    // Ask about running jobs before any editor tab is closed, so that Cancel leaves
    // everything as it was.
    int running = 0;
    for (Job *job : m_jobs->jobs())
        if (!isFinal(job->state()))
            ++running;
    if (running > 0) {
        const auto answer = QMessageBox::question(
            this, tr("Jobs are running"),
            tr("%n job(s) still running. Stop them and quit? Their output so far stays in the log.",
               nullptr, running),
            QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
        if (answer != QMessageBox::Yes) {
            event->ignore();
            return;
        }
    }
    if (!m_editor->closeAll()) {
        event->ignore();
        return;
    }
    QSettings settings;
    settings.setValue(u"window/geometry"_s, saveGeometry());
    settings.setValue(u"window/state"_s, saveState());
    event->accept();
}

} // namespace gpuwb
