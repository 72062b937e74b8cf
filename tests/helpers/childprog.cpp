// A purpose-built child program for job tests (principle 12). The first argument picks a mode:
//   lines N [stderr-every K]   prints "line <i>" for i = 1..N, every K-th one on stderr
//   exit CODE                  exits with CODE
//   sleep MS                   sleeps, then exits 0
//   tree N [escape]            forks N grandchildren that sleep forever, prints "pid <pid>" for
//                              each, then sleeps forever; with "escape" each grandchild calls
//                              setsid() first, leaving the process group
//   progress N                 "progress i/N" redrawn with '\r', then "done"
//   ansi                       a few coloured lines
//   env NAME                   prints the variable's value, or "<unset>"
//   pwd                        prints the working directory
//   ignore-term                ignores SIGTERM, prints "ready", sleeps forever
//   args ARG...                prints each argument as hex bytes, one a line
//   bytes HEX                  writes the bytes, unchanged, to stdout
//   signal N                   kills itself with signal N
#include <QByteArray>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

static void sleepForever()
{
    for (;;)
        pause();
}

static int usage()
{
    std::fputs("usage: gpuwb-childprog MODE [ARGS]\n", stderr);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const QByteArray mode = argv[1];
    const auto arg = [&](int i) { return i < argc ? QByteArray(argv[i]) : QByteArray(); };

    if (mode == "lines") {
        const long long n = arg(2).toLongLong();
        long long every = 0;
        if (arg(3) == "stderr-every")
            every = arg(4).toLongLong();
        static char outBuf[1 << 16];
        static char errBuf[1 << 16];
        std::setvbuf(stdout, outBuf, _IOFBF, sizeof outBuf);
        std::setvbuf(stderr, errBuf, _IOFBF, sizeof errBuf);
        for (long long i = 1; i <= n; ++i)
            std::fprintf((every > 0 && i % every == 0) ? stderr : stdout, "line %lld\n", i);
        std::fflush(stdout);
        std::fflush(stderr);
        return 0;
    }
    if (mode == "exit")
        return arg(2).toInt();
    if (mode == "sleep") {
        usleep(useconds_t(arg(2).toLongLong() * 1000));
        return 0;
    }
    if (mode == "tree") {
        const int n = arg(2).toInt();
        const bool escape = arg(3) == "escape";
        for (int i = 0; i < n; ++i) {
            const pid_t pid = fork();
            if (pid == 0) {
                if (escape)
                    setsid();
                sleepForever();
            }
            if (pid < 0) {
                std::perror("fork");
                return 1;
            }
            std::printf("pid %d\n", int(pid));
        }
        std::fflush(stdout);
        sleepForever();
    }
    if (mode == "progress") {
        const int n = arg(2).toInt();
        for (int i = 1; i <= n; ++i)
            std::printf("\rprogress %d/%d", i, n);
        std::printf("\ndone\n");
        return 0;
    }
    if (mode == "ansi") {
        std::printf("\x1b[31mred\x1b[0m plain \x1b[1;32mbold green\x1b[0m\n");
        std::printf("\x1b[38;5;208mindexed\x1b[39m \x1b[48;2;1;2;3mrgb bg\x1b[0m\n");
        return 0;
    }
    if (mode == "env") {
        const char *v = std::getenv(arg(2).constData());
        std::printf("%s\n", v ? v : "<unset>");
        return 0;
    }
    if (mode == "pwd") {
        char buf[4096];
        if (!getcwd(buf, sizeof buf))
            return 1;
        std::printf("%s\n", buf);
        return 0;
    }
    if (mode == "ignore-term") {
        std::signal(SIGTERM, SIG_IGN);
        std::printf("ready\n");
        std::fflush(stdout);
        sleepForever();
    }
    if (mode == "args") {
        for (int i = 2; i < argc; ++i)
            std::printf("%s\n", QByteArray(argv[i]).toHex().constData());
        return 0;
    }
    if (mode == "bytes") {
        const QByteArray bytes = QByteArray::fromHex(arg(2));
        std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stdout);
        return 0;
    }
    if (mode == "signal") {
        std::signal(arg(2).toInt(), SIG_DFL);
        raise(arg(2).toInt());
        return 1;
    }
    return usage();
}
