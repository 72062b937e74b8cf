#pragma once

#include "core/jobs/jobspec.h"
#include "core/util/result.h"

#include <QByteArray>
#include <QMap>
#include <QString>
#include <QStringList>

namespace gpuwb {

// How a project runs: the contents of `gpuwb.toml` in its root, or what detection found.
struct RunConfig
{
    QString name;
    QString command;
    QString workdir = QStringLiteral(".");
    // "local", "ssh:<host alias>", or "auto": wherever the workbench's target selector
    // points (the UI passes it to toJobSpec); headless `gpuwb run` without --target runs
    // "auto" locally.
    QString target = QStringLiteral("local");
    QMap<QString, QString> env;
    QString setup;         // a line run before the command in the same shell
    QStringList artifacts; // globs relative to workdir, e.g. "outputs/*.png", "*.pt"
    QString remoteDir;     // remote_dir: the remote work folder (default ~/gpuwb/<folder name>)
    QString origin; // "gpuwb.toml", or what detection found, e.g. "detected CMakeLists.txt"
    friend bool operator==(const RunConfig &, const RunConfig &) = default;
};

// Reading, writing and detecting run configurations. gpuwb.toml is a small TOML subset:
// `key = "string"` or `key = 'literal'` lines, `artifacts = ["glob", ...]` (a one-line array of
// strings), # comments, blank lines and one [env] table.
// The file functions touch the disk: call them off the UI thread.
namespace RunConfigIo {

inline constexpr char FileName[] = "gpuwb.toml";

// Errors name the line: "gpuwb.toml line 3: ..." and say what to write instead.
Result<RunConfig> parseRunConfig(const QByteArray &text);
QByteArray serializeRunConfig(const RunConfig &config);
// `existing` (a file that parses) changed to say `config`, keeping comments, blank lines,
// order and unchanged lines as they are; what saveRunConfig writes over an existing file.
QByteArray updateRunConfigText(const QByteArray &existing, const RunConfig &config);
// gpuwb.toml when present; otherwise detection: CMakeLists.txt, then a single *.cu file, then
// main.py or train.py; otherwise an Error saying to create gpuwb.toml.
Result<RunConfig> loadRunConfig(const QString &projectDir);
Status saveRunConfig(const QString &projectDir, const RunConfig &config);
// The value of the top-level `target` key as `text` writes it; empty when the file has none
// (RunConfig::target then reads "local"), so that an explicit "local" can be told apart.
QString writtenTarget(const QByteArray &text);
// `text` with its top-level target key set to `target`, written as an escaped TOML string.
// An existing target line has its value replaced in place (key, spacing and a comment after
// the value kept); otherwise `target = "..."` goes in after the last top-level setting, before
// any [env] table. Every other byte stays as it was, a missing final newline included.
QByteArray setTargetInText(const QByteArray &text, const QString &target);
// Saves `config` as the Run Configuration dialog does: like saveRunConfig, but the target key
// is always written (an explicit "local" too: the file is the project's default for everyone),
// and when nothing but the target changed, every other byte of the file stays as it was.
Status saveRunConfigWithTarget(const QString &projectDir, const RunConfig &config);
// `autoTarget` is what target = "auto" means here (the UI's selected target).
JobSpec toJobSpec(const RunConfig &config, const QString &projectDir,
                  const QString &autoTarget = QStringLiteral("local"));

} // namespace RunConfigIo

} // namespace gpuwb
