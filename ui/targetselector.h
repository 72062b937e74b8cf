#pragma once

#include <QObject>
#include <QString>

class QComboBox;

namespace gpuwb {

class HostStore;
class JobManager;
class SshConnections;
struct JobSpec;

// The "Target:" choice beside Run: Auto, This machine, and every host of the HostStore (kept
// in step with it). Registers a RemoteTarget in the JobManager for every host, over the
// window's shared connections. The choice is kept per project (QSettings, keyed by the
// project's path); with none kept it is Auto, or the host (or "auto") the project's gpuwb.toml
// names. Auto means this machine when it has an NVIDIA GPU, otherwise the host this project
// last ran on, otherwise the first host. UI thread.
class TargetSelector : public QObject
{
    Q_OBJECT
public:
    TargetSelector(QComboBox *box, HostStore *hosts, SshConnections *connections,
                   JobManager *jobs, QObject *parent = nullptr);

    QComboBox *comboBox() const { return m_box; }
    void setProject(const QString &dir);
    // What the GPU sampler found on this machine.
    void setLocalGpu(bool hasGpu);
    // "auto", "local" or "ssh:<alias>".
    QString choice() const;
    // Selects a choice as the user would (kept for the project); false when not listed.
    bool choose(const QString &choice);
    // The target Run uses now: the choice with Auto resolved; empty with `why` when none.
    QString resolve(QString *why) const;
    // Remembers the host a job of this project ran on (for Auto).
    void noteJobStarted(const JobSpec &spec);

    // Adds a RemoteTarget for each host (and for `extraIds`, "ssh:<alias>" ids of jobs that
    // may re-attach) the JobManager does not have yet.
    void registerTargets(const QStringList &extraIds = {});

signals:
    // The JobManager has new targets.
    void targetsChanged();

private:
    void rebuild();
    void onActivated();
    QString autoTarget() const;
    QString autoLabel() const;

    QComboBox *m_box;
    HostStore *m_hosts;
    SshConnections *m_connections;
    JobManager *m_jobs;
    QString m_project;
    bool m_localGpu = false;
};

} // namespace gpuwb
