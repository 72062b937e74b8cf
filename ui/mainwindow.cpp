#include "ui/mainwindow.h"

#include "core/fs/localfilesystem.h"
#include "core/telemetry/gpuattribution.h"
#include "core/telemetry/gputelemetry.h"
#include "core/jobs/jobhistory.h"
#include "core/jobs/jobmanager.h"
#include "core/remote/remotejob.h"
#include "core/remote/remotetarget.h"
#include "core/ssh/hoststore.h"
#include "core/ssh/keychainsecretstore.h"
#include "core/ssh/sftpfilesystem.h"
#include "core/ssh/sshconnections.h"
#include "core/ssh/transferqueue.h"
#include "core/targets/localtarget.h"
#include "core/util/datapaths.h"
#include "core/util/logging.h"
#include "ui/editor/editortabs.h"
#include "ui/files/filebrowser.h"
#include "ui/files/filetreemodel.h"
#include "ui/files/recentprojects.h"
#include "ui/gpu/gpualertmonitor.h"
#include "ui/gpu/gpupanel.h"
#include "ui/gpu/gputext.h"
#include "ui/jobs/artifactsview.h"
#include "ui/jobs/imageviewer.h"
#include "ui/jobs/joblistmodel.h"
#include "ui/jobs/jobpanel.h"
#include "ui/jobs/runconfigdialog.h"
#include "ui/portforwarddialog.h"
#include "ui/remote/dialogprompter.h"
#include "ui/remote/hostsdialog.h"
#include "ui/remote/remotepanel.h"
#include "ui/remote/transfersview.h"
#include "ui/targetselector.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDesktopServices>
#include <QDir>
#include <QFuture>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QImageReader>
#include <QInputDialog>
#include <QTreeView>
#include <QLabel>
#include <QMenuBar>
#include <QLocale>
#include <QMessageBox>
#include <QPointer>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>
#include <QSystemTrayIcon>
#include <QToolBar>
#include <QUrl>
#include <QtConcurrent/QtConcurrentRun>

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
    createRemote();
    connect(m_editor, &EditorTabs::dirtyChanged, this, &MainWindow::updateTitle);
    // Closing waits for saves the user asked for; when they are done, close for real.
    connect(m_editor, &EditorTabs::closeAllFinished, this, [this](bool allClosed) {
        if (allClosed)
            close();
    });
    connect(m_editor, &EditorTabs::status, this,
            [this](const QString &message) { statusBar()->showMessage(message, 8000); });

    createMenus();
    createTargets();

    createGpuTelemetry();

    QSettings settings;
    restoreGeometry(settings.value(u"window/geometry"_s).toByteArray());
    restoreState(settings.value(u"window/state"_s).toByteArray());
    if (!settings.contains(u"window/geometry"_s))
        resize(1400, 900);
}

MainWindow::~MainWindow()
{
    // Connection threads waiting on a question must not wait for this window any more.
    if (m_prompter)
        m_prompter->shutdown();
    // The telemetry streams over the connections: it goes before them.
    delete m_telemetry;
    m_telemetry = nullptr;
    // Jobs outlive their panels' views otherwise; end them before the widgets go.
    delete m_targetSelector;
    m_targetSelector = nullptr;
    delete m_jobPanel;
    m_jobPanel = nullptr;
    m_jobs.reset();
    // The editor and the remote pane borrow the remote file systems: they go first, then the
    // transfers, then the connections (whose destructors join their threads).
    delete m_editor;
    m_editor = nullptr;
    delete m_remote;
    m_remote = nullptr;
    delete m_transfersView;
    m_transfersView = nullptr;
    delete m_transfers;
    m_transfers = nullptr;
    delete m_connections;
    m_connections = nullptr;
}

void MainWindow::createRemote()
{
    m_hosts = new HostStore(SshPaths::defaults(), this);
    m_prompter = std::make_shared<DialogPrompter>(this);
    SshConnection::Options options;
    options.prompter = m_prompter;
    options.secrets = std::make_shared<KeychainSecretStore>();
    m_connections = new SshConnections(options, this);
    m_transfers = new TransferQueue(m_connections, this);

    m_remote = new RemotePanel(m_hosts, m_connections, this);
    m_transfersView = new TransfersView(m_transfers, this);
    QDockWidget *remoteDock = makeDock(tr("Remote files"), u"RemoteDock"_s, m_remote, this);
    QDockWidget *transfersDock =
        makeDock(tr("Transfers"), u"TransfersDock"_s, m_transfersView, this);
    addDockWidget(Qt::LeftDockWidgetArea, remoteDock);
    addDockWidget(Qt::BottomDockWidgetArea, transfersDock);
    resizeDocks({remoteDock}, {360}, Qt::Horizontal);
    tabifyDockWidget(findChild<QDockWidget *>(u"JobsDock"_s), transfersDock);
    findChild<QDockWidget *>(u"JobsDock"_s)->raise();

    FileBrowser *remoteFiles = m_remote->browser();
    connect(remoteFiles, &FileBrowser::openRequested, this, [this](const Location &location) {
        if (FileSystem *fs = m_remote->browser()->model()->fileSystem())
            m_editor->openFile(fs, location);
    });
    connect(remoteFiles, &FileBrowser::renamed, this,
            [this](const Location &from, const Location &to) {
                if (FileSystem *fs = m_remote->browser()->model()->fileSystem())
                    m_editor->relocate(fs, from, to);
            });
    connect(remoteFiles, &FileBrowser::transferRequested, this, &MainWindow::requestTransfers);
    connect(m_files, &FileBrowser::transferRequested, this, &MainWindow::requestTransfers);
    remoteFiles->setSendAction(tr("Download to Project Folder"), [this] {
        return m_files->targetDirectory();
    });
    m_files->setSendAction(tr("Upload to Remote Folder"), [this] {
        return m_remote->browser()->targetDirectory();
    });
    connect(m_remote, &RemotePanel::stateChanged, this, [this](SshState state, const QString &) {
        if (state == SshState::Failed && !m_remote->currentAlias().isEmpty()) {
            statusBar()->showMessage(tr("%1: %2").arg(m_remote->currentAlias(),
                                                      m_remote->stateLabel()->text()),
                                     10000);
        }
    });
}

void MainWindow::requestTransfers(const QList<Location> &sources, const Location &targetDir)
{
    for (const Location &source : sources) {
        const Location destination = targetDir.child(source.fileName());
        auto transfer = m_transfers->enqueue(source, destination);
        if (!transfer.ok()) {
            statusBar()->showMessage(transfer.errorMessage(), 10000);
            continue;
        }
        // Show the copy where it landed once it is there.
        connect(*transfer, &Transfer::finished, this, [this, destination] {
            for (FileBrowser *browser : {m_files, m_remote->browser()}) {
                if (browser->root().isValid() && destination.isInside(browser->root()))
                    browser->model()->refresh(destination.parent());
            }
        });
    }
    if (auto *dock = findChild<QDockWidget *>(u"TransfersDock"_s); dock && !sources.isEmpty()) {
        dock->show();
        dock->raise();
    }
}

void MainWindow::showHostsDialog()
{
    auto *dialog = new HostsDialog(m_hosts, m_connections->options(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->open();
}

void MainWindow::askHostToConnect()
{
    auto *dialog = new QInputDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("Connect to Host"));
    dialog->setLabelText(tr("Host (an alias of ~/.ssh/config or of Remote › Hosts…):"));
    QStringList aliases;
    for (const SshHost &host : m_hosts->hosts())
        aliases << host.alias;
    dialog->setComboBoxItems(aliases);
    dialog->setComboBoxEditable(true);
    connect(dialog, &QInputDialog::textValueSelected, this, [this](const QString &alias) {
        const QString trimmed = alias.trimmed();
        if (trimmed.isEmpty())
            return;
        if (auto *dock = findChild<QDockWidget *>(u"RemoteDock"_s)) {
            dock->show();
            dock->raise();
        }
        m_remote->openHost(trimmed);
    });
    dialog->open();
}

void MainWindow::askRemoteFolder()
{
    auto *dialog = new QInputDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("Open Remote Folder"));
    dialog->setLabelText(tr("Remote folder as host:/path (e.g. gpu1:/home/me/project):"));
    const QString alias = m_remote->currentAlias();
    dialog->setTextValue(alias.isEmpty() ? QString() : alias + u":/"_s);
    connect(dialog, &QInputDialog::textValueSelected, this, [this](const QString &text) {
        const Location location = Location::fromString(text.trimmed());
        if (location.isLocal() || !location.path().startsWith(u'/')) {
            statusBar()->showMessage(
                tr("“%1” is not a remote folder: write host:/path.").arg(text), 10000);
            return;
        }
        if (auto *dock = findChild<QDockWidget *>(u"RemoteDock"_s)) {
            dock->show();
            dock->raise();
        }
        m_remote->openLocation(location);
    });
    dialog->open();
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

    QMenu *remote = menuBar()->addMenu(tr("Re&mote"));
    remote->addAction(tr("&Hosts…"), this, &MainWindow::showHostsDialog);
    remote->addAction(tr("&Connect to Host…"), this, &MainWindow::askHostToConnect);
    remote->addAction(tr("Open Remote &Folder…"), this, &MainWindow::askRemoteFolder);
    remote->addSeparator();
    remote->addAction(tr("Forward &Port…"), this, [this] { showPortForward(); });

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
    m_targetBox->setObjectName(u"TargetBox"_s);
    bar->addWidget(m_targetBox);
}

void MainWindow::createTargets()
{
    m_targetSelector = new TargetSelector(m_targetBox, m_hosts, m_connections, m_jobs.get(), this);
    connect(m_targetSelector, &TargetSelector::targetsChanged, m_jobPanel,
            &JobPanel::refreshTargets);
    m_jobPanel->setTargetResolver(
        [this](const QString &, QString *why) { return m_targetSelector->resolve(why); });
    // Run runs what the editors show: the project's edited files are saved first, and a
    // failed save stops the Run (its message says why; the edits stay in the editor).
    m_jobPanel->setBeforeRun([this](const QString &dir, auto proceed) {
        m_editor->saveModifiedInside(
            Location::local(dir), [proceed](bool ok, const QString &message) {
                proceed(ok, ok ? QString() : tr("Not run, because an edited file could not be "
                                                "saved first. %1").arg(message));
            });
    });
    // Hosts that running jobs of the history ran on get a target even when no longer listed,
    // so that those jobs can re-attach.
    QStringList running;
    if (m_history)
        for (const JobRecord &record : m_history->recent())
            if (!isFinal(record.state) && !running.contains(record.spec.targetId))
                running.append(record.spec.targetId);
    m_targetSelector->registerTargets(running);
    m_jobPanel->refreshTargets();

    connect(m_jobs.get(), &JobManager::jobStarted, this, &MainWindow::watchJob);
    connect(m_jobPanel, &JobPanel::artifactsDownloadRequested, this,
            &MainWindow::downloadArtifacts);
    connect(m_jobPanel, &JobPanel::artifactOpenRequested, this,
            [this](const QString &, const Location &, const QString &localPath) {
                openArtifact(localPath);
            });
    connect(m_jobPanel, &JobPanel::forwardPortRequested, this,
            [this](const QString &, const QString &targetId) {
                showPortForward(RemoteTarget::aliasFromId(targetId));
            });
    // The dialog's target and the toolbar's are one setting: the window opens the run
    // configuration itself, with the toolbar's choices, and the toolbar follows a save.
    QAction *editRunConfig = m_jobPanel->editRunConfigAction();
    disconnect(editRunConfig, &QAction::triggered, m_jobPanel, nullptr);
    connect(editRunConfig, &QAction::triggered, this, &MainWindow::editRunConfig);
    m_jobs->reattach(); // running remote jobs of the history come back (jobStarted)
    for (Job *job : m_jobs->jobs())
        watchJob(job);
}

void MainWindow::watchJob(Job *job)
{
    if (job->property("gpuwbWatched").toBool())
        return;
    job->setProperty("gpuwbWatched", true);
    m_targetSelector->noteJobStarted(job->spec());
    auto *remote = qobject_cast<RemoteJob *>(job);
    if (!remote)
        return;
    const QString id = job->id();
    connect(remote, &RemoteJob::syncProgress, m_jobPanel, [this, id](qint64 done, qint64 total) {
        m_jobPanel->setSyncProgress(id, done, total);
    });
    connect(remote, &RemoteJob::artifactsListed, m_jobPanel,
            [this, id](const QList<Location> &artifacts) {
                m_jobPanel->setArtifacts(id, artifacts);
            });
    if (!remote->artifacts().isEmpty())
        m_jobPanel->setArtifacts(id, remote->artifacts());
    // A first sync of large folders asks first; open(), not exec(): the UI goes on meanwhile.
    connect(remote, &RemoteJob::syncConfirmationNeeded, this,
            [this, remote](const SyncPlan &plan) {
        const QString project = QFileInfo(QDir::cleanPath(remote->spec().projectDirectory))
                                    .fileName();
        const QString host = remote->spec().targetId.startsWith(u"ssh:"_s)
                                 ? remote->spec().targetId.mid(4)
                                 : remote->spec().targetId;
        auto *box = new QMessageBox(QMessageBox::Warning, tr("Large first sync"),
                                    tr("First sync of %1 to %2 will send %n file(s), %3.", nullptr,
                                       int(plan.uploads.size()))
                                        .arg(project, host,
                                             QLocale().formattedDataSize(
                                                 plan.bytesToSend, 1,
                                                 QLocale::DataSizeTraditionalFormat)),
                                    QMessageBox::NoButton, this);
        box->setInformativeText(tr("Large folders: %1. Add them to .gpuwbignore to skip them.")
                                    .arg(RemoteJob::largeFoldersText(plan)));
        QPushButton *sync = box->addButton(tr("Sync anyway"), QMessageBox::AcceptRole);
        box->addButton(QMessageBox::Cancel);
        box->setDefaultButton(QMessageBox::Cancel);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->setObjectName(u"LargeSyncQuestion"_s);
        QPointer<RemoteJob> job(remote);
        connect(box, &QMessageBox::finished, remote, [box, sync, job] {
            if (job)
                job->confirmSync(box->clickedButton() == sync);
        });
        // The job may end (stopped) while the question is open: the question goes with it.
        connect(remote, &Job::finished, box, &QWidget::close);
        box->open();
    });
}

void MainWindow::editRunConfig()
{
    const QString dir = m_project.path();
    if (dir.isEmpty()) {
        m_jobPanel->editRunConfig(); // it says to open a project first
        return;
    }
    struct Loaded
    {
        bool ok = false;
        bool fileExists = false;
        RunConfig config;
    };
    QtConcurrent::run([dir] {
        Loaded loaded;
        loaded.fileExists = QFileInfo::exists(
            QDir(dir).filePath(QString::fromLatin1(RunConfigIo::FileName)));
        Result<RunConfig> config = RunConfigIo::loadRunConfig(dir);
        loaded.ok = config.ok();
        if (config.ok())
            loaded.config = std::move(config).value();
        return loaded;
    }).then(this, [this, dir](const Loaded &loaded) {
        if (dir != m_project.path())
            return;
        if (!loaded.ok && loaded.fileExists) {
            m_jobPanel->editRunConfig(); // a file that does not parse: it says what is wrong
            return;
        }
        auto *dialog = new RunConfigDialog(dir, this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->setTargetChoices(m_targetSelector->choices());
        dialog->setRunConfig(loaded.config);
        dialog->selectTarget(m_targetSelector->choice()); // it opens on what the toolbar shows
        connect(dialog, &RunConfigDialog::saved, this, [this, dir](const RunConfig &config) {
            if (dir == m_project.path())
                m_targetSelector->followRunConfig(config.target);
            statusBar()->showMessage(tr("Saved gpuwb.toml."), 8000);
        });
        dialog->open();
    });
}

void MainWindow::downloadArtifacts(const QString &jobId, const QList<Location> &artifacts,
                                   bool open)
{
    QString project = m_project.path();
    if (Job *job = m_jobs->job(jobId); job && !job->spec().projectDirectory.isEmpty())
        project = job->spec().projectDirectory;
    if (project.isEmpty()) {
        statusBar()->showMessage(tr("Open the job's project folder first: artifacts are "
                                    "downloaded into it."),
                                 10000);
        return;
    }
    // The job id is ours (time-sortable, no '/'), but never trust a name into a path.
    const QString safeId = QString(jobId).replace(u'/', u'_');
    const QString folder = QDir(project).filePath(u"artifacts/"_s + safeId);
    QtConcurrent::run([folder] { return QDir().mkpath(folder); })
        .then(this, [this, folder, jobId, artifacts, open](bool made) {
            if (!made) {
                statusBar()->showMessage(
                    tr("Cannot create %1: check that the project folder is writable.")
                        .arg(folder),
                    10000);
                return;
            }
            for (const Location &artifact : artifacts) {
                const QString local = QDir(folder).filePath(artifact.fileName());
                auto transfer = m_transfers->enqueue(artifact, Location::local(local));
                if (!transfer.ok()) {
                    statusBar()->showMessage(transfer.errorMessage(), 10000);
                    continue;
                }
                connect(*transfer, &Transfer::finished, this,
                        [this, jobId, artifact, local, open](const Status &status) {
                            if (!status.ok()) {
                                statusBar()->showMessage(status.errorMessage(), 10000);
                                return;
                            }
                            if (m_jobPanel)
                                m_jobPanel->setArtifactDownloaded(jobId, artifact, local);
                            if (open)
                                openArtifact(local);
                        });
            }
            if (auto *dock = findChild<QDockWidget *>(u"TransfersDock"_s); dock)
                dock->show();
        });
}

void MainWindow::openArtifact(const QString &localPath)
{
    const QString suffix = QFileInfo(localPath).suffix().toLower();
    // SVG needs Qt's svg image plugin; without it the desktop's viewer shows it.
    if (ArtifactsView::isImage(localPath)
        && (suffix != u"svg"_s || QImageReader::supportedImageFormats().contains("svg"))) {
        auto *viewer = new ImageViewer(this);
        viewer->setAttribute(Qt::WA_DeleteOnClose);
        viewer->openFile(localPath);
        viewer->show();
        return;
    }
    QDesktopServices::openUrl(QUrl::fromLocalFile(localPath));
}

void MainWindow::showPortForward(const QString &alias)
{
    QStringList aliases;
    for (const SshHost &host : m_hosts->hosts())
        aliases << host.alias;
    QString chosen = alias;
    if (chosen.isEmpty())
        chosen = m_remote->currentAlias();
    if (chosen.isEmpty()) {
        QString why;
        chosen = RemoteTarget::aliasFromId(m_targetSelector->resolve(&why));
    }
    auto *dialog = new PortForwardDialog(m_connections, aliases, chosen, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
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
    m_targetSelector->setProject(dir);
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

void MainWindow::createGpuTelemetry()
{
    m_gpuStatus = new QLabel(tr("Looking for GPUs…"), this);
    m_gpuStatus->setObjectName(u"gpuStatus"_s);
    statusBar()->addPermanentWidget(m_gpuStatus);

    m_telemetry = new GpuTelemetry(m_connections, this);
    m_gpuPanel->setJobManager(m_jobs.get());
    m_gpuPanel->setTelemetry(m_telemetry);
    connect(m_telemetry, &GpuTelemetry::statusChanged, this,
            [this](const QString &hostId) { updateGpuStatus(hostId); });
    connect(m_telemetry, &GpuTelemetry::sampled, this, [this](const QString &hostId) {
        updateGpuStatus(hostId);
        updateJobGpus();
    });
    connect(m_targetSelector->comboBox(), &QComboBox::currentIndexChanged, this,
            [this] { updateGpuStatus({}); });
    connect(m_gpuPanel, &GpuPanel::alertRaised, this, &MainWindow::showGpuAlert);
    m_telemetry->start();
}

// The status bar summarises the GPUs of the toolbar's target; hostId is the host that just
// changed (empty: the target itself changed).
void MainWindow::updateGpuStatus(const QString &hostId)
{
    if (!m_telemetry)
        return;
    if (hostId == u"local"_s) {
        const bool hasGpu = m_telemetry->status(hostId) == GpuHostStatus::Live
                            && !m_telemetry->latest(hostId).gpus.isEmpty();
        const bool known = m_telemetry->status(hostId) != GpuHostStatus::Starting;
        if (known && m_localGpu != int(hasGpu)) {
            m_localGpu = int(hasGpu);
            m_targetSelector->setLocalGpu(hasGpu);
        }
    }
    QString why;
    QString target = m_targetSelector->resolve(&why);
    if (target.isEmpty())
        target = u"local"_s;
    if (!hostId.isEmpty() && hostId != target)
        return;
    const QString text = m_telemetry->hostIds().contains(target)
        ? GpuText::summary(target, m_telemetry->status(target), m_telemetry->latest(target))
        : tr("%1: not connected").arg(GpuText::hostLabel(target));
    if (m_gpuStatus->text() != text)
        m_gpuStatus->setText(text);
    const QString tip = m_telemetry->statusMessage(target);
    if (m_gpuStatus->toolTip() != tip)
        m_gpuStatus->setToolTip(tip);
}

void MainWindow::updateJobGpus()
{
    if (!m_telemetry || !m_jobPanel)
        return;
    const QList<JobIdentity> jobs = GpuPanel::jobIdentities(m_jobs.get());
    QList<JobGpuUse> uses;
    if (!jobs.isEmpty()) {
        const QStringList hosts = m_telemetry->hostIds();
        for (const QString &host : hosts)
            uses += GpuAttribution::match(host, m_telemetry->latest(host), jobs);
    }
    m_jobPanel->model()->setGpuUses(uses);
}

void MainWindow::showGpuAlert(const GpuAlert &alert)
{
    if (QSystemTrayIcon::isSystemTrayAvailable()) {
        if (!m_gpuTray) {
            m_gpuTray = new QSystemTrayIcon(windowIcon(), this);
            m_gpuTray->setToolTip(windowTitle());
            m_gpuTray->show();
        }
        m_gpuTray->showMessage(alert.title, alert.message, QSystemTrayIcon::Warning, 15000);
        return;
    }
    statusBar()->showMessage(alert.title + u": "_s + alert.message, 60000);
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
    // Jobs on hosts run on without the app (they re-attach at the next start): only this
    // machine's jobs end with it.
    int running = 0;
    for (Job *job : m_jobs->jobs())
        if (!isFinal(job->state()) && !qobject_cast<RemoteJob *>(job))
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
