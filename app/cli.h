#pragma once

namespace gpuwb {

// Runs a headless subcommand (`run`, `attach`, `jobs`, `gpus`, `ls`, `cp`) and returns the
// process exit code.
int runCli(int argc, char **argv);

} // namespace gpuwb
