// The whole local loop in a real window under Xvfb: open the example project, open a file from
// the tree, edit and save it, press F5, wait for the job to succeed, read its output, and save
// a screenshot of the main window into the build folder.

#include "core/fs/location.h"
#include "core/jobs/job.h"
#include "core/jobs/jobmanager.h"
#include "ui/editor/codeeditor.h"
#include "ui/editor/editortabs.h"
#include "ui/files/filebrowser.h"
#include "ui/files/filetreemodel.h"
#include "ui/jobs/jobpanel.h"
#include "ui/jobs/outputview.h"
#include "ui/mainwindow.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

using namespace Qt::StringLiterals;
using namespace gpuwb;

class TestWorkbench : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void editSaveAndRunTheExample();
    void runSavesEditedFilesFirst();

private:
    QTemporaryDir m_home;
    QString m_project;
};

static bool copyTree(const QString &from, const QString &to)
{
    QDir().mkpath(to);
    const QDir src(from);
    for (const QFileInfo &info :
         src.entryInfoList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot)) {
        if (info.fileName() == u".build")
            continue;
        const QString target = to + u'/' + info.fileName();
        if (info.isDir() ? !copyTree(info.filePath(), target)
                         : !QFile::copy(info.filePath(), target))
            return false;
        if (!info.isDir())
            QFile::setPermissions(target, info.permissions());
    }
    return true;
}

void TestWorkbench::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_home.isValid());
    qputenv("GPUWB_DATA_DIR", (m_home.path() + u"/data"_s).toUtf8());
    // A project folder whose path has a space and a quote, as users' folders do.
    m_project = m_home.path() + u"/my 'saxpy' project"_s;
    QVERIFY(copyTree(qEnvironmentVariable("GPUWB_SOURCE_DIR") + u"/examples/saxpy"_s, m_project));
}

void TestWorkbench::editSaveAndRunTheExample()
{
    MainWindow window;
    window.resize(1400, 900);
    window.openProject(m_project);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    // Shortcuts reach only the active window; Xvfb has no window manager to activate it.
    window.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&window));

    // Open saxpy.cu by double-clicking it in the file tree.
    const Location source = Location::local(m_project + u"/saxpy.cu"_s);
    FileTreeModel *model = window.fileBrowser()->model();
    QTRY_VERIFY(model->index(source).isValid());
    QTreeView *tree = window.fileBrowser()->view();
    const QModelIndex index = model->index(source);
    tree->scrollTo(index);
    const QRect rect = tree->visualRect(index);
    QVERIFY(rect.isValid());
    // A real double click is press, release, then the double-click event.
    QTest::mouseClick(tree->viewport(), Qt::LeftButton, {}, rect.center());
    QTest::mouseDClick(tree->viewport(), Qt::LeftButton, {}, rect.center());
    QTRY_COMPARE(window.editor()->count(), 1);
    CodeEditor *editor = window.editor()->currentEditor();
    QVERIFY(editor);
    QTRY_VERIFY(!editor->isReadOnly());
    QCOMPARE(window.editor()->currentLocation(), source);

    // Type a line at the top and save with the keyboard.
    editor->setFocus();
    editor->moveCursor(QTextCursor::Start);
    const QString marker = u"// edited by the GUI test"_s;
    QTest::keyClicks(editor, marker);
    QTest::keyClick(editor, Qt::Key_Return);
    QVERIFY(window.editor()->hasUnsavedChanges());
    QVERIFY(window.editor()->tabTitle(0) != u"saxpy.cu"_s);
    QTest::keyClick(editor, Qt::Key_S, Qt::ControlModifier);
    QTRY_VERIFY(!window.editor()->hasUnsavedChanges());
    QFile saved(source.path());
    QVERIFY(saved.open(QIODevice::ReadOnly));
    QVERIFY(saved.readAll().startsWith(marker.toUtf8() + '\n'));

    // Run with F5 and wait for the job: it builds (nvcc or c++) and runs saxpy.
    QTest::keyClick(editor, Qt::Key_F5);
    QTRY_COMPARE(window.jobManager()->jobs().size(), 1);
    Job *job = window.jobManager()->jobs().first();
    QTRY_VERIFY_WITH_TIMEOUT(isFinal(job->state()), 240000);
    OutputView *view = window.jobPanel()->viewFor(job->id());
    QVERIFY(view);
    QTRY_VERIFY(view->buffer().text().contains(u"saxpy: OK"_s));
    QCOMPARE(toString(job->state()), toString(JobState::Succeeded));
    QCOMPARE(window.jobPanel()->currentJobId(), job->id());

    // The log on disk has the whole output too.
    QFile log(job->logPath());
    QVERIFY(log.open(QIODevice::ReadOnly));
    QVERIFY(log.readAll().contains("saxpy: OK"));

    QTest::qWait(300); // let the charts and the list repaint once more before the picture
    const QString shot = qEnvironmentVariable("GPUWB_BUILD_DIR") + u"/gui-main-window.png"_s;
    QVERIFY(window.grab().save(shot));
    qInfo("screenshot: %s", qPrintable(shot));
}

static bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
}

// F5 runs what the editor shows: edited files of the project are saved first; a save that
// fails stops the Run with a message, and the edits stay in the editor.
void TestWorkbench::runSavesEditedFilesFirst()
{
    const QString project = m_home.path() + u"/notes"_s;
    QVERIFY(QDir().mkpath(project + u"/sub"_s));
    QVERIFY(writeFile(project + u"/gpuwb.toml"_s,
                      "command = \"cat sub/note.txt\"\ntarget = \"local\"\n"));
    QVERIFY(writeFile(project + u"/sub/note.txt"_s, "as on disk\n"));
    MainWindow window;
    window.resize(1400, 900);
    window.openProject(project);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));

    const Location note = Location::local(project + u"/sub/note.txt"_s);
    emit window.fileBrowser()->openRequested(note);
    QTRY_COMPARE(window.editor()->count(), 1);
    CodeEditor *editor = window.editor()->currentEditor();
    QVERIFY(editor);
    QTRY_VERIFY(!editor->isReadOnly());
    editor->selectAll();
    editor->insertPlainText(u"as edited\n"_s);
    QVERIFY(window.editor()->hasUnsavedChanges());

    QTRY_VERIFY(window.jobPanel()->runAction()->isEnabled());
    window.jobPanel()->runAction()->trigger();
    QTRY_COMPARE(window.jobManager()->jobs().size(), 1);
    Job *job = window.jobManager()->jobs().first();
    QTRY_VERIFY_WITH_TIMEOUT(isFinal(job->state()), 60000);
    QCOMPARE(toString(job->state()), toString(JobState::Succeeded));
    QVERIFY(!window.editor()->hasUnsavedChanges());
    QFile log(job->logPath());
    QVERIFY(log.open(QIODevice::ReadOnly));
    const QByteArray output = log.readAll();
    QVERIFY2(output.contains("as edited") && !output.contains("as on disk"), output.constData());

    // The file's folder becomes a file: the save cannot succeed, so nothing runs.
    editor->insertPlainText(u"more\n"_s);
    QVERIFY(window.editor()->hasUnsavedChanges());
    QVERIFY(QDir(project + u"/sub"_s).removeRecursively());
    QVERIFY(writeFile(project + u"/sub"_s, "in the way\n"));
    QSignalSpy failed(window.jobPanel(), &JobPanel::runFailed);
    QTRY_VERIFY(window.jobPanel()->runAction()->isEnabled());
    window.jobPanel()->runAction()->trigger();
    QTRY_COMPARE(failed.count(), 1);
    const QString why = failed.at(0).at(0).toString();
    QVERIFY2(why.contains(u"Not run"_s) && why.contains(u"note.txt"_s), qPrintable(why));
    QCOMPARE(window.jobPanel()->message(), why);
    QCOMPARE(window.jobManager()->jobs().size(), 1);
    QVERIFY(window.editor()->hasUnsavedChanges());
    QVERIFY(editor->toPlainText().contains(u"more"_s));
    QTRY_VERIFY(window.jobPanel()->runAction()->isEnabled());
}

QTEST_MAIN(TestWorkbench)
#include "tst_workbench.moc"
