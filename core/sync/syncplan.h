#pragma once

#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

namespace gpuwb {

// What a sync will do, computed before anything is sent, so that the UI can warn about a large
// first sync ("3.2 GB in .git and checkpoints/: add them to .gpuwbignore?") and show totals.
struct SyncPlan
{
    struct Entry
    {
        QString path;     // relative to the project root, '/' separated, exact bytes as
                          // fromRemoteBytes() maps them
        qint64 size = 0;
        qint64 mtime = 0; // seconds since the epoch
        quint32 mode = 0; // permission bits
        QByteArray linkTarget; // a symlink's target, relative and inside the project
    };
    struct LargeFolder
    {
        QString path;     // relative, e.g. ".git", "checkpoints"
        qint64 bytes = 0;
        int files = 0;
    };

    bool firstSync = false;       // the remote folder is missing or empty
    QList<Entry> uploads;         // new or changed files (size or mtime differ)
    QStringList directories;      // folders to create, parents first
    QList<Entry> links;           // symlinks to create or re-point (new, or another target)
    QStringList deletions;        // remote files not in the project (only with deleteExtraneous)
    qint64 bytesToSend = 0;
    int unchangedFiles = 0;
    QList<LargeFolder> largeFolders; // top folders over the warning threshold, largest first
    bool useArchiveStream = false;   // many small files and tar on the remote: one stream

    // Added by the sync engine (additive):
    QString remoteRoot;         // the remote work folder as an absolute path ("~" resolved)
    QStringList removeFirst;    // relative remote paths to remove before placing files: our
                                // leftovers of an interrupted sync (staging folders, .part
                                // files), nothing else
    QStringList clashes;        // relative paths whose remote entry is of another type than
                                // the local one (a folder where the project has a file, ...):
                                // never removed, the sync stops and says so
    QList<Entry> folderEntries; // the folders of `directories`, with their modes
    QStringList notes;          // what was skipped and why (symlinks to folders, sockets...)
};

struct SyncProgress
{
    qint64 bytesDone = 0;
    qint64 bytesTotal = 0;
    int filesDone = 0;
    int filesTotal = 0;
    QString currentFile;
};

struct SyncOptions
{
    bool deleteExtraneous = false;       // remove remote files the project does not have
    qint64 largeFolderBytes = 100 << 20; // warn about top-level folders above this
    QStringList extraIgnores;            // gitignore-style patterns on top of the files'
};

} // namespace gpuwb

Q_DECLARE_METATYPE(gpuwb::SyncPlan)
Q_DECLARE_METATYPE(gpuwb::SyncProgress)
