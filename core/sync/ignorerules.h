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
    // One root-level pattern (a line of .gpuwbignore, an extra pattern); these win over every
    // .gitignore, so "!data/" syncs a folder that git ignores.
    void addPattern(const QString &pattern);
    // `path` is relative to the project root, '/' separated.
    bool isIgnored(const QString &path, bool isDirectory) const;
    // Like isIgnored, but without looking at the folders above `path` (a walk that never
    // enters ignored folders has checked them already).
    bool isIgnoredHere(const QString &path, bool isDirectory) const;

private:
    bool matchesItself(const QString &path, bool isDirectory) const;

    struct Data;
    std::unique_ptr<Data> d;
};

} // namespace gpuwb
