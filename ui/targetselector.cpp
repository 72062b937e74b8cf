#include "ui/targetselector.h"

#include "core/jobs/jobmanager.h"
#include "core/jobs/runconfig.h"
#include "core/remote/remotetarget.h"
#include "core/ssh/hoststore.h"

#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFuture>
#include <QSettings>
#include <QtConcurrent/QtConcurrentRun>

using namespace Qt::StringLiterals;

namespace gpuwb {

namespace {

// Per-project values live in one map each, keyed by the project's path (a path has '/' that
// QSettings would read as groups).
const QString kChoiceKey = u"targets/choiceByProject"_s;
const QString kLastRemoteKey = u"targets/lastRemoteByProject"_s;
// The hosts the user has run jobs on, most recent last: the only ones Auto may pick for a
// project that has none of its own (issue 10, item 8).
const QString kGpuHostsKey = u"targets/gpuHosts"_s;

QString projectValue(const QString &key, const QString &project)
{
    return QSettings().value(key).toMap().value(project).toString();
}

void setProjectValue(const QString &key, const QString &project, const QString &value)
{
    QSettings settings;
    QVariantMap map = settings.value(key).toMap();
    map.insert(project, value);
    settings.setValue(key, map);
}

void rememberGpuHost(const QString &alias)
{
    QSettings settings;
    QStringList gpuHosts = settings.value(kGpuHostsKey).toStringList();
    if (!gpuHosts.isEmpty() && gpuHosts.last() == alias)
        return;
    gpuHosts.removeAll(alias);
    gpuHosts.append(alias);
    settings.setValue(kGpuHostsKey, gpuHosts);
}

void removeProjectValue(const QString &key, const QString &project)
{
    QSettings settings;
    QVariantMap map = settings.value(key).toMap();
    if (map.remove(project) > 0)
        settings.setValue(key, map);
}

// The target gpuwb.toml writes out, empty when it has none (or does not parse): a file
// without a target key means "local" to the CLI, but here it leaves Auto.
QString fileTarget(const QString &dir)
{
    QFile file(QDir(dir).filePath(QString::fromLatin1(RunConfigIo::FileName)));
    if (file.size() > (1 << 20) || !file.open(QIODevice::ReadOnly))
        return {};
    const QByteArray text = file.readAll();
    if (!RunConfigIo::parseRunConfig(text).ok())
        return {};
    return RunConfigIo::writtenTarget(text);
}

} // namespace

TargetSelector::TargetSelector(QComboBox *box, HostStore *hosts, SshConnections *connections,
                               JobManager *jobs, QObject *parent)
    : QObject(parent), m_box(box), m_hosts(hosts), m_connections(connections), m_jobs(jobs)
{
    m_box->setToolTip(tr("Where Run starts the project: this machine or an SSH host. Auto "
                         "picks this machine when it has an NVIDIA GPU, else a host."));
    m_box->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    connect(m_box, &QComboBox::activated, this, &TargetSelector::onActivated);
    connect(m_hosts, &HostStore::changed, this, [this] {
        registerTargets();
        rebuild();
    });
    registerTargets();
    rebuild();
}

void TargetSelector::registerTargets(const QStringList &extraIds)
{
    QStringList aliases;
    for (const SshHost &host : m_hosts->hosts())
        aliases.append(host.alias);
    for (const QString &id : extraIds) {
        const QString alias = RemoteTarget::aliasFromId(id);
        if (!alias.isEmpty() && !aliases.contains(alias))
            aliases.append(alias);
    }
    bool added = false;
    for (const QString &alias : std::as_const(aliases)) {
        if (m_jobs->target(RemoteTarget::idFor(alias)))
            continue;
        m_jobs->addTarget(new RemoteTarget(m_connections, alias, m_jobs));
        added = true;
    }
    if (added)
        emit targetsChanged();
}

void TargetSelector::setProject(const QString &dir)
{
    m_project = dir;
    m_box->setCurrentIndex(0); // another project: Auto unless it kept a choice
    rebuild();
    if (!projectValue(kChoiceKey, dir).isEmpty() || dir.isEmpty())
        return;
    // No choice kept for this project: show what its gpuwb.toml says, read off the UI thread.
    QtConcurrent::run(&fileTarget, dir).then(this, [this, dir](const QString &target) {
        if (dir != m_project || target.isEmpty() || !projectValue(kChoiceKey, dir).isEmpty())
            return;
        showChoice(target);
    });
}

void TargetSelector::setLocalGpu(bool hasGpu)
{
    if (m_localGpu == hasGpu)
        return;
    m_localGpu = hasGpu;
    m_box->setItemText(0, autoLabel());
}

QString TargetSelector::choice() const
{
    const QString data = m_box->currentData().toString();
    return data.isEmpty() ? u"auto"_s : data;
}

bool TargetSelector::choose(const QString &choice)
{
    const int index = m_box->findData(choice);
    if (index < 0)
        return false;
    m_box->setCurrentIndex(index);
    onActivated();
    return true;
}

QList<std::pair<QString, QString>> TargetSelector::choices() const
{
    QList<std::pair<QString, QString>> list;
    for (int i = 0; i < m_box->count(); ++i)
        list.append({m_box->itemData(i).toString(), m_box->itemText(i)});
    return list;
}

void TargetSelector::followRunConfig(const QString &target)
{
    if (m_project.isEmpty())
        return;
    removeProjectValue(kChoiceKey, m_project);
    showChoice(target.isEmpty() ? u"local"_s : target);
}

void TargetSelector::showChoice(const QString &id)
{
    int index = m_box->findData(id);
    if (index < 0 && id.startsWith(u"ssh:"_s)) {
        m_box->addItem(tr("%1 (not in the host list)").arg(RemoteTarget::aliasFromId(id)), id);
        index = m_box->count() - 1;
    }
    if (index >= 0)
        m_box->setCurrentIndex(index);
}

QString TargetSelector::resolve(QString *why) const
{
    const QString chosen = choice();
    const QString id = chosen == u"auto"_s ? autoTarget() : chosen;
    if (chosen == u"auto"_s && id == u"local"_s && !m_localGpu && !m_hosts->hosts().isEmpty()) {
        // Auto never sends a project to a host the user has not picked for GPU work (the
        // first host in ~/.ssh/config is often github.com): the first remote run is a choice.
        if (why)
            *why = tr("This machine has no NVIDIA GPU, and no host has been chosen for GPU work "
                      "yet. Choose the host to run on beside Run (or “This machine” to run "
                      "here without a GPU); Auto then keeps to it.");
        return {};
    }
    if (!m_jobs->target(id)) {
        if (why)
            *why = tr("“%1” is not a place jobs can run any more. Choose another target beside "
                      "Run, or add the host in Remote › Hosts….")
                       .arg(id);
        return {};
    }
    return id;
}

void TargetSelector::noteJobStarted(const JobSpec &spec)
{
    const QString alias = RemoteTarget::aliasFromId(spec.targetId);
    if (alias.isEmpty() || spec.projectDirectory.isEmpty())
        return;
    setProjectValue(kLastRemoteKey, spec.projectDirectory, alias);
    rememberGpuHost(alias);
    if (spec.projectDirectory == m_project)
        m_box->setItemText(0, autoLabel());
}

QString TargetSelector::autoTarget() const
{
    if (m_localGpu)
        return u"local"_s;
    const QList<SshHost> hosts = m_hosts->hosts();
    const QString last = projectValue(kLastRemoteKey, m_project);
    for (const SshHost &host : hosts)
        if (host.alias == last)
            return RemoteTarget::idFor(last);
    // A host the user ran on before, most recent first; never one merely listed.
    const QStringList used = QSettings().value(kGpuHostsKey).toStringList();
    for (auto it = used.crbegin(); it != used.crend(); ++it) {
        for (const SshHost &host : hosts)
            if (host.alias == *it)
                return RemoteTarget::idFor(*it);
    }
    return u"local"_s; // no GPU and no host chosen: the CPU here, or a question (resolve)
}

QString TargetSelector::autoLabel() const
{
    const QString id = autoTarget();
    const QString alias = RemoteTarget::aliasFromId(id);
    return alias.isEmpty() ? tr("Auto (this machine)") : tr("Auto (%1)").arg(alias);
}

void TargetSelector::rebuild()
{
    const QString kept = projectValue(kChoiceKey, m_project);
    const QString current = kept.isEmpty() ? (m_box->count() ? choice() : u"auto"_s) : kept;
    QSignalBlocker block(m_box);
    m_box->clear();
    m_box->addItem(autoLabel(), u"auto"_s);
    m_box->addItem(tr("This machine (local)"), u"local"_s);
    for (const SshHost &host : m_hosts->hosts())
        m_box->addItem(host.alias, RemoteTarget::idFor(host.alias));
    // A kept host that is gone still shows, so the choice is not silently changed.
    m_box->setCurrentIndex(0);
    showChoice(current);
}

void TargetSelector::onActivated()
{
    if (!m_project.isEmpty())
        setProjectValue(kChoiceKey, m_project, choice());
    // Picking a host beside Run is choosing it for GPU work.
    if (const QString alias = RemoteTarget::aliasFromId(choice()); !alias.isEmpty()) {
        rememberGpuHost(alias);
        m_box->setItemText(0, autoLabel());
    }
}

} // namespace gpuwb
