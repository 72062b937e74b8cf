#include "core/jobs/jobmanager.h"

#include "core/jobs/jobhistory.h"
#include "core/targets/target.h"
#include "core/util/check.h"
#include "core/util/logging.h"

#include <QDir>
#include <QRandomGenerator>

using namespace Qt::StringLiterals;

namespace gpuwb {

static QList<JobManager::Reattacher> &reattachers()
{
    static QList<JobManager::Reattacher> list;
    return list;
}

void JobManager::registerReattacher(Reattacher reattacher)
{
    reattachers().append(std::move(reattacher));
}

JobManager::JobManager(JobHistory *history, QString logDirectory, QObject *parent)
    : QObject(parent), m_history(history), m_logDirectory(std::move(logDirectory))
{}

JobManager::~JobManager()
{
    // Jobs first (they end their process trees), while the history is still there to record.
    const QList<Job *> jobs = m_jobs;
    m_jobs.clear();
    for (Job *job : jobs) {
        disconnect(job, nullptr, this, nullptr);
        // A remote job runs on detached: it stays Running, to be re-attached later.
        const bool remote = job->spec().targetId != u"local"_s;
        const bool wasRunning = !isFinal(job->state()) && !remote;
        const QString id = job->id();
        delete job; // ends its process tree
        if (wasRunning && m_history) {
            if (std::optional<JobRecord> r = m_history->find(id); r) {
                r->state = JobState::Stopped;
                r->finished = QDateTime::currentDateTimeUtc();
                r->message = u"stopped because GPU Workbench quit"_s;
                (void)m_history->update(*r);
            }
        }
    }
}

void JobManager::addTarget(Target *target)
{
    GPUWB_CHECK(target, return);
    GPUWB_CHECK(!this->target(target->id()), return);
    target->setParent(this);
    m_targets.append(target);
}

Target *JobManager::target(const QString &id) const
{
    for (Target *t : m_targets)
        if (t->id() == id)
            return t;
    return nullptr;
}

QList<Target *> JobManager::targets() const
{
    return m_targets;
}

Job *JobManager::job(const QString &id) const
{
    for (Job *j : m_jobs)
        if (j->id() == id)
            return j;
    return nullptr;
}

QString JobManager::newJobId()
{
    // UTC time to the millisecond, then a random tail: sorts by start time, and two
    // workbenches starting jobs in the same millisecond still get different ids.
    const QString id = QDateTime::currentDateTimeUtc().toString(u"yyyyMMdd-HHmmss-zzz"_s) + u'-'
                       + QString::number(QRandomGenerator::global()->bounded(0x10000), 16)
                             .rightJustified(4, u'0');
    if (id > m_lastId) {
        m_lastId = id;
        return id;
    }
    // Same millisecond, or the clock went back: continue after the last id, keeping order.
    const quint32 tail = m_lastId.mid(20, 4).toUInt(nullptr, 16);
    if (m_lastId.size() == 24 && tail < 0xFFFF)
        m_lastId = m_lastId.left(20) + QString::number(tail + 1, 16).rightJustified(4, u'0');
    else
        m_lastId += u'0';
    return m_lastId;
}

Result<Job *> JobManager::start(const JobSpec &spec)
{
    Target *t = target(spec.targetId);
    if (!t) {
        QStringList known;
        for (Target *k : m_targets)
            known.append(k->id());
        return Error{ErrorCode::UnknownTarget,
                     u"There is no target \"%1\" to run %2 on (known: %3). Set target in the run "
                     "configuration to one of those."_s
                         .arg(spec.targetId, spec.name.isEmpty() ? u"the job"_s : spec.name,
                              known.isEmpty() ? u"none"_s : known.join(u", "_s))};
    }
    const QString id = newJobId();
    const QString logPath = QDir(m_logDirectory).filePath(id + u".log"_s);
    Job *job = t->createJob(id, spec, logPath, this);
    if (!job)
        return Error{ErrorCode::Internal, u"The target %1 could not create a job."_s.arg(t->id())};
    m_jobs.append(job);

    if (m_history) {
        JobRecord r;
        r.id = id;
        r.spec = spec;
        r.state = JobState::Running;
        r.started = QDateTime::currentDateTimeUtc();
        r.logPath = logPath;
        if (Status s = m_history->add(r); !s)
            qCWarning(lcJobs) << "could not record job" << id << ":" << s.errorMessage();
    }
    adopt(job);
    job->start();
    return job;
}

void JobManager::adopt(Job *job)
{
    connect(job, &Job::stateChanged, this, [this, job](JobState state) {
        if (state == JobState::Stopping)
            record(job, nullptr);
    });
    connect(job, &Job::finished, this, [this, job](const JobResult &result) {
        record(job, &result);
        emit jobFinished(job, result);
    });
    emit jobStarted(job);
}

Result<Job *> JobManager::reattach(const QString &jobId)
{
    if (Job *existing = job(jobId))
        return existing;
    if (!m_history)
        return Error{ErrorCode::NoHistory, u"There is no job history to find job %1 in."_s.arg(jobId)};
    const std::optional<JobRecord> r = m_history->find(jobId);
    if (!r)
        return Error{ErrorCode::UnknownJob, u"There is no job %1 in the history; `gpuwb jobs` lists "
                                       "the jobs."_s.arg(jobId)};
    Target *t = target(r->spec.targetId);
    Job *job = nullptr;
    for (const Reattacher &reattacher : reattachers()) {
        if (t && !job)
            job = reattacher(t, *r, this);
    }
    if (!job)
        return Error{ErrorCode::NotRemote,
                     r->spec.targetId == u"local"_s
                         ? u"Job %1 ran on this machine; only remote jobs can be re-attached."_s
                               .arg(jobId)
                         : u"The host of job %1 (%2) is not set up here."_s.arg(jobId,
                                                                                r->spec.targetId)};
    m_jobs.append(job);
    adopt(job);
    return job;
}

QList<Job *> JobManager::reattach()
{
    QList<Job *> attached;
    if (!m_history)
        return attached;
    for (const JobRecord &r : m_history->unfinished()) {
        if (r.spec.targetId == u"local"_s || job(r.id) || !target(r.spec.targetId))
            continue;
        if (auto j = reattach(r.id))
            attached.append(*j);
    }
    return attached;
}

void JobManager::record(Job *job, const JobResult *result)
{
    if (!m_history)
        return;
    std::optional<JobRecord> r = m_history->find(job->id());
    if (!r) {
        qCWarning(lcJobs) << "job" << job->id() << "is missing from the history";
        return;
    }
    if (result)
        r->apply(*result);
    else
        r->state = job->state();
    if (Status s = m_history->update(*r); !s)
        qCWarning(lcJobs) << "could not record job" << job->id() << ":" << s.errorMessage();
}

} // namespace gpuwb
