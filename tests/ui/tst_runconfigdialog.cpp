// RunConfigDialog: what it shows is what it saves, through gpuwb.toml and back; it says what
// is wrong before saving; a failed save keeps the dialog open with the reason. Its target offers
// Auto, this machine and every host, and saving writes gpuwb.toml's target key, keeping the
// rest of the file.

#include "core/jobs/runconfig.h"
#include "ui/jobs/runconfigdialog.h"

#include <QComboBox>
#include <QDir>
#include <QDialogButtonBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace gpuwb;

class TestRunConfigDialog : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    static RunConfig hostile()
    {
        RunConfig config;
        config.name = u"saxpy \"fast\" 'n' \u00e9"_s;
        config.command = u"./run.sh --msg \"$(whoami)\" 'single' back\\slash `tick`"_s;
        config.workdir = u"sub dir/with 'quotes'"_s;
        config.target = u"local"_s;
        config.env.insert(u"SAXPY_N"_s, u"1000000"_s);
        config.env.insert(u"TRICKY"_s, u"a \"b\" \\c $(d) 'e'"_s);
        config.env.insert(u"EMPTY"_s, QString());
        config.origin = u"gpuwb.toml"_s;
        return config;
    }

    QPushButton *okButton(RunConfigDialog &d) { return d.buttons()->button(QDialogButtonBox::Ok); }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
    }

    void roundTrip()
    {
        const QString dir = m_dir.filePath(u"round trip"_s);
        QVERIFY(QDir().mkpath(dir));
        RunConfigDialog dialog(dir);
        dialog.setTargets({u"local"_s});
        dialog.setRunConfig(hostile());
        QCOMPARE(dialog.runConfig(), hostile());
        QCOMPARE(dialog.nameEdit()->text(), hostile().name);
        QCOMPARE(dialog.environmentTable()->rowCount(), 3);
        QCOMPARE(dialog.target(), u"local"_s);
        QVERIFY(dialog.validationError().isEmpty());
        QVERIFY(okButton(dialog)->isEnabled());

        dialog.show();
        QSignalSpy saved(&dialog, &RunConfigDialog::saved);
        QSignalSpy accepted(&dialog, &QDialog::accepted);
        okButton(dialog)->click();
        QTRY_COMPARE_WITH_TIMEOUT(accepted.count(), 1, 30000);
        QCOMPARE(saved.count(), 1);
        QCOMPARE(saved.at(0).at(0).value<RunConfig>(), hostile());

        auto loaded = RunConfigIo::loadRunConfig(dir);
        QVERIFY2(loaded.ok(), qPrintable(loaded.errorMessage()));
        QCOMPARE(loaded.value(), hostile());

        // And back into a dialog: the same fields.
        RunConfigDialog again(dir);
        again.setRunConfig(loaded.value());
        QCOMPARE(again.runConfig(), hostile());
    }

    void offersAutoThisMachineAndEveryHost()
    {
        RunConfigDialog dialog(m_dir.path());
        QComboBox *box = dialog.targetCombo();
        // Even before any host is known: Auto and this machine.
        QCOMPARE(box->count(), 2);
        QCOMPARE(box->itemData(0).toString(), u"auto"_s);
        QCOMPARE(box->itemData(1).toString(), u"local"_s);
        const QString hostile = u"ssh:gpu \"1\" $(x)"_s;
        dialog.setTargets({u"local"_s, u"ssh:gpu0"_s, hostile});
        QCOMPARE(box->count(), 4);
        QCOMPARE(box->itemData(2).toString(), u"ssh:gpu0"_s);
        QCOMPARE(box->itemText(2), u"gpu0"_s);
        QCOMPARE(box->itemData(3).toString(), hostile);
        QCOMPARE(dialog.target(), u"local"_s);

        // The toolbar's own labels, and its choice selected.
        dialog.setTargetChoices({{u"auto"_s, u"Auto (gpu0)"_s},
                                 {u"local"_s, u"This machine (local)"_s},
                                 {u"ssh:gpu0"_s, u"gpu0"_s}});
        QCOMPARE(box->itemText(0), u"Auto (gpu0)"_s);
        dialog.selectTarget(u"ssh:gpu0"_s);
        QCOMPARE(dialog.target(), u"ssh:gpu0"_s);
        // A target the file names but no host list has stays visible and selected.
        RunConfig config;
        config.command = u"./run.sh"_s;
        config.target = u"ssh:gone"_s;
        dialog.setRunConfig(config);
        QCOMPARE(dialog.target(), u"ssh:gone"_s);
        QVERIFY(box->currentText().contains(u"gone"_s));
        QCOMPARE(dialog.runConfig().target, u"ssh:gone"_s);
        // The hint says who the two settings are for.
        QVERIFY(dialog.targetHint()->text().contains(u"gpuwb.toml"_s));
        QVERIFY(dialog.targetHint()->text().contains(u"yours only"_s));
    }

    void savingWritesTheTargetAndKeepsTheFile()
    {
        const QString dir = m_dir.filePath(u"keeps"_s);
        QVERIFY(QDir().mkpath(dir));
        const QByteArray before = "# team settings\ncommand = './train.sh'  # go\n"
                                  "setup = 'source env.sh'\nartifacts = [\"*.pt\"]\n"
                                  "remote_dir = '~/w'\n\n[env]\nA = '1'";
        {
            QFile file(dir + u"/gpuwb.toml"_s);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(before);
        }
        auto loaded = RunConfigIo::loadRunConfig(dir);
        QVERIFY2(loaded.ok(), qPrintable(loaded.errorMessage()));
        const QString host = u"ssh:it's \"a\" \\host"_s;
        RunConfigDialog dialog(dir);
        dialog.setTargets({u"local"_s, host});
        dialog.setRunConfig(loaded.value());
        QCOMPARE(dialog.target(), u"local"_s);
        dialog.targetCombo()->setCurrentIndex(dialog.targetCombo()->findData(host));
        dialog.show();
        QSignalSpy accepted(&dialog, &QDialog::accepted);
        okButton(dialog)->click();
        QTRY_COMPARE_WITH_TIMEOUT(accepted.count(), 1, 30000);

        QFile file(dir + u"/gpuwb.toml"_s);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray after = file.readAll();
        // One line more, every other byte as it was (settings without a field included).
        QCOMPARE(after, RunConfigIo::setTargetInText(before, host));
        auto reread = RunConfigIo::loadRunConfig(dir);
        QVERIFY2(reread.ok(), qPrintable(reread.errorMessage()));
        RunConfig expected = loaded.value();
        expected.target = host;
        QCOMPARE(reread.value(), expected);
    }

    void editsThroughTheFields()
    {
        RunConfigDialog dialog(m_dir.path());
        dialog.setRunConfig(RunConfig{});
        QVERIFY(!dialog.validationError().isEmpty()); // no command yet
        QVERIFY(!okButton(dialog)->isEnabled());
        QTest::keyClicks(dialog.commandEdit(), u"python3 -u train.py"_s);
        QVERIFY(dialog.validationError().isEmpty());
        QVERIFY(okButton(dialog)->isEnabled());

        QTableWidget *env = dialog.environmentTable();
        env->insertRow(0);
        env->setItem(0, 0, new QTableWidgetItem(u"CUDA_VISIBLE_DEVICES"_s));
        env->setItem(0, 1, new QTableWidgetItem(u"0,1"_s));
        RunConfig config = dialog.runConfig();
        QCOMPARE(config.command, u"python3 -u train.py"_s);
        QCOMPARE(config.workdir, u"."_s);
        QCOMPARE(config.env.value(u"CUDA_VISIBLE_DEVICES"_s), u"0,1"_s);

        // An empty row someone added and left is ignored.
        env->insertRow(1);
        env->setItem(1, 0, new QTableWidgetItem());
        env->setItem(1, 1, new QTableWidgetItem());
        QVERIFY(dialog.validationError().isEmpty());
        QCOMPARE(dialog.runConfig().env.size(), 1);
    }

    void validation()
    {
        RunConfigDialog dialog(m_dir.path());
        RunConfig config;
        config.command = u"./run.sh"_s;
        dialog.setRunConfig(config);
        QVERIFY(dialog.validationError().isEmpty());

        QTableWidget *env = dialog.environmentTable();
        env->insertRow(0);
        env->setItem(0, 0, new QTableWidgetItem(u"1BAD-NAME"_s));
        env->setItem(0, 1, new QTableWidgetItem(u"x"_s));
        QVERIFY(dialog.validationError().contains(u"1BAD-NAME"_s));
        QVERIFY(!okButton(dialog)->isEnabled());
        env->item(0, 0)->setText(u"GOOD"_s);
        QVERIFY(dialog.validationError().isEmpty());
        env->insertRow(1);
        env->setItem(1, 0, new QTableWidgetItem(u"GOOD"_s));
        env->setItem(1, 1, new QTableWidgetItem(u"y"_s));
        QVERIFY(dialog.validationError().contains(u"twice"_s));
        env->item(1, 0)->setText(QString());
        QVERIFY(dialog.validationError().contains(u"no variable name"_s));
        env->removeRow(1);
        QVERIFY(dialog.validationError().isEmpty());

        dialog.workdirEdit()->setText(u"/abs/path"_s);
        QVERIFY(dialog.validationError().contains(u"relative"_s));
        dialog.workdirEdit()->setText(u"build"_s);
        dialog.commandEdit()->setText(u"   "_s);
        QVERIFY(dialog.validationError().contains(u"command"_s));
        QVERIFY(!okButton(dialog)->isEnabled());
    }

    void failedSaveKeepsDialogOpen()
    {
        // A "project folder" below a plain file cannot be written.
        const QString file = m_dir.filePath(u"plain file"_s);
        {
            QFile f(file);
            QVERIFY(f.open(QIODevice::WriteOnly));
        }
        RunConfigDialog dialog(file + u"/project"_s);
        RunConfig config;
        config.command = u"./run.sh"_s;
        dialog.setRunConfig(config);
        dialog.show();
        QSignalSpy accepted(&dialog, &QDialog::accepted);
        okButton(dialog)->click();
        QTRY_VERIFY_WITH_TIMEOUT(okButton(dialog)->isEnabled(), 30000);
        QCOMPARE(accepted.count(), 0);
        QVERIFY(dialog.isVisible());
        const QList<QLabel *> labels = dialog.findChildren<QLabel *>();
        const bool said = std::any_of(labels.cbegin(), labels.cend(), [](const QLabel *l) {
            return l->isVisible() && !l->text().isEmpty() && l->text().contains(u"gpuwb.toml"_s);
        });
        QVERIFY(said);
    }
};

QTEST_MAIN(TestRunConfigDialog)
#include "tst_runconfigdialog.moc"
