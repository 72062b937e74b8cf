#include "core/jobs/processtree.h"

#include <QDir>
#include <QFile>
#include <QHash>
#include <QSet>

#include <csignal>
#include <optional>

namespace gpuwb {

namespace {

struct ProcStat
{
    pid_t pid = 0;
    pid_t ppid = 0;
    pid_t pgrp = 0;
    char state = '?';
    quint64 startTime = 0;
};

std::optional<ProcStat> readStat(pid_t pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return std::nullopt;
    const QByteArray data = f.read(4096);
    // The command name is in parentheses and may itself hold ") ": parse after the last one.
    const qsizetype close = data.lastIndexOf(')');
    if (close < 0)
        return std::nullopt;
    const QList<QByteArray> fields = data.mid(close + 2).split(' ');
    // fields[0] is field 3 (state); field N is fields[N - 3].
    if (fields.size() < 20)
        return std::nullopt;
    ProcStat s;
    s.pid = pid;
    s.state = fields[0].isEmpty() ? '?' : fields[0].at(0);
    s.ppid = pid_t(fields[1].toInt());
    s.pgrp = pid_t(fields[2].toInt());
    s.startTime = fields[19].toULongLong();
    return s;
}

bool isGone(char state)
{
    return state == 'Z' || state == 'X' || state == 'x';
}

} // namespace

QList<ProcessId> ProcessTree::collect(pid_t root, pid_t group)
{
    QList<ProcStat> all;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &name : entries) {
        bool isPid = false;
        const int pid = name.toInt(&isPid);
        if (!isPid)
            continue;
        if (auto s = readStat(pid))
            all.append(*s);
    }
    QMultiHash<pid_t, int> childrenOf;
    for (int i = 0; i < all.size(); ++i)
        childrenOf.insert(all[i].ppid, i);

    QList<ProcessId> result;
    QSet<pid_t> seen;
    const auto add = [&](const ProcStat &s) {
        if (!isGone(s.state) && !seen.contains(s.pid)) {
            seen.insert(s.pid);
            result.append(ProcessId{s.pid, s.startTime});
        }
    };
    // Walk down from the root and the group's members: children that called setsid() or
    // setpgid() are found here.
    QList<pid_t> queue{root};
    QSet<pid_t> visited{root};
    for (const ProcStat &s : all) {
        if (s.pid == root || (group > 0 && s.pgrp == group)) {
            add(s);
            if (!visited.contains(s.pid)) {
                visited.insert(s.pid);
                queue.append(s.pid);
            }
        }
    }
    while (!queue.isEmpty()) {
        const pid_t parent = queue.takeFirst();
        for (auto it = childrenOf.constFind(parent); it != childrenOf.cend() && it.key() == parent;
             ++it) {
            const ProcStat &child = all[it.value()];
            if (visited.contains(child.pid))
                continue;
            visited.insert(child.pid);
            add(child);
            queue.append(child.pid);
        }
    }
    return result;
}

void ProcessTree::signal(const QList<ProcessId> &processes, int sig)
{
    for (const ProcessId &p : processes) {
        const auto s = readStat(p.pid);
        if (s && s->startTime == p.startTime && !isGone(s->state))
            ::kill(p.pid, sig);
    }
}

bool ProcessTree::anyAlive(const QList<ProcessId> &processes)
{
    for (const ProcessId &p : processes) {
        const auto s = readStat(p.pid);
        if (s && s->startTime == p.startTime && !isGone(s->state))
            return true;
    }
    return false;
}

} // namespace gpuwb
