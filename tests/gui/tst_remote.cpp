// The remote side in a real window under Xvfb against the real sshd fixture: connect to the
// fixture's host, browse a scratch folder, open a remote file, edit and save it (bytes and
// mode checked on disk), upload by dropping a local file onto the remote pane, accept an
// unknown host key through its dialog, and save a screenshot into the build folder.

#include "core/ssh/sshconnections.h"
#include "helpers/sshtest.h"
#include "ui/editor/codeeditor.h"
#include "ui/editor/editorbanner.h"
#include "ui/editor/editordocument.h"
#include "ui/editor/editortabs.h"
#include "ui/files/filebrowser.h"
#include "ui/files/filetreemodel.h"
#include "ui/mainwindow.h"
#include "ui/remote/remotepanel.h"

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QDropEvent>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QMimeData>
#include <QPushButton>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace gpuwb;
using gpuwb::test::SshdServer;

namespace {

constexpr int LongWaitMs = 60000;

bool writeAsTestUser(const QString &path, const QByteArray &data, mode_t mode)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(data) != data.size())
        return false;
    f.close();
    const passwd *pw = ::getpwnam("gpuwbtest");
    const QByteArray native = QFile::encodeName(path);
    return pw && ::chown(native.constData(), pw->pw_uid, pw->pw_gid) == 0
           && ::chmod(native.constData(), mode) == 0;
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("<missing>");
}

void writeKnownHosts(const SshdServer &server, const QByteArray &text)
{
    QFile known(server.clientSshDir() + u"/known_hosts"_s);
    QVERIFY(known.open(QIODevice::WriteOnly | QIODevice::Truncate));
    known.write(text);
}

} // namespace

class TestRemote : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void connectBrowseEditSaveAndUpload();
    void unknownHostKeyIsAskedAndRemembered();

private:
    QTemporaryDir m_data;
    std::unique_ptr<SshdServer> m_server;
};

void TestRemote::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QVERIFY(m_data.isValid());
    qputenv("GPUWB_DATA_DIR", (m_data.path() + u"/data"_s).toUtf8());
    m_server = std::make_unique<SshdServer>();
    GPUWB_START_SSHD(*m_server);
    qputenv("HOME", m_server->clientHome().toUtf8());
}

void TestRemote::connectBrowseEditSaveAndUpload()
{
    writeKnownHosts(*m_server, m_server->knownHostsLine() + '\n');
    const QString alias = m_server->alias();
    const QString scratch = m_server->makeRemoteScratchDir();
    const QString remoteFile = scratch + u"/kernel 'x'.cu"_s;
    const QByteArray original = "__global__ void k() {}\n";
    QVERIFY(writeAsTestUser(remoteFile, original, 0640));

    MainWindow window;
    window.resize(1400, 900);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&window));

    RemotePanel *remote = window.remotePanel();
    QVERIFY(remote);
    QVERIFY(remote->hostBox()->findData(alias) >= 0);
    remote->openHost(alias);
    QTRY_COMPARE_WITH_TIMEOUT(toString(remote->state()), toString(SshState::Connected),
                              LongWaitMs);
    QVERIFY(remote->stateLabel()->text().startsWith(u"Connected"_s));
    QCOMPARE(remote->connectButton()->text(), u"Disconnect"_s);
    // Each host in the list shows its own state too.
    const int hostRow = remote->hostBox()->findData(alias);
    QTRY_VERIFY(remote->hostBox()->itemData(hostRow, Qt::ToolTipRole).toString().startsWith(
        u"Connected"_s));
    QVERIFY(!remote->hostBox()->itemIcon(hostRow).isNull());
    QTRY_COMPARE_WITH_TIMEOUT(remote->browser()->root(),
                              Location::remote(alias, m_server->userHome()), LongWaitMs);

    // Type the scratch folder into the path field.
    remote->pathEdit()->clear();
    QTest::keyClicks(remote->pathEdit(), scratch);
    QTest::keyClick(remote->pathEdit(), Qt::Key_Return);
    const Location root = Location::remote(alias, scratch);
    QTRY_COMPARE(remote->browser()->root(), root);
    FileTreeModel *model = remote->browser()->model();
    const Location file = Location::remote(alias, remoteFile);
    QTRY_VERIFY_WITH_TIMEOUT(model->index(file).isValid(), LongWaitMs);
    QCOMPARE(QModelIndex(model->index(file))
                 .siblingAtColumn(FileTreeModel::PermissionsColumn)
                 .data()
                 .toString(),
             u"rw-r-----"_s);

    // Open it with a double click, edit, save with Ctrl+S.
    QTreeView *tree = remote->browser()->view();
    const QModelIndex index = model->index(file);
    tree->scrollTo(index);
    const QRect rect = tree->visualRect(index);
    QTest::mouseClick(tree->viewport(), Qt::LeftButton, {}, rect.center());
    QTest::mouseDClick(tree->viewport(), Qt::LeftButton, {}, rect.center());
    QTRY_COMPARE_WITH_TIMEOUT(window.editor()->count(), 1, LongWaitMs);
    QCOMPARE(window.editor()->currentLocation(), file);
    CodeEditor *editor = window.editor()->currentEditor();
    QTRY_VERIFY_WITH_TIMEOUT(!editor->isReadOnly(), LongWaitMs);
    editor->setFocus();
    editor->moveCursor(QTextCursor::Start);
    QTest::keyClicks(editor, u"// remote edit"_s);
    QTest::keyClick(editor, Qt::Key_Return);
    QTest::keyClick(editor, Qt::Key_S, Qt::ControlModifier);
    QTRY_VERIFY_WITH_TIMEOUT(!window.editor()->hasUnsavedChanges(), LongWaitMs);
    QCOMPARE(readAll(remoteFile), "// remote edit\n" + original);
    struct stat st{};
    QCOMPARE(::stat(QFile::encodeName(remoteFile).constData(), &st), 0);
    QCOMPARE(st.st_mode & 07777, mode_t(0640));

    // Someone else changes the file on the host while the user edits it: saving must not
    // overwrite their change, must keep the user's edits, and must offer Reload / Keep mine.
    EditorDocument *doc = window.editor()->currentDocument();
    QVERIFY(doc);
    QTest::keyClicks(editor, u"// mine"_s);
    QVERIFY(doc->isModified());
    const QByteArray theirs = "// theirs, written on the host meanwhile\n";
    QVERIFY(writeAsTestUser(remoteFile, theirs, 0640));
    QTest::keyClick(editor, Qt::Key_S, Qt::ControlModifier);
    QTRY_VERIFY_WITH_TIMEOUT(doc->banner(u"diskChangedBanner"_s), LongWaitMs);
    QCOMPARE(readAll(remoteFile), theirs);
    QVERIFY(doc->isModified());
    QVERIFY(editor->toPlainText().contains(u"// mine"_s));
    // Keep mine, then save: now the user's text goes to the host, atomically, mode kept.
    doc->banner(u"diskChangedBanner"_s)->findChild<QPushButton *>(u"keepMineButton"_s)->click();
    QTest::keyClick(editor, Qt::Key_S, Qt::ControlModifier);
    QTRY_VERIFY_WITH_TIMEOUT(!window.editor()->hasUnsavedChanges(), LongWaitMs);
    QCOMPARE(readAll(remoteFile), editor->toPlainText().toUtf8());
    QVERIFY(readAll(remoteFile).contains("// mine"));
    QCOMPARE(::stat(QFile::encodeName(remoteFile).constData(), &st), 0);
    QCOMPARE(st.st_mode & 07777, mode_t(0640));

    // A local file dropped from the desktop onto the remote pane's empty area uploads into
    // the pane's folder.
    QTemporaryDir local;
    const QString localFile = local.path() + u"/dropped $(x).txt"_s;
    const QByteArray payload = "dropped bytes\n";
    {
        QFile f(localFile);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(payload);
    }
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(localFile)});
    QWidget *viewport = tree->viewport();
    const QPoint below(viewport->width() / 2, viewport->height() - 5);
    QDragEnterEvent enter(below, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(viewport, &enter);
    QVERIFY(enter.isAccepted());
    QDragMoveEvent move(below, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(viewport, &move);
    QVERIFY(move.isAccepted());
    QDropEvent drop(QPointF(below), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(viewport, &drop);
    const QString uploaded = scratch + u"/dropped $(x).txt"_s;
    QTRY_COMPARE_WITH_TIMEOUT(readAll(uploaded), payload, LongWaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(model->index(Location::remote(alias, uploaded)).isValid(),
                             LongWaitMs);

    QTest::qWait(300);
    const QString shot = qEnvironmentVariable("GPUWB_BUILD_DIR") + u"/gui-remote.png"_s;
    QVERIFY(window.grab().save(shot));
    qInfo("screenshot: %s", qPrintable(shot));
}

void TestRemote::unknownHostKeyIsAskedAndRemembered()
{
    writeKnownHosts(*m_server, {});
    MainWindow window;
    window.resize(1200, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));

    RemotePanel *remote = window.remotePanel();
    remote->openHost(m_server->alias());
    QMessageBox *box = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT(
        (box = window.findChild<QMessageBox *>(u"SshHostKeyDialog"_s)) && box->isVisible(),
        LongWaitMs);
    QVERIFY(box->informativeText().contains(m_server->hostKeyFingerprint()));
    QVERIFY(box->text().contains(u"127.0.0.1"_s));
    QCOMPARE(toString(remote->state()), toString(SshState::Connecting));
    auto *accept = box->findChild<QPushButton *>(u"accept"_s);
    QVERIFY(accept);
    QCOMPARE(accept->text(), u"Accept and remember"_s);
    QTest::mouseClick(accept, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(toString(remote->state()), toString(SshState::Connected),
                              LongWaitMs);
    QVERIFY(readAll(m_server->clientSshDir() + u"/known_hosts"_s).contains("ssh-ed25519"));
}

QTEST_MAIN(TestRemote)
#include "tst_remote.moc"
