#include "core/jobs/runconfig.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace gpuwb;
using namespace gpuwb::RunConfigIo;

namespace {

void writeFile(const QString &path, const QByteArray &data)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(data);
}

} // namespace

class TestRunConfig : public QObject
{
    Q_OBJECT

    QTemporaryDir m_root;
    int m_counter = 0;
    QString newProject()
    {
        const QString dir = m_root.filePath(u"project %1"_s.arg(++m_counter));
        QDir().mkpath(dir);
        return dir;
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_root.isValid());
    }

    void parsesTheDocumentedExample()
    {
        const QByteArray text = "# GPU Workbench run configuration\n"
                                "name = \"saxpy\"            # optional, for people\n"
                                "command = \"./run.sh\"      # required\n"
                                "workdir = \".\"\n"
                                "target = \"local\"\n"
                                "[env]                     # optional\n"
                                "SAXPY_N = \"1000000\"\n";
        const auto r = parseRunConfig(text);
        QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
        QCOMPARE(r->name, u"saxpy"_s);
        QCOMPARE(r->command, u"./run.sh"_s);
        QCOMPARE(r->workdir, u"."_s);
        QCOMPARE(r->target, u"local"_s);
        QCOMPARE(r->env, (QMap<QString, QString>{{u"SAXPY_N"_s, u"1000000"_s}}));
        QCOMPARE(r->origin, u"gpuwb.toml"_s);
    }

    void stringsEscapesAndComments()
    {
        const QByteArray text = "\xEF\xBB\xBF" // a BOM
                                "command = 'python3 \"a b.py\" # not a comment \\n'\r\n"
                                "name = \"tab\\there \\\"q\\\" back\\\\slash\\nnl \\u00e9\"\r\n"
                                "\t  # indented comment\n"
                                "workdir='build'\n"
                                "[ env ]\n"
                                "EMPTY = \"\"\n"
                                "\"QUOTED_KEY\" = 'x'\n";
        const auto r = parseRunConfig(text);
        QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
        QCOMPARE(r->command, u"python3 \"a b.py\" # not a comment \\n"_s);
        QCOMPARE(r->name, u"tab\there \"q\" back\\slash\nnl é"_s);
        QCOMPARE(r->workdir, u"build"_s);
        QCOMPARE(r->env.value(u"EMPTY"_s, u"missing"_s), QString());
        QCOMPARE(r->env.value(u"QUOTED_KEY"_s), u"x"_s);
    }

    void malformedFilesNameTheLine_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<int>("line");
        QTest::addColumn<QString>("hint");
        QTest::newRow("unknown key") << "command = \"x\"\ncomand = \"y\"\n"_ba << 2
                                     << u"did you mean command"_s;
        QTest::newRow("missing quote") << "name = \"a\"\ncommand = \"./run.sh\n"_ba << 2
                                       << u"no closing \""_s;
        QTest::newRow("missing literal quote") << "command = './run.sh\n"_ba << 1
                                               << u"no closing '"_s;
        QTest::newRow("duplicate key") << "command = \"a\"\n\ncommand = \"b\"\n"_ba << 3
                                       << u"first on line 1"_s;
        QTest::newRow("duplicate env") << "command = \"a\"\n[env]\nX = \"1\"\nX = \"2\"\n"_ba
                                       << 4 << u"first on line 3"_s;
        QTest::newRow("missing command") << "name = \"a\"\n[env]\nX = \"1\"\n"_ba << 3
                                         << u"command = \"./run.sh\""_s;
        QTest::newRow("empty file") << QByteArray() << 1 << u"command = \"./run.sh\""_s;
        QTest::newRow("empty command") << "command = \"  \"\n"_ba << 1 << u"command is empty"_s;
        QTest::newRow("non utf8") << "name = \"a\"\ncommand = \"\xff\xfe\"\n"_ba << 2 << u"UTF-8"_s;
        // Each line is decoded on its own: one that ends inside a sequence is not valid UTF-8
        // (found by fuzz/runconfigfuzzer.cpp; the writers then made it unreadable).
        QTest::newRow("line cut inside a UTF-8 sequence") << "command = \"x\" # \xc3\n"_ba << 1
                                                          << u"UTF-8"_s;
        // Only the file's first byte-order mark is dropped; one before a later key is text.
        QTest::newRow("byte-order mark inside the file")
            << "command = \"x\"\n\xef\xbb\xbfname = \"n\"\n"_ba << 2 << u"expected a setting"_s;
        QTest::newRow("bare value") << "command = ./run.sh\n"_ba << 1
                                    << u"write command = \"./run.sh\""_s;
        QTest::newRow("number value") << "command = \"x\"\n[env]\nN = 5\n"_ba << 3
                                      << u"quoted string"_s;
        QTest::newRow("no equals") << "command \"x\"\n"_ba << 1 << u"expected ="_s;
        QTest::newRow("no value") << "command =\n"_ba << 1 << u"has no value"_s;
        QTest::newRow("trailing text") << "command = \"x\" y\n"_ba << 1 << u"after a #"_s;
        QTest::newRow("bad escape") << "command = \"C:\\qtemp\"\n"_ba << 1 << u"unknown escape"_s;
        QTest::newRow("short unicode") << "command = \"\\u12\"\n"_ba << 1 << u"hex digits"_s;
        QTest::newRow("surrogate escape") << "command = \"\\ud800\"\n"_ba << 1 << u"hex digits"_s;
        QTest::newRow("unknown table") << "command = \"x\"\n[build]\n"_ba << 2 << u"[env]"_s;
        QTest::newRow("second env table") << "command = \"x\"\n[env]\n[env]\n"_ba << 3
                                          << u"first on line 2"_s;
        QTest::newRow("unclosed table") << "command = \"x\"\n[env\n"_ba << 2 << u"]"_s;
        QTest::newRow("bad env name") << "command = \"x\"\n[env]\n1ABC = \"1\"\n"_ba << 3
                                      << u"environment variable name"_s;
        QTest::newRow("env name with dash") << "command = \"x\"\n[env]\nA-B = \"1\"\n"_ba << 3
                                            << u"environment variable name"_s;
        QTest::newRow("top key after env") << "[env]\ncommand = \"x\"\n"_ba << 2 // goes to env
                                           << u"has no command"_s;
        QTest::newRow("multi-line string") << "command = \"\"\"x\n\"\"\"\n"_ba << 1
                                           << u"multi-line"_s;
        QTest::newRow("control char") << "command = \"a\x01" "b\"\n"_ba << 1 << u"control"_s;
        QTest::newRow("garbage line") << "command = \"x\"\n$(rm -rf /)\n"_ba << 2
                                      << u"expected a setting"_s;
        QTest::newRow("empty workdir") << "command = \"x\"\nworkdir = ''\n"_ba << 2
                                       << u"workdir = \".\""_s;
        QTest::newRow("artifacts not a list") << "command = \"x\"\nartifacts = \"*.pt\"\n"_ba
                                              << 2 << u"list of quoted globs"_s;
        QTest::newRow("artifacts unclosed") << "command = \"x\"\nartifacts = [\"*.pt\",\n"_ba
                                            << 2 << u"no closing ]"_s;
        QTest::newRow("artifacts bare item") << "command = \"x\"\nartifacts = [*.pt]\n"_ba
                                             << 2 << u"quoted glob"_s;
        QTest::newRow("artifacts no comma") << "command = \"x\"\nartifacts = ['a' 'b']\n"_ba
                                            << 2 << u"expected , or ]"_s;
        QTest::newRow("artifacts empty glob") << "command = \"x\"\nartifacts = ['']\n"_ba << 2
                                              << u"empty"_s;
        QTest::newRow("artifacts twice") << "command = \"x\"\nartifacts = []\nartifacts = []\n"_ba
                                         << 3 << u"first on line 2"_s;
        QTest::newRow("setup as list") << "command = \"x\"\nsetup = [\"a\"]\n"_ba << 2
                                       << u"quoted string"_s;
        QTest::newRow("unknown target") << "command = \"x\"\ntarget = \"gpu-box\"\n"_ba << 2
                                        << u"ssh:<host alias>"_s;
        QTest::newRow("ssh without alias") << "command = \"x\"\ntarget = \"ssh:\"\n"_ba << 2
                                           << u"unknown target"_s;
    }

    void remoteSettingsParseAndMapToTheSpec()
    {
        const QByteArray text = "# remote\ncommand = \"python3 train.py\"\n"
                                "setup = \"source ~/venv/bin/activate # it's fine\"\n"
                                "artifacts = [\"outputs/*.png\", '*.pt', ] # kept\n"
                                "remote_dir = \"work/my proj\"\ntarget = \"auto\"\n"_ba;
        const auto r = parseRunConfig(text);
        QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
        QCOMPARE(r->setup, u"source ~/venv/bin/activate # it's fine"_s);
        QCOMPARE(r->artifacts, (QStringList{u"outputs/*.png"_s, u"*.pt"_s}));
        QCOMPARE(r->remoteDir, u"work/my proj"_s);
        QCOMPARE(r->target, u"auto"_s);
        const JobSpec local = toJobSpec(*r, u"/tmp/p"_s);
        QCOMPARE(local.targetId, u"local"_s); // "auto" with no selection runs here
        const JobSpec spec = toJobSpec(*r, u"/tmp/p"_s, u"ssh:box"_s);
        QCOMPARE(spec.targetId, u"ssh:box"_s);
        QCOMPARE(spec.setup, r->setup);
        QCOMPARE(spec.artifacts, r->artifacts);
        QCOMPARE(spec.remoteDirectory, u"work/my proj"_s);

        // Updating keeps comments and untouched lines; a changed list is rewritten.
        RunConfig changed = *r;
        changed.artifacts = {u"*.ckpt"_s, u"it's \"q\""_s};
        changed.setup.clear();
        const QByteArray updated = updateRunConfigText(text, changed);
        QVERIFY2(updated.contains("# remote\n"), updated.constData());
        QVERIFY(updated.contains("remote_dir = \"work/my proj\"\n"));
        QVERIFY(!updated.contains("setup ="));
        const auto again = parseRunConfig(updated);
        QVERIFY2(again.ok(), qPrintable(again.errorMessage()));
        QCOMPARE(again->artifacts, changed.artifacts);
        QCOMPARE(again->setup, QString());
        // Unchanged: the line stays byte for byte, comment included.
        QVERIFY(updateRunConfigText(text, *r).contains("'*.pt', ] # kept\n"));
        // New keys are added.
        RunConfig plain;
        plain.command = u"x"_s;
        RunConfig more = plain;
        more.setup = u"module load cuda"_s;
        more.remoteDir = u"/scratch/x"_s;
        const auto added = parseRunConfig(updateRunConfigText(serializeRunConfig(plain), more));
        QVERIFY(added.ok());
        QCOMPARE(added->setup, more.setup);
        QCOMPARE(added->remoteDir, more.remoteDir);
    }

    void malformedFilesNameTheLine()
    {
        QFETCH(QByteArray, text);
        QFETCH(int, line);
        QFETCH(QString, hint);
        const auto r = parseRunConfig(text);
        QVERIFY(!r.ok());
        const QString message = r.errorMessage();
        QVERIFY2(message.startsWith(u"gpuwb.toml line %1: "_s.arg(line)), qPrintable(message));
        QVERIFY2(message.contains(hint), qPrintable(message));
    }

    void serializeRoundTrips_data()
    {
        QTest::addColumn<RunConfig>("config");
        RunConfig plain;
        plain.command = u"./run.sh"_s;
        QTest::newRow("plain") << plain;
        RunConfig hostile;
        hostile.name = u"it's \"saxpy\" # not a comment 😀"_s;
        hostile.command = u"echo '$(rm -rf /)' \"`id`\" \\ back\\\\slash\nsecond\tline\r\x01\x7f"_s;
        hostile.workdir = u"build dir/'x'"_s;
        hostile.target = u"ssh:gpu-box"_s;
        hostile.env = {{u"A"_s, u"= [env] #"_s}, {u"_B2"_s, QString()}, {u"C"_s, u"'\"\\"_s}};
        hostile.setup = u"source '$(x)' \"a\" # c\nnext"_s;
        hostile.artifacts = {u"out puts/*.png"_s, u"it's, [x]"_s, u"\"q\" ]"_s};
        hostile.remoteDir = u"~/w d/'x'"_s;
        QTest::newRow("hostile") << hostile;
    }

    void serializeRoundTrips()
    {
        QFETCH(RunConfig, config);
        config.origin = u"gpuwb.toml"_s;
        const QByteArray text = serializeRunConfig(config);
        const auto r = parseRunConfig(text);
        QVERIFY2(r.ok(), qPrintable(r.errorMessage() + u"\n"_s + QString::fromUtf8(text)));
        QCOMPARE(r.value(), config);
        QVERIFY(text.startsWith("# GPU Workbench run configuration\n"));
    }

    void saveAndLoad()
    {
        const QString dir = newProject();
        writeFile(dir + u"/CMakeLists.txt"_s, "add_executable(other main.cpp)\n");
        RunConfig c;
        c.name = u"mine"_s;
        c.command = u"make && ./a.out"_s;
        c.env.insert(u"X"_s, u"1"_s);
        c.origin = u"gpuwb.toml"_s;
        QVERIFY(saveRunConfig(dir, c).ok());
        QCOMPARE(QDir(dir).entryList(QDir::Files | QDir::Hidden),
                 (QStringList{u"CMakeLists.txt"_s, u"gpuwb.toml"_s}));
        const auto loaded = loadRunConfig(dir); // the file wins over detection
        QVERIFY2(loaded.ok(), qPrintable(loaded.errorMessage()));
        QCOMPARE(loaded.value(), c);

        writeFile(dir + u"/gpuwb.toml"_s, "comand = \"x\"\n");
        QVERIFY(!loadRunConfig(dir).ok());
        QVERIFY(!saveRunConfig(dir + u"/missing/deeper"_s, c).ok());
    }

    void saveKeepsCommentsAndOrder()
    {
        const QByteArray before = "# Train the small model first.\n"
                                  "command = \"python3 train.py\"  \n"
                                  "name = 'train'   \n"
                                  "\n"
                                  "[env]\n"
                                  "# one GPU is enough\n"
                                  "CUDA_VISIBLE_DEVICES = \"0\"\n"
                                  "OLD = \"gone soon\"\n";
        auto config = parseRunConfig(before);
        QVERIFY2(config.ok(), qPrintable(config.errorMessage()));
        RunConfig c = config.value();
        c.command = u"python3 train.py --epochs 3"_s;
        c.env.remove(u"OLD"_s);
        c.env.insert(u"NEW_KEY"_s, u"$(not run) \"quoted\""_s);
        c.workdir = u"src"_s;
        const QByteArray after = updateRunConfigText(before, c);
        QVERIFY2(after.startsWith("# Train the small model first.\n"
                                  "command = \"python3 train.py --epochs 3\"\n"
                                  "name = 'train'   \n"),
                 after.constData());
        QVERIFY(after.contains("# one GPU is enough\nCUDA_VISIBLE_DEVICES = \"0\"\n"));
        QVERIFY(!after.contains("OLD"));
        QVERIFY(after.indexOf("workdir = \"src\"") < after.indexOf("[env]"));
        QVERIFY(after.indexOf("NEW_KEY") > after.indexOf("[env]"));
        auto reread = parseRunConfig(after);
        QVERIFY2(reread.ok(), qPrintable(reread.errorMessage()));
        c.origin = reread->origin;
        QCOMPARE(reread.value(), c);

        // Through the file: a saved project keeps its comment.
        const QString dir = newProject();
        writeFile(dir + u"/gpuwb.toml"_s, before);
        QVERIFY(saveRunConfig(dir, c).ok());
        QFile saved(dir + u"/gpuwb.toml"_s);
        QVERIFY(saved.open(QIODevice::ReadOnly));
        QCOMPARE(saved.readAll(), after);
    }

    // Found by fuzz/runconfigfuzzer.cpp: files the writers turned into text that no longer said
    // what they were asked to write. Each result must read back as the config written.
    void writersReadBackWhatTheyWrite_data()
    {
        QTest::addColumn<QByteArray>("before");
        QTest::addColumn<QByteArray>("wanted"); // a file saying what `before` is updated to say
        QTest::newRow("new [env] and a new key, no table before")
            << "command = \"x\"\n"_ba << "name = \"n\"\ncommand = \"x\"\n[env]\nB = \"3\"\n"_ba;
        QTest::newRow("[env] written with spaces")
            << "command = \"x\"\n[ env ]\nA = \"1\"\n"_ba
            << "command = \"x\"\n[env]\nA = \"2\"\nC = \"4\"\n"_ba;
        QTest::newRow("quoted key with an escape")
            << "\"comm\\u0061nd\" = \"x\"\n"_ba << "command = \"y\"\nworkdir = \"src\"\n"_ba;
        QTest::newRow("last line ends in a lone CR")
            << "command = \"x\"\r"_ba << "command = \"x\"\nname = \"n\"\n"_ba;
    }

    void writersReadBackWhatTheyWrite()
    {
        QFETCH(QByteArray, before);
        QFETCH(QByteArray, wanted);
        const auto was = parseRunConfig(before);
        QVERIFY2(was.ok(), qPrintable(was.errorMessage()));
        const auto want = parseRunConfig(wanted);
        QVERIFY2(want.ok(), qPrintable(want.errorMessage()));

        const QByteArray updated = updateRunConfigText(before, *want);
        const auto reread = parseRunConfig(updated);
        QVERIFY2(reread.ok(), qPrintable(reread.errorMessage() + u"\n"_s + QString::fromUtf8(updated)));
        QCOMPARE(reread.value(), want.value());
        QCOMPARE(updateRunConfigText(before, *was), before.endsWith('\r') ? before + '\n' : before);

        for (const QString &target : {u"auto"_s, u"ssh:gpu-box"_s}) {
            const QByteArray retargeted = setTargetInText(before, target);
            const auto after = parseRunConfig(retargeted);
            QVERIFY2(after.ok(), qPrintable(after.errorMessage() + u"\n"_s
                                            + QString::fromUtf8(retargeted)));
            RunConfig expected = was.value();
            expected.target = target;
            QCOMPARE(after.value(), expected);
            QCOMPARE(writtenTarget(retargeted), target);
        }
    }

    void targetIsWrittenKeepingEveryOtherByte_data()
    {
        QTest::addColumn<QByteArray>("before");
        QTest::addColumn<QString>("target");
        QTest::addColumn<QByteArray>("after");
        const QByteArray env = "\n# variables\n[env]\nA = \"1\" # one\n";
        QTest::newRow("replaced in place, comment kept")
            << QByteArray("# top\ncommand = './x'\n  target   =   'local'   # where\n" + env)
            << u"ssh:gpu1"_s
            << QByteArray("# top\ncommand = './x'\n  target   =   \"ssh:gpu1\"   # where\n"
                          + env);
        QTest::newRow("a quoted key, basic string with escapes")
            << QByteArray("\"target\" = \"ssh:a\\\"b\"\ncommand = 'y'")
            << u"auto"_s << QByteArray("\"target\" = \"auto\"\ncommand = 'y'");
        QTest::newRow("appended after the last setting, before [env]")
            << QByteArray("command = './x'\nname = 'n'\n" + env) << u"auto"_s
            << QByteArray("command = './x'\nname = 'n'\ntarget = \"auto\"\n" + env);
        QTest::newRow("no final newline stays without one")
            << QByteArray("# c\ncommand = './x'") << u"local"_s
            << QByteArray("# c\ncommand = './x'\ntarget = \"local\"");
        QTest::newRow("trailing comment after the last setting")
            << QByteArray("command = './x'\n# the end, no newline") << u"local"_s
            << QByteArray("command = './x'\ntarget = \"local\"\n# the end, no newline");
        QTest::newRow("CRLF lines and a BOM")
            << QByteArray("\xEF\xBB\xBF" "command = './x'\r\n# c\r\n") << u"auto"_s
            << QByteArray("\xEF\xBB\xBF" "command = './x'\r\ntarget = \"auto\"\r\n# c\r\n");
        QTest::newRow("a target under [env] is a variable, not the key")
            << QByteArray("command = 'x'\n[env]\ntarget = 'keep'\n") << u"auto"_s
            << QByteArray("command = 'x'\ntarget = \"auto\"\n[env]\ntarget = 'keep'\n");
        QTest::newRow("hostile alias is escaped")
            << QByteArray("command = 'x' # \xC3\xA9\n") << u"ssh:a\"b\\c\n$(rm -rf ~)\t'\x7f"_s
            << QByteArray("command = 'x' # \xC3\xA9\n"
                          "target = \"ssh:a\\\"b\\\\c\\n$(rm -rf ~)\\t'\\u007f\"\n");
        QTest::newRow("non-ASCII value replaced, the rest of the line kept")
            << QByteArray("command = 'x'\ntarget = \"ssh:h\xC3\xB6st\" # \xC3\xA9\n")
            << u"ssh:\u00e9t\u00e9"_s
            << QByteArray("command = 'x'\ntarget = \"ssh:\xC3\xA9t\xC3\xA9\" # \xC3\xA9\n");
    }

    void targetIsWrittenKeepingEveryOtherByte()
    {
        QFETCH(QByteArray, before);
        QFETCH(QString, target);
        QFETCH(QByteArray, after);
        const QByteArray written = setTargetInText(before, target);
        QCOMPARE(written, after);
        // Round trip through the reader: the target reads back, nothing else changed.
        const auto was = parseRunConfig(before);
        const auto now = parseRunConfig(written);
        QVERIFY2(was.ok(), qPrintable(was.errorMessage()));
        QVERIFY2(now.ok(), qPrintable(now.errorMessage()));
        QCOMPARE(now->target, target);
        QCOMPARE(writtenTarget(written), target);
        RunConfig expected = was.value();
        expected.target = target;
        QCOMPARE(now.value(), expected);
        // Writing the same target again changes nothing.
        QCOMPARE(setTargetInText(written, target), written);
    }

    void writtenTargetTellsAnExplicitLocalApart()
    {
        QCOMPARE(writtenTarget("command = 'x'\n"), QString());
        QCOMPARE(writtenTarget("command = 'x'\ntarget = 'local'\n"), u"local"_s);
        QCOMPARE(writtenTarget("command = 'x'\n[env]\ntarget = 'ssh:no'\n"), QString());
        QCOMPARE(writtenTarget(""), QString());
    }

    void saveWithTargetKeepsTheFile()
    {
        const QString dir = newProject();
        const QString path = dir + u"/gpuwb.toml"_s;
        const QByteArray before = "# Our GPU box.\n"
                                  "command   = \"python3 train.py\"   # the run\n"
                                  "artifacts = ['*.pt']\n"
                                  "remote_dir = '~/w'\n"
                                  "setup = 'source venv/bin/activate'\n"
                                  "\n[env]\nSEED = '1'";
        writeFile(path, before);
        auto config = loadRunConfig(dir);
        QVERIFY2(config.ok(), qPrintable(config.errorMessage()));

        // Only the target changed: one line is added, every other byte stays.
        RunConfig c = config.value();
        c.target = u"ssh:gpu \"one\""_s;
        QVERIFY(saveRunConfigWithTarget(dir, c).ok());
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray once = file.readAll();
        file.close();
        QCOMPARE(once, setTargetInText(before, c.target));
        QCOMPARE(loadRunConfig(dir).value(), c);

        // "local" is written out too: the project's default for everyone, not "no target".
        c.target = u"local"_s;
        QVERIFY(saveRunConfigWithTarget(dir, c).ok());
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray local = file.readAll();
        file.close();
        QCOMPARE(local, setTargetInText(before, u"local"_s));
        QCOMPARE(writtenTarget(local), u"local"_s);

        // Other changes go through updateRunConfigText, then the target is set again.
        c.command = u"python3 train.py --fast"_s;
        c.target = u"auto"_s;
        QVERIFY(saveRunConfigWithTarget(dir, c).ok());
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray changed = file.readAll();
        file.close();
        QVERIFY2(changed.startsWith("# Our GPU box.\ncommand = \"python3 train.py --fast\"\n"
                                    "artifacts = ['*.pt']\n"),
                 changed.constData());
        QVERIFY(changed.contains("target = \"auto\"\n\n[env]"));
        QCOMPARE(loadRunConfig(dir).value(), c);

        // No file yet: a new one, with the target.
        const QString fresh = newProject();
        RunConfig n;
        n.command = u"./run.sh"_s;
        n.origin = u"gpuwb.toml"_s;
        QVERIFY(saveRunConfigWithTarget(fresh, n).ok());
        QFile made(fresh + u"/gpuwb.toml"_s);
        QVERIFY(made.open(QIODevice::ReadOnly));
        QCOMPARE(writtenTarget(made.readAll()), u"local"_s);
        QCOMPARE(loadRunConfig(fresh).value(), n);
    }

    void detectsCMake()
    {
        const QString dir = newProject();
        writeFile(dir + u"/CMakeLists.txt"_s,
                  "cmake_minimum_required(VERSION 3.20)\n"
                  "project(Saxpy LANGUAGES CXX CUDA)\n"
                  "# add_executable(commented main.cpp)\n"
                  "add_executable(tool IMPORTED)\n"
                  "ADD_EXECUTABLE ( ${PROJECT_NAME}\n   main.cu\n)\n"
                  "add_executable(second second.cu)\n");
        const auto r = loadRunConfig(dir);
        QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
        QCOMPARE(r->command, u"cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && "
                             "cmake --build build -j && ./build/Saxpy"_s);
        QCOMPARE(r->origin, u"detected CMakeLists.txt"_s);
        QCOMPARE(r->workdir, u"."_s);

        writeFile(dir + u"/CMakeLists.txt"_s, "add_executable(\"my app\" main.cpp)\n");
        QCOMPARE(loadRunConfig(dir)->command.section(u" && "_s, 2), u"'./build/my app'"_s);
        writeFile(dir + u"/CMakeLists.txt"_s, "add_library(x x.cpp)\n");
        QCOMPARE(loadRunConfig(dir)->command,
                 u"cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j"_s);
    }

    void detectsASingleCudaFile()
    {
        const QString dir = newProject();
        writeFile(dir + u"/it's a kernel.cu"_s, "__global__ void k() {}\n");
        writeFile(dir + u"/README.md"_s, "hello\n");
        const auto r = loadRunConfig(dir);
        QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
        QCOMPARE(r->command, u"nvcc -O2 -o 'it'\\''s a kernel' 'it'\\''s a kernel.cu' && "
                             "'./it'\\''s a kernel'"_s);
        QCOMPARE(r->name, u"it's a kernel"_s);

        // The quoted names reach the programs unchanged: run the line with stand-ins.
        const QString fake = dir + u"/bin"_s;
        writeFile(fake + u"/nvcc"_s, "#!/bin/sh\nprintf '%s\\n' \"$@\" > nvcc.args\n"
                                     "printf '#!/bin/sh\\necho ran\\n' > \"$3\"\nchmod +x \"$3\"\n");
        QFile::setPermissions(fake + u"/nvcc"_s, QFileDevice::ReadOwner | QFileDevice::ExeOwner);
        QProcess sh;
        sh.setWorkingDirectory(dir);
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert(u"PATH"_s, fake + u":"_s + env.value(u"PATH"_s));
        sh.setProcessEnvironment(env);
        sh.start(u"/bin/sh"_s, {u"-c"_s, r->command});
        QVERIFY(sh.waitForFinished(30000));
        QCOMPARE(sh.readAllStandardOutput(), "ran\n"_ba);
        QFile args(dir + u"/nvcc.args"_s);
        QVERIFY(args.open(QIODevice::ReadOnly));
        QCOMPARE(args.readAll(), "-O2\n-o\nit's a kernel\nit's a kernel.cu\n"_ba);

        writeFile(dir + u"/second.cu"_s, "\n");
        const auto two = loadRunConfig(dir);
        QVERIFY(!two.ok());
        QVERIFY2(two.errorMessage().contains(u"2 .cu files"_s), qPrintable(two.errorMessage()));
        QVERIFY(two.errorMessage().contains(u"gpuwb.toml"_s));
    }

    void optionLikeFileNamesAreNotOptions()
    {
        const QString dir = newProject();
        writeFile(dir + u"/-rf.cu"_s, "\n");
        QCOMPARE(loadRunConfig(dir)->command, u"nvcc -O2 -o ./-rf ./-rf.cu && ./-rf"_s);
    }

    void detectsPython()
    {
        const QString dir = newProject();
        writeFile(dir + u"/train.py"_s, "print('hi')\n");
        auto r = loadRunConfig(dir);
        QVERIFY(r.ok());
        QCOMPARE(r->command, u"python3 -u train.py"_s);
        QCOMPARE(r->env.value(u"PYTHONUNBUFFERED"_s), u"1"_s);
        QCOMPARE(r->origin, u"detected train.py"_s);
        writeFile(dir + u"/main.py"_s, "print('hi')\n");
        QCOMPARE(loadRunConfig(dir)->command, u"python3 -u main.py"_s);
    }

    void nothingToRunSaysWhatToDo()
    {
        const QString dir = newProject();
        writeFile(dir + u"/notes.txt"_s, "x\n");
        const auto r = loadRunConfig(dir);
        QVERIFY(!r.ok());
        QVERIFY2(r.errorMessage().contains(u"Create gpuwb.toml"_s), qPrintable(r.errorMessage()));
        QVERIFY(!loadRunConfig(m_root.filePath(u"does not exist"_s)).ok());
    }

    void toJobSpecResolvesTheWorkingDirectory()
    {
        RunConfig c;
        c.command = u"./run.sh"_s;
        c.workdir = u"build/../out"_s;
        c.env.insert(u"X"_s, u"1"_s);
        const JobSpec s = toJobSpec(c, u"/home/me/proj/"_s);
        QCOMPARE(s.workingDirectory, u"/home/me/proj/out"_s);
        QCOMPARE(s.projectDirectory, u"/home/me/proj"_s);
        QCOMPARE(s.name, u"proj"_s);
        QCOMPARE(s.command, c.command);
        QCOMPARE(s.environment, c.env);
        QCOMPARE(s.targetId, u"local"_s);
        c.workdir = u"/abs/dir"_s;
        c.name = u"named"_s;
        QCOMPARE(toJobSpec(c, u"/home/me/proj"_s).workingDirectory, u"/abs/dir"_s);
        QCOMPARE(toJobSpec(c, u"/home/me/proj"_s).name, u"named"_s);
    }
};

QTEST_GUILESS_MAIN(TestRunConfig)
#include "tst_runconfig.moc"
