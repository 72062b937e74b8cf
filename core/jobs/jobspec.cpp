#include "core/jobs/jobspec.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

using namespace Qt::StringLiterals;

namespace gpuwb {

QByteArray JobSpec::toJson() const
{
    QJsonObject env;
    for (auto it = environment.cbegin(); it != environment.cend(); ++it)
        env.insert(it.key(), it.value());
    const QJsonObject o{{u"name"_s, name},
                        {u"command"_s, command},
                        {u"workingDirectory"_s, workingDirectory},
                        {u"projectDirectory"_s, projectDirectory},
                        {u"environment"_s, env},
                        {u"target"_s, targetId},
                        {u"setup"_s, setup},
                        {u"artifacts"_s, QJsonArray::fromStringList(artifacts)},
                        {u"remoteDirectory"_s, remoteDirectory}};
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

JobSpec JobSpec::fromJson(const QByteArray &json)
{
    const QJsonObject o = QJsonDocument::fromJson(json).object();
    JobSpec spec;
    spec.name = o.value(u"name"_s).toString();
    spec.command = o.value(u"command"_s).toString();
    spec.workingDirectory = o.value(u"workingDirectory"_s).toString();
    spec.projectDirectory = o.value(u"projectDirectory"_s).toString();
    spec.targetId = o.value(u"target"_s).toString(QStringLiteral("local"));
    spec.setup = o.value(u"setup"_s).toString();
    for (const QJsonValue &glob : o.value(u"artifacts"_s).toArray())
        spec.artifacts.append(glob.toString());
    spec.remoteDirectory = o.value(u"remoteDirectory"_s).toString();
    const QJsonObject env = o.value(u"environment"_s).toObject();
    for (auto it = env.begin(); it != env.end(); ++it)
        spec.environment.insert(it.key(), it.value().toString());
    return spec;
}

QString jobShellScript(const JobSpec &spec)
{
    QString script;
    // dash has only `.`; a venv's "source .venv/bin/activate" must work there as in bash.
    // A file that cannot be read fails the setup with a message instead of ending the shell.
    script += u"command -v source >/dev/null 2>&1 || source() { if [ -r \"$1\" ]; then . "
              "\"$1\"; else printf 'source: cannot read %s\\n' \"$1\" >&2; return 1; fi; }\n"_s;
    // `:` keeps a setup that is only a comment valid.
    if (!spec.setup.trimmed().isEmpty())
        script += u"{ :\n"_s + spec.setup
                  + u"\n} || { gpuwb_rc=$?; printf 'gpuwb: the setup line failed (exit %s); the "
                    "command was not run\\n' \"$gpuwb_rc\" >&2; exit \"$gpuwb_rc\"; }\n"_s;
    script += spec.command + u'\n';
    return script;
}

QMap<QString, QString> jobEnvironment(const JobSpec &spec)
{
    QMap<QString, QString> env{{u"PYTHONUNBUFFERED"_s, u"1"_s}};
    for (auto it = spec.environment.cbegin(); it != spec.environment.cend(); ++it)
        env.insert(it.key(), it.value());
    return env;
}

} // namespace gpuwb
