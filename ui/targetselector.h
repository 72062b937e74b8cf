#pragma once

#include <QList>
#include <QObject>
#include <QString>

#include <utility>

class QComboBox;

namespace gpuwb {

class HostStore;
class JobManager;
class SshConnections;
struct JobSpec;

// The "Target:" choice beside Run: Auto, This machine, and every host of the HostStore (kept
// in step with it). Registers a RemoteTarget in the JobManager for every host, over the
// window's shared connections. The choice is kept per project (QSettings, keyed by the
// project's path); with none kept it is what the target key of the project's gpuwb.toml says
// (Auto when it has none). Auto means this machine when it has an NVIDIA GPU, otherwise the host this project
// last ran on, otherwise the first host. The Run Configuration dialog offers the same choices
// (choices()); saving it writes gpuwb.toml's target and the toolbar follows
// (followRunConfig()), while a choice made here stays the user's own and never touches the
// file. UI thread.
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
    // What the box lists, in order: (id, label), for the Run Configuration dialog.
    QList<std::pair<QString, QString>> choices() const;
    // gpuwb.toml of the current project now says `target`: the box shows it, and a choice kept
    // for the project gives way to the file.
    void followRunConfig(const QString &target);
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
    void showChoice(const QString &id); // selects id, listing a host no longer known
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
