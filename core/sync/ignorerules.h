#pragma once

#include <QString>
#include <QStringList>

#include <memory>

namespace gpuwb {

// gitignore semantics for a project walk: patterns from .gitignore files (each applying below
// its own folder), .gpuwbignore at the root and extra patterns; negation (!), anchored (/a),
// folder-only (a/), ** and character classes. .git itself is always ignored. Pure; any thread.
class IgnoreRules
{
public:
    IgnoreRules();
    ~IgnoreRules();
    IgnoreRules(const IgnoreRules &);
    IgnoreRules &operator=(const IgnoreRules &);

    // Adds the patterns of one ignore file whose folder is `baseDir` (relative, "" for root).
    void addPatterns(const QString &baseDir, const QByteArray &fileText);
    void addPattern(const QString &pattern);
    // `path` is relative to the project root, '/' separated.
    bool isIgnored(const QString &path, bool isDirectory) const;

private:
    struct Data;
    std::unique_ptr<Data> d;
};

} // namespace gpuwb
