// gpuwb-gpu-telemetry-agreement [--load PROGRAM] [--seconds N]: checks that NVML, read through
// the workbench's Qt-free loader (core/gpu/nvml), and nvidia-smi agree on every GPU while
// PROGRAM (gpuwb-gpu-load) keeps GPU 0 busy: memory.used within 2 %, utilisation both above
// 50 % or within 15 points, temperature within 3 C, power within 10 %. Each of five rounds
// reads NVML, then nvidia-smi, then NVML again; nvidia-smi agrees when it is within tolerance
// of either NVML reading (the values move while they are read). A metric passes when it agrees
// in at least three rounds. Exit 0 pass, 1 disagreement, 77 skipped (no driver, no GPU, no
// nvidia-smi). Plain C++17: it runs on GPU machines without Qt.

#include "nvmlloader.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kSkip = 77;
constexpr int kRounds = 5;
constexpr int kRoundsToAgree = 3;
constexpr double kMiB = 1024.0 * 1024.0;

struct SmiRow
{
    std::optional<double> utilization, memoryMiB, temperature, powerW;
};

std::optional<double> number(const std::string &field)
{
    const char *begin = field.c_str();
    while (*begin == ' ')
        ++begin;
    char *end = nullptr;
    const double v = std::strtod(begin, &end);
    if (end == begin)
        return std::nullopt; // [N/A], [Not Supported], ...
    return v;
}

std::string trim(const std::string &s)
{
    const size_t b = s.find_first_not_of(" \t\r\n");
    const size_t e = s.find_last_not_of(" \t\r\n");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// nvidia-smi on PATH, or where drivers in containers and VMs put it.
std::string findNvidiaSmi()
{
    if (const char *env = std::getenv("GPUWB_NVIDIA_SMI"); env && *env)
        return env;
    std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
    path += ":/usr/local/nvidia/bin:/usr/bin:/bin";
    std::stringstream dirs(path);
    for (std::string dir; std::getline(dirs, dir, ':');) {
        const std::string candidate = (dir.empty() ? "." : dir) + "/nvidia-smi";
        if (access(candidate.c_str(), X_OK) == 0)
            return candidate;
    }
    return {};
}

// One `nvidia-smi --query-gpu=index,utilization.gpu,memory.used,temperature.gpu,power.draw
// --format=csv,noheader,nounits`, by GPU index; empty with `error` set when it failed.
std::map<unsigned, SmiRow> querySmi(const std::string &smi, std::string *error)
{
    std::map<unsigned, SmiRow> rows;
    const std::string command = "'" + smi
        + "' --query-gpu=index,utilization.gpu,memory.used,temperature.gpu,power.draw"
          " --format=csv,noheader,nounits 2>&1";
    FILE *pipe = popen(command.c_str(), "r");
    if (!pipe) {
        *error = "could not run " + smi;
        return rows;
    }
    std::string output;
    char buffer[4096];
    while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe))
        output.append(buffer, n);
    const int status = pclose(pipe);
    if (status != 0) {
        *error = smi + " failed (status " + std::to_string(status) + "): " + trim(output);
        return {};
    }
    std::stringstream lines(output);
    for (std::string line; std::getline(lines, line);) {
        std::vector<std::string> fields;
        std::stringstream cells(line);
        for (std::string cell; std::getline(cells, cell, ',');)
            fields.push_back(trim(cell));
        if (fields.size() != 5 || !number(fields[0]))
            continue;
        rows[unsigned(*number(fields[0]))] =
            SmiRow{number(fields[1]), number(fields[2]), number(fields[3]), number(fields[4])};
    }
    if (rows.empty())
        *error = "no GPU row in nvidia-smi's output: " + trim(output);
    return rows;
}

// The load program in the background; stopped (SIGTERM, then waited for) on destruction.
class Load
{
public:
    bool start(const std::string &program, double seconds, std::string *note)
    {
        int fds[2];
        if (pipe(fds) != 0)
            return false;
        m_pid = fork();
        if (m_pid == 0) {
            dup2(fds[1], STDOUT_FILENO);
            dup2(fds[1], STDERR_FILENO);
            close(fds[0]);
            close(fds[1]);
            const std::string s = std::to_string(seconds);
            execl(program.c_str(), program.c_str(), s.c_str(), "1024",
                  static_cast<char *>(nullptr));
            _exit(127);
        }
        close(fds[1]);
        if (m_pid < 0) {
            close(fds[0]);
            return false;
        }
        // Wait for "ready" (memory allocated, first kernel done) for up to 60 s.
        std::string said;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (said.find("ready") == std::string::npos
               && std::chrono::steady_clock::now() < deadline) {
            pollfd p{fds[0], POLLIN, 0};
            if (poll(&p, 1, 500) <= 0)
                continue;
            char buffer[256];
            const ssize_t n = read(fds[0], buffer, sizeof buffer);
            if (n <= 0)
                break;
            said.append(buffer, size_t(n));
        }
        close(fds[0]);
        *note = trim(said);
        return said.find("ready") != std::string::npos;
    }

    ~Load()
    {
        if (m_pid <= 0)
            return;
        int status = 0;
        if (waitpid(m_pid, &status, WNOHANG) == 0) {
            kill(m_pid, SIGTERM);
            waitpid(m_pid, &status, 0);
        }
    }

private:
    pid_t m_pid = -1;
};

struct Tally
{
    int agreed = 0;
    int compared = 0;
    std::string last;
};

bool within(double a, double b, double tolerance)
{
    return std::fabs(a - b) <= tolerance;
}

} // namespace

int main(int argc, char **argv)
{
    std::string loadProgram;
    double seconds = 14;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--load" && i + 1 < argc) {
            loadProgram = argv[++i];
        } else if (arg == "--seconds" && i + 1 < argc) {
            seconds = std::atof(argv[++i]);
        } else {
            std::fprintf(stderr, "usage: %s [--load PROGRAM] [--seconds N]\n", argv[0]);
            return 2;
        }
    }
    // CUDA's device 0 is then NVML's and nvidia-smi's GPU 0 (both count in PCI bus order).
    setenv("CUDA_DEVICE_ORDER", "PCI_BUS_ID", 1);

    gpuwb::NvmlLoader nvml;
    if (!nvml.open()) {
        std::printf("SKIP: %s\n", nvml.error().c_str());
        return kSkip;
    }
    const std::optional<unsigned> count = nvml.deviceCount();
    if (!count || *count == 0) {
        std::printf("SKIP: NVML reports no GPU (%s)\n", nvml.error().c_str());
        return kSkip;
    }
    const std::string smi = findNvidiaSmi();
    if (smi.empty()) {
        std::printf("SKIP: NVML works but nvidia-smi is not on PATH\n");
        return kSkip;
    }
    std::printf("NVML %s, driver %s, %u GPU(s); nvidia-smi at %s\n", nvml.nvmlVersion().c_str(),
                nvml.driverVersion().c_str(), *count, smi.c_str());

    Load load;
    bool loaded = false;
    if (!loadProgram.empty() && access(loadProgram.c_str(), X_OK) == 0) {
        std::string note;
        loaded = load.start(loadProgram, seconds, &note);
        std::printf("load: %s\n", note.empty() ? "(no output)" : note.c_str());
        if (!loaded) {
            std::printf("FAIL: the load program did not start on a machine with a GPU\n");
            return 1;
        }
        // Utilisation and power are averages over the last second or so.
        std::this_thread::sleep_for(std::chrono::seconds(3));
    } else {
        std::printf("no load program (kernels built without CUDA): comparing the idle GPUs\n");
    }

    std::map<std::string, Tally> tallies; // "GPU n metric"
    std::string smiError;
    for (int round = 0; round < kRounds; ++round) {
        const std::vector<gpuwb::NvmlDeviceReading> before = nvml.readAll();
        const std::map<unsigned, SmiRow> rows = querySmi(smi, &smiError);
        const std::vector<gpuwb::NvmlDeviceReading> after = nvml.readAll();
        if (rows.empty()) {
            std::printf("FAIL: %s\n", smiError.c_str());
            return 1;
        }
        for (size_t g = 0; g < before.size() && g < after.size(); ++g) {
            const unsigned index = before[g].index;
            const auto row = rows.find(index);
            const std::string gpu = "GPU " + std::to_string(index) + " ";
            if (row == rows.end()) {
                tallies[gpu + "row"].compared++;
                tallies[gpu + "row"].last = "nvidia-smi has no row for this GPU";
                continue;
            }
            const SmiRow &s = row->second;
            // metric: nvidia-smi's value, NVML's two readings in the same unit, the test.
            auto compare = [&](const std::string &name, std::optional<double> smiValue,
                               std::optional<double> a, std::optional<double> b, auto agrees) {
                Tally &t = tallies[gpu + name];
                if (!smiValue && !a && !b)
                    return; // absent in both: nothing to compare (MIG, no sensor)
                t.compared++;
                char text[160];
                std::snprintf(text, sizeof text, "nvidia-smi %s, NVML %s / %s",
                              smiValue ? std::to_string(*smiValue).c_str() : "n/a",
                              a ? std::to_string(*a).c_str() : "n/a",
                              b ? std::to_string(*b).c_str() : "n/a");
                t.last = text;
                if (smiValue && ((a && agrees(*smiValue, *a)) || (b && agrees(*smiValue, *b))))
                    t.agreed++;
            };
            auto mib = [](const std::optional<unsigned long long> &bytes) {
                return bytes ? std::optional<double>(double(*bytes) / kMiB) : std::nullopt;
            };
            auto plain = [](const std::optional<unsigned> &v) {
                return v ? std::optional<double>(double(*v)) : std::nullopt;
            };
            auto watts = [](const std::optional<unsigned> &mw) {
                return mw ? std::optional<double>(*mw / 1000.0) : std::nullopt;
            };
            compare("memory.used MiB", s.memoryMiB, mib(before[g].memoryUsedBytes),
                    mib(after[g].memoryUsedBytes), [](double x, double y) {
                        // 2 %, and at least the MiB nvidia-smi rounds to.
                        return within(x, y, std::max(1.0, 0.02 * std::max(x, y)));
                    });
            compare("utilization %", s.utilization, plain(before[g].utilizationGpuPercent),
                    plain(after[g].utilizationGpuPercent),
                    [](double x, double y) { return (x > 50 && y > 50) || within(x, y, 15); });
            compare("temperature C", s.temperature, plain(before[g].temperatureCelsius),
                    plain(after[g].temperatureCelsius),
                    [](double x, double y) { return within(x, y, 3); });
            compare("power W", s.powerW, watts(before[g].powerMilliwatts),
                    watts(after[g].powerMilliwatts), [](double x, double y) {
                        return within(x, y, std::max(0.5, 0.10 * std::max(x, y)));
                    });
            if (loaded && index == 0 && round == 0 && before[g].utilizationGpuPercent
                && *before[g].utilizationGpuPercent < 50)
                std::printf("note: GPU 0 reads %u %% busy under load\n",
                            *before[g].utilizationGpuPercent);
        }
        std::this_thread::sleep_for(std::chrono::seconds(1));
    }

    int failures = 0;
    for (const auto &[name, t] : tallies) {
        const bool ok = t.agreed >= std::min(kRoundsToAgree, t.compared) && t.compared > 0;
        std::printf("%-4s %-28s agreed %d of %d rounds; last: %s\n", ok ? "ok" : "FAIL",
                    name.c_str(), t.agreed, t.compared, t.last.c_str());
        failures += ok ? 0 : 1;
    }
    std::printf("%s\n", failures == 0 ? "NVML and nvidia-smi agree"
                                      : "NVML and nvidia-smi disagree (see FAIL above)");
    return failures == 0 ? 0 : 1;
}
