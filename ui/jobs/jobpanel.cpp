#include "ui/jobs/jobpanel.h"

#include "core/jobs/jobmanager.h"
#include "core/jobs/runconfig.h"
#include "core/targets/target.h"
#include "core/util/logging.h"
#include "ui/jobs/artifactsview.h"
#include "ui/jobs/jobfiltermodel.h"
#include "ui/jobs/joblistmodel.h"
#include "ui/jobs/logtail.h"
#include "ui/jobs/outputview.h"
#include "ui/jobs/runconfigdialog.h"

#include <QAction>
#include <QComboBox>
#include <QDir>
#include <QFileInfo>
#include <QFuture>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QProgressBar>
#include <QSplitter>
#include <QTimer>
#include <QStackedWidget>
#include <QTableView>
#include <QToolBar>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <memory>
#include <optional>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

// What reading a run configuration off the UI thread hands back.
struct LoadOutcome
{
    bool ok = false;
    RunConfig config;
    QString error;
    bool fileExists = false;
};

LoadOutcome loadOutcome(const QString &dir)
{
    LoadOutcome outcome;
    outcome.fileExists =
        QFileInfo::exists(QDir(dir).filePath(QString::fromLatin1(RunConfigIo::FileName)));
    Result<RunConfig> result = RunConfigIo::loadRunConfig(dir);
    outcome.ok = result.ok();
    if (result.ok())
        outcome.config = std::move(result).value();
    else
        outcome.error = result.errorMessage();
    return outcome;
}

struct TailOutcome
{
    bool ok = false;
    LogTail tail;
    QString error;
};

QAction *makeAction(QWidget *owner, const QString &icon, const QString &text,
                    const QKeySequence &shortcut)
{
    auto *action = new QAction(QIcon::fromTheme(icon), text, owner);
    action->setShortcut(shortcut);
    action->setShortcutContext(Qt::WindowShortcut);
    owner->addAction(action);
    return action;
}

} // namespace

JobPanel::JobPanel(JobManager *manager, QWidget *parent)
    : QWidget(parent)
    , m_manager(manager)
    , m_model(new JobListModel(manager, this))
    , m_filter(new JobFilterModel(this))
{
    m_filter->setSourceModel(m_model);
    m_runAction = makeAction(this, u"media-playback-start"_s, tr("&Run"), Qt::Key_F5);
    m_runAction->setToolTip(tr("Run the project's run configuration (F5)"));
    m_stopAction = makeAction(this, u"process-stop"_s, tr("&Stop"), Qt::SHIFT | Qt::Key_F5);
    m_stopAction->setToolTip(tr("Stop the selected job, or the newest running one (Shift+F5)"));
    m_editAction = makeAction(this, u"configure"_s, tr("Run &Configuration\u2026"), {});
    m_findAction = makeAction(this, u"edit-find"_s, tr("Find in Output"), QKeySequence::Find);
    m_findAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(m_runAction, &QAction::triggered, this, &JobPanel::run);
    connect(m_stopAction, &QAction::triggered, this, &JobPanel::stop);
    connect(m_editAction, &QAction::triggered, this, &JobPanel::editRunConfig);
    m_forwardAction = new QAction(QIcon::fromTheme(u"network-connect"_s), tr("Forward &Port\u2026"),
                                  this);
    m_forwardAction->setToolTip(tr("Reach a port of the job's host (TensorBoard, Jupyter) from "
                                   "this machine"));
    connect(m_forwardAction, &QAction::triggered, this, [this] {
        const QString target = currentTargetId();
        if (target.startsWith(u"ssh:"_s))
            emit forwardPortRequested(currentJobId(), target);
    });

    auto *toolbar = new QToolBar(this);
    toolbar->setIconSize(QSize(16, 16));
    toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    toolbar->addAction(m_runAction);
    toolbar->addAction(m_stopAction);
    toolbar->addAction(m_editAction);
    auto *spacer = new QWidget(toolbar);
    spacer->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    toolbar->addWidget(spacer);
    m_search = new QLineEdit(toolbar);
    m_search->setPlaceholderText(tr("Find in output"));
    m_search->setClearButtonEnabled(true);
    m_search->setMaximumWidth(260);
    toolbar->addWidget(m_search);
    m_matches = new QLabel(toolbar);
    m_matches->setMinimumWidth(80);
    toolbar->addWidget(m_matches);
    QAction *previous = toolbar->addAction(QIcon::fromTheme(u"go-up"_s), tr("Previous"));
    QAction *next = toolbar->addAction(QIcon::fromTheme(u"go-down"_s), tr("Next"));
    toolbar->addSeparator();
    QAction *copy = toolbar->addAction(QIcon::fromTheme(u"edit-copy"_s), tr("Copy"));
    copy->setToolTip(tr("Copy the selected output, or all of it when nothing is selected"));
    QAction *clear = toolbar->addAction(QIcon::fromTheme(u"edit-clear"_s), tr("Clear"));
    clear->setToolTip(tr("Clear the output shown here (the log on disk keeps it)"));

    m_list = new QTableView(this);
    m_list->setModel(m_filter);
    m_list->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_list, &QWidget::customContextMenuRequested, this, &JobPanel::showContextMenu);
    m_list->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_list->setSelectionMode(QAbstractItemView::SingleSelection);
    m_list->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_list->verticalHeader()->hide();
    m_list->setShowGrid(false);
    m_list->setWordWrap(false);
    m_list->horizontalHeader()->setSectionResizeMode(JobListModel::NameColumn,
                                                     QHeaderView::Stretch);
    m_list->verticalHeader()->setDefaultSectionSize(m_list->fontMetrics().height() + 6);

    m_message = new QLabel(this);
    m_message->setWordWrap(true);
    m_message->setTextFormat(Qt::PlainText);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->setContentsMargins(6, 4, 6, 4);
    m_message->hide();

    m_syncBar = new QProgressBar(this);
    m_syncBar->setTextVisible(true);
    m_syncBar->hide();
    m_artifactsView = new ArtifactsView(this);
    m_artifactsView->hide();
    connect(m_artifactsView, &ArtifactsView::downloadRequested, this,
            [this](const QList<Location> &artifacts, bool open) {
                emit artifactsDownloadRequested(currentJobId(), artifacts, open);
            });
    connect(m_artifactsView, &ArtifactsView::openRequested, this,
            [this](const Location &artifact, const QString &localPath) {
                emit artifactOpenRequested(currentJobId(), artifact, localPath);
            });

    // Filters over the list: by target and by the kind of state.
    m_targetFilter = new QComboBox(this);
    m_targetFilter->setToolTip(tr("Show the jobs of one target"));
    m_targetFilter->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_stateFilter = new QComboBox(this);
    m_stateFilter->setToolTip(tr("Show the jobs in one kind of state"));
    m_stateFilter->addItem(tr("All states"), int(JobFilterModel::StateFilter::All));
    m_stateFilter->addItem(tr("Active"), int(JobFilterModel::StateFilter::Active));
    m_stateFilter->addItem(tr("Succeeded"), int(JobFilterModel::StateFilter::Succeeded));
    m_stateFilter->addItem(tr("Failed"), int(JobFilterModel::StateFilter::Failed));
    m_stateFilter->addItem(tr("Stopped"), int(JobFilterModel::StateFilter::Stopped));
    connect(m_targetFilter, &QComboBox::activated, this, [this] {
        m_filter->setTargetFilter(m_targetFilter->currentData().toString());
    });
    connect(m_stateFilter, &QComboBox::activated, this, [this] {
        m_filter->setStateFilter(JobFilterModel::StateFilter(m_stateFilter->currentData().toInt()));
    });
    auto *listSide = new QWidget(this);
    auto *filters = new QHBoxLayout;
    filters->setContentsMargins(4, 2, 4, 2);
    filters->addWidget(m_targetFilter, 1);
    filters->addWidget(m_stateFilter, 1);
    auto *listLayout = new QVBoxLayout(listSide);
    listLayout->setContentsMargins(0, 0, 0, 0);
    listLayout->setSpacing(0);
    listLayout->addLayout(filters);
    listLayout->addWidget(m_list, 1);

    m_stack = new QStackedWidget(this);
    auto *placeholder = new QLabel(tr("No job selected. Press F5 to run the project."), m_stack);
    placeholder->setAlignment(Qt::AlignCenter);
    placeholder->setEnabled(false);
    m_placeholder = placeholder;
    m_stack->addWidget(m_placeholder);

    auto *outputSide = new QWidget(this);
    auto *outputLayout = new QVBoxLayout(outputSide);
    outputLayout->setContentsMargins(0, 0, 0, 0);
    outputLayout->setSpacing(0);
    outputLayout->addWidget(m_message);
    outputLayout->addWidget(m_syncBar);
    outputLayout->addWidget(m_stack, 1);
    outputLayout->addWidget(m_artifactsView);

    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(listSide);
    splitter->addWidget(outputSide);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 3);
    splitter->setSizes({460, 940}); // wide enough for every column of the job list

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(toolbar);
    layout->addWidget(splitter, 1);

    connect(m_findAction, &QAction::triggered, this, [this] {
        m_search->setFocus(Qt::ShortcutFocusReason);
        m_search->selectAll();
    });
    // Counting matches scans up to 100,000 lines: wait until typing pauses.
    auto *searchDelay = new QTimer(this);
    searchDelay->setSingleShot(true);
    searchDelay->setInterval(150);
    connect(searchDelay, &QTimer::timeout, this, &JobPanel::applySearch);
    connect(m_search, &QLineEdit::textChanged, searchDelay, qOverload<>(&QTimer::start));
    connect(m_search, &QLineEdit::returnPressed, this, [this] {
        applySearch();
        if (OutputView *view = currentView()) {
            view->findNext();
            updateMatchCount();
        }
    });
    connect(next, &QAction::triggered, this, [this] {
        if (OutputView *view = currentView())
            view->findNext();
    });
    connect(previous, &QAction::triggered, this, [this] {
        if (OutputView *view = currentView())
            view->findPrevious();
    });
    connect(copy, &QAction::triggered, this, [this] {
        if (OutputView *view = currentView())
            view->hasSelection() ? view->copy() : view->copyAll();
    });
    connect(clear, &QAction::triggered, this, [this] {
        if (OutputView *view = currentView()) {
            view->clear();
            updateMatchCount();
        }
    });

    connect(m_list->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &JobPanel::onCurrentRowChanged);
    connect(m_model, &QAbstractItemModel::dataChanged, this, &JobPanel::updateActions);
    connect(m_model, &QAbstractItemModel::modelReset, this, &JobPanel::updateActions);
    if (m_manager)
        connect(m_manager, &JobManager::jobStarted, this, &JobPanel::onJobStarted);
    connect(m_model, &QAbstractItemModel::rowsInserted, this, &JobPanel::refreshTargets);
    connect(m_model, &QAbstractItemModel::modelReset, this, &JobPanel::refreshTargets);
    refreshTargets();
    updateActions();
}

JobPanel::~JobPanel() = default;

void JobPanel::setProject(const QString &dir)
{
    m_project = dir;
    showMessage({}, false);
    updateActions();
}

OutputView *JobPanel::currentView() const
{
    return qobject_cast<OutputView *>(m_stack->currentWidget());
}

OutputView *JobPanel::viewFor(const QString &jobId) const
{
    return m_views.value(jobId);
}

QString JobPanel::currentJobId() const
{
    const QModelIndex current = m_list->selectionModel()->currentIndex();
    return current.isValid() ? current.siblingAtColumn(0).data(JobListModel::JobIdRole).toString()
                             : QString();
}

void JobPanel::selectJob(const QString &jobId)
{
    const int row = m_model->rowOf(jobId);
    if (row < 0)
        return;
    QModelIndex index = m_filter->mapFromSource(m_model->index(row, 0));
    if (!index.isValid()) {
        // Hidden by a filter: show everything rather than select something invisible.
        m_targetFilter->setCurrentIndex(0);
        m_stateFilter->setCurrentIndex(0);
        m_filter->setTargetFilter({});
        m_filter->setStateFilter(JobFilterModel::StateFilter::All);
        index = m_filter->mapFromSource(m_model->index(row, 0));
    }
    m_list->selectionModel()->setCurrentIndex(
        index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_list->scrollTo(index);
}

int JobPanel::sourceRow(const QModelIndex &viewIndex) const
{
    return viewIndex.isValid() ? m_filter->mapToSource(viewIndex).row() : -1;
}

QString JobPanel::currentTargetId() const
{
    const QModelIndex current = m_list->selectionModel()->currentIndex();
    return current.isValid()
        ? current.siblingAtColumn(0).data(JobListModel::TargetIdRole).toString()
        : QString();
}

void JobPanel::refreshTargets()
{
    QStringList ids;
    if (m_manager)
        for (Target *target : m_manager->targets())
            ids.append(target->id());
    for (const QString &id : m_model->targetIds())
        if (!ids.contains(id))
            ids.append(id);
    const QString chosen = m_filter->targetFilter();
    QStringList listed;
    for (int i = 1; i < m_targetFilter->count(); ++i)
        listed.append(m_targetFilter->itemData(i).toString());
    if (listed == ids && m_targetFilter->count() > 0)
        return;
    m_targetFilter->clear();
    m_targetFilter->addItem(tr("All targets"), QString());
    for (const QString &id : std::as_const(ids)) {
        Target *target = m_manager ? m_manager->target(id) : nullptr;
        m_targetFilter->addItem(target ? target->displayName() : id, id);
    }
    const int index = m_targetFilter->findData(chosen);
    m_targetFilter->setCurrentIndex(std::max(0, index));
}

void JobPanel::showContextMenu(const QPoint &pos)
{
    const QModelIndex index = m_list->indexAt(pos);
    if (!index.isValid())
        return;
    QMenu menu(this);
    menu.addAction(m_stopAction);
    menu.addAction(m_forwardAction);
    menu.exec(m_list->viewport()->mapToGlobal(pos));
}

void JobPanel::setSyncProgress(const QString &jobId, qint64 done, qint64 total)
{
    if (total > 0 && done >= total)
        m_sync.remove(jobId);
    else
        m_sync.insert(jobId, {done, total});
    if (jobId == currentJobId())
        updateJobExtras();
}

bool JobPanel::isSyncing(const QString &jobId) const
{
    return m_sync.contains(jobId);
}

void JobPanel::setArtifacts(const QString &jobId, const QList<Location> &artifacts)
{
    m_artifacts.insert(jobId, artifacts);
    if (jobId == currentJobId())
        updateJobExtras();
}

void JobPanel::setArtifactDownloaded(const QString &jobId, const Location &artifact,
                                     const QString &localPath)
{
    m_downloaded[jobId].insert(artifact, localPath);
    if (jobId == currentJobId())
        m_artifactsView->setDownloaded(artifact, localPath);
}

void JobPanel::updateJobExtras()
{
    const QString jobId = currentJobId();
    const auto sync = m_sync.constFind(jobId);
    if (sync != m_sync.cend()) {
        const auto [done, total] = *sync;
        // Byte counts past 2 GiB do not fit a progress bar's int: show per mille.
        m_syncBar->setRange(0, total > 0 ? 1000 : 0);
        m_syncBar->setValue(total > 0 ? int(done * 1000 / total) : 0);
        m_syncBar->setFormat(tr("Copying the project to the host: %1 of %2 KiB")
                                 .arg(done / 1024)
                                 .arg(total / 1024));
        m_syncBar->show();
    } else {
        m_syncBar->hide();
    }
    const QList<Location> artifacts = m_artifacts.value(jobId);
    m_artifactsView->setArtifacts(artifacts);
    const QHash<Location, QString> local = m_downloaded.value(jobId);
    for (auto it = local.cbegin(); it != local.cend(); ++it)
        m_artifactsView->setDownloaded(it.key(), it.value());
    m_artifactsView->setVisible(!artifacts.isEmpty());
    m_forwardAction->setEnabled(currentTargetId().startsWith(u"ssh:"_s));
}

QString JobPanel::message() const
{
    return m_message->isHidden() ? QString() : m_message->text();
}

void JobPanel::run()
{
    if (m_runPending)
        return;
    if (m_project.isEmpty()) {
        const QString text = tr("Open a project folder first: Run starts the command in its "
                                "gpuwb.toml.");
        showMessage(text, true);
        emit runFailed(text);
        return;
    }
    m_runPending = true;
    updateActions();
    const QString dir = m_project;
    if (!m_beforeRun) {
        startRun(dir);
        return;
    }
    m_beforeRun(dir, [this, guard = QPointer<JobPanel>(this), dir](bool ok, const QString &why) {
        if (!guard)
            return;
        if (!ok || dir != m_project) {
            m_runPending = false;
            updateActions();
            if (!ok) {
                showMessage(why, true);
                emit runFailed(why);
            }
            return;
        }
        startRun(dir);
    });
}

void JobPanel::startRun(const QString &dir)
{
    // Reading gpuwb.toml and detecting a build touch the disk: off the UI thread.
    QtConcurrent::run(&loadOutcome, dir).then(this, [this, dir](const LoadOutcome &outcome) {
        m_runPending = false;
        updateActions();
        if (dir != m_project)
            return; // the project changed while we were reading; a Run meant the old one
        if (!outcome.ok) {
            showMessage(outcome.error, true);
            emit runFailed(outcome.error);
            return;
        }
        JobSpec spec = RunConfigIo::toJobSpec(outcome.config, dir);
        if (m_resolveTarget) {
            QString why;
            spec.targetId = m_resolveTarget(outcome.config.target, &why);
            if (spec.targetId.isEmpty()) {
                showMessage(why, true);
                emit runFailed(why);
                return;
            }
        }
        Result<Job *> started = m_manager->start(spec);
        if (!started.ok()) {
            showMessage(started.errorMessage(), true);
            emit runFailed(started.errorMessage());
            return;
        }
        if (outcome.config.origin != QLatin1String(RunConfigIo::FileName)
            && !outcome.config.origin.isEmpty())
            showMessage(tr("No gpuwb.toml: running what was %1. Use Run Configuration\u2026 to "
                           "change it.")
                            .arg(outcome.config.origin),
                        false);
        else
            showMessage({}, false);
    });
}

void JobPanel::stop()
{
    Job *job = nullptr;
    const int row = sourceRow(m_list->selectionModel()->currentIndex());
    if (row >= 0)
        job = m_model->jobAt(row);
    if (!job || isFinal(job->state())) {
        job = nullptr;
        const QList<Job *> jobs = m_manager ? m_manager->jobs() : QList<Job *>();
        for (auto it = jobs.crbegin(); it != jobs.crend() && !job; ++it)
            if (!isFinal((*it)->state()))
                job = *it;
    }
    if (job)
        job->stop();
}

void JobPanel::editRunConfig()
{
    if (m_project.isEmpty()) {
        showMessage(tr("Open a project folder first: the run configuration lives in it."), true);
        return;
    }
    const QString dir = m_project;
    QtConcurrent::run(&loadOutcome, dir).then(this, [this, dir](const LoadOutcome &outcome) {
        if (dir != m_project)
            return;
        if (!outcome.ok && outcome.fileExists) {
            // Editing would overwrite what is there; have it fixed where it is instead.
            showMessage(outcome.error, true);
            return;
        }
        auto *dialog = new RunConfigDialog(dir, this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        QStringList targets;
        if (m_manager)
            for (Target *target : m_manager->targets())
                targets.append(target->id());
        dialog->setTargets(targets);
        dialog->setRunConfig(outcome.ok ? outcome.config : RunConfig{});
        connect(dialog, &RunConfigDialog::saved, this, [this](const RunConfig &) {
            showMessage(tr("Saved gpuwb.toml."), false);
        });
        dialog->open();
    });
}

void JobPanel::onJobStarted(Job *job)
{
    OutputView *view = makeView(job->id(), job->logPath());
    const QString id = job->id();
    if (job->state() == JobState::Pending) {
        connect(job, &Job::output, view, &OutputView::append);
    } else {
        // Followed again (after a restart): the log holds what came before. The job's reader
        // resumes where the log ends now (it starts only after a round trip to the host), so
        // that prefix is shown first and live batches wait until it is.
        const qint64 known = QFileInfo(job->logPath()).size();
        auto pending = std::make_shared<std::optional<QList<OutputBatch>>>(QList<OutputBatch>());
        connect(job, &Job::output, view, [view, pending](const OutputBatch &batch) {
            if (*pending)
                (*pending)->append(batch);
            else
                view->append(batch);
        });
        loadLog(id, job->logPath(), known, [view, pending] {
            const QList<OutputBatch> held = pending->value_or(QList<OutputBatch>());
            pending->reset();
            for (const OutputBatch &batch : held)
                view->append(batch);
        });
    }
    connect(job, &Job::finished, this, [this, id] {
        // Whatever the sync said last, it is over.
        if (m_sync.remove(id) > 0 && id == currentJobId())
            updateJobExtras();
    });
    selectJob(job->id());
    updateActions();
}

OutputView *JobPanel::makeView(const QString &jobId, const QString &logPath)
{
    auto *view = new OutputView(m_stack);
    view->setLogPath(logPath);
    m_stack->addWidget(view);
    m_views.insert(jobId, view);
    return view;
}

void JobPanel::onCurrentRowChanged()
{
    showView(currentJobId());
    updateJobExtras();
    updateActions();
}

void JobPanel::showView(const QString &jobId)
{
    if (jobId.isEmpty()) {
        m_stack->setCurrentWidget(m_placeholder);
        return;
    }
    OutputView *view = m_views.value(jobId);
    if (!view) {
        // A job from the history (or one started before this panel): its log on disk has
        // the output. Only one such view is kept; it is cheap to read again.
        if (!m_historyViewId.isEmpty()) {
            if (OutputView *old = m_views.take(m_historyViewId))
                old->deleteLater();
        }
        const int row = m_model->rowOf(jobId);
        const QString logPath = row >= 0 ? m_model->recordAt(row).logPath : QString();
        view = makeView(jobId, logPath);
        m_historyViewId = jobId;
        loadLog(jobId, logPath);
    }
    m_stack->setCurrentWidget(view);
    applySearch();
}

void JobPanel::loadLog(const QString &jobId, const QString &logPath, qint64 completeUpTo,
                       std::function<void()> then)
{
    QPointer<OutputView> view = m_views.value(jobId);
    if (logPath.isEmpty()) {
        OutputLine line;
        line.stream = OutputStream::System;
        line.text = tr("This job has no log file.");
        view->appendLine(line);
        return;
    }
    auto read = [logPath, completeUpTo] {
        TailOutcome outcome;
        Result<LogTail> tail = readLogTail(logPath, 16 * 1024 * 1024, 100'000, completeUpTo);
        outcome.ok = tail.ok();
        if (tail.ok())
            outcome.tail = std::move(tail).value();
        else
            outcome.error = tail.errorMessage();
        return outcome;
    };
    QtConcurrent::run(read).then(this, [this, view, then, completeUpTo](const TailOutcome &outcome) {
        if (!view)
            return;
        if (completeUpTo >= 0 && outcome.ok && outcome.tail.fileSize == 0) {
            if (then)
                then();
            return;
        }
        if (outcome.ok) {
            view->append(toBatch(outcome.tail));
        } else {
            OutputLine line;
            line.stream = OutputStream::System;
            line.text = outcome.error;
            view->appendLine(line);
        }
        if (then)
            then();
        if (view == currentView())
            updateMatchCount();
    });
}

void JobPanel::showMessage(const QString &text, bool error)
{
    m_message->setText(text);
    QPalette palette = this->palette();
    if (error) {
        const bool dark = palette.color(QPalette::Window).lightness() < 128;
        palette.setColor(QPalette::WindowText, dark ? QColor(0xff8a80) : QColor(0xb3261e));
    }
    m_message->setPalette(palette);
    m_message->setVisible(!text.isEmpty());
    if (error && !text.isEmpty())
        qCInfo(lcUi) << "job panel:" << text;
}

void JobPanel::updateActions()
{
    m_runAction->setEnabled(!m_runPending && !m_project.isEmpty() && m_manager);
    bool anyRunning = false;
    if (m_manager)
        for (Job *job : m_manager->jobs())
            anyRunning = anyRunning || !isFinal(job->state());
    m_stopAction->setEnabled(anyRunning);
    m_editAction->setEnabled(!m_project.isEmpty());
}

void JobPanel::applySearch()
{
    if (OutputView *view = currentView()) {
        if (view->searchText() != m_search->text())
            view->setSearchText(m_search->text());
    }
    updateMatchCount();
}

void JobPanel::updateMatchCount()
{
    OutputView *view = currentView();
    if (!view || m_search->text().isEmpty()) {
        m_matches->clear();
        return;
    }
    const qsizetype n = view->countMatches();
    m_matches->setText(n == 0 ? tr("No matches") : tr("%n match(es)", nullptr, int(n)));
}

} // namespace gpuwb
