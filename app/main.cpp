// gpuwb: with no subcommand the GUI; `gpuwb run DIR` and `gpuwb gpus` run headless on the same
// core. This file parses arguments and wires objects together, nothing else.

#include "app/cli.h"
#include "app/firstpaint.h"
#include "app/singleinstance.h"
#include "core/util/datapaths.h"
#include "ui/mainwindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QTimer>

#include <cstdio>

using namespace Qt::StringLiterals;

static bool isSubcommand(const char *arg)
{
    const QByteArray a(arg);
    return a == "run" || a == "gpus" || a == "ls" || a == "cp" || a == "attach" || a == "jobs";
}

static int runGui(int argc, char **argv)
{
    QApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(
        u"GPU Workbench: edit a project, run it on a GPU, watch the GPUs.\n\n"
        "Subcommands (headless):\n"
        "  gpuwb run [--target HOST] DIR    run DIR's configuration, stream its output\n"
        "  gpuwb attach JOBID               follow a remote job again\n"
        "  gpuwb jobs                       list the job history\n"
        "  gpuwb gpus [HOST] [--watch]      the NVIDIA GPUs here (or on HOST): one sample,\n"
        "      [--interval SECONDS]         or a new one per interval with --watch\n"
        "  gpuwb ls [-l] HOST:PATH          list a folder on an SSH host\n"
        "  gpuwb cp [-r] SRC DST            copy to or from an SSH host (HOST:PATH)"_s);
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption screenshot(u"screenshot"_s,
        u"Render the main window to a PNG file and exit (works without a display)."_s,
        u"file"_s);
    parser.addOption(screenshot);
    parser.addPositionalArgument(u"project"_s, u"The project folder to open."_s, u"[project]"_s);
    parser.process(app);

    const QStringList args = parser.positionalArguments();
    const QString project = args.isEmpty() ? QString() : QDir(args.first()).absolutePath();
    gpuwb::SingleInstance instance(gpuwb::dataPaths().directory);
    if (!parser.isSet(screenshot)) {
        if (instance.handOver(project)) {
            std::fprintf(stderr, "gpuwb: GPU Workbench is already running; its window was "
                                 "raised%s\n",
                         project.isEmpty() ? "" : " with the project");
            return 0;
        }
        if (!instance.listen())
            std::fprintf(stderr, "gpuwb: warning: a second start will open a second window\n");
    }

    gpuwb::MainWindow window;
    if (!args.isEmpty())
        window.openProject(QDir(args.first()).absolutePath());
    else
        window.openLastProject();

    if (parser.isSet(screenshot)) {
        const QString path = parser.value(screenshot);
        window.resize(1400, 900);
        window.show();
        // Give the asynchronous loads (tree listing, first GPU sample) a moment to land.
        QTimer::singleShot(1500, &window, [&window, path] {
            const bool saved = window.grab().save(path);
            if (!saved)
                std::fprintf(stderr, "gpuwb: could not write %s\n", qPrintable(path));
            QApplication::exit(saved ? 0 : 1);
        });
        return app.exec();
    }
    QObject::connect(&instance, &gpuwb::SingleInstance::activated, &window,
                     [&window](const QString &asked) {
                         if (!asked.isEmpty())
                             window.openProject(asked);
                         window.showNormal();
                         window.raise();
                         window.activateWindow();
                         std::fprintf(stderr, "gpuwb: raised by a second start%s%s\n",
                                      asked.isEmpty() ? "" : ": ", qPrintable(asked));
                     });
    FirstPaintReporter::installIfAsked(&window);
    window.show();
    return app.exec();
}

int main(int argc, char **argv)
{
    QCoreApplication::setApplicationName(u"gpuwb"_s);
    QCoreApplication::setApplicationVersion(u"0.1.0"_s);
    QCoreApplication::setOrganizationName(u"gpuwb"_s);
    if (argc > 1 && isSubcommand(argv[1]))
        return gpuwb::runCli(argc, argv);
    return runGui(argc, argv);
}
