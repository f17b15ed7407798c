#include "cli/commands.hpp"

namespace recsys::cli {

// TODO: placeholder until the stage's subcommands are written.
void add_serve_command(CLI::App& /*app*/) {}

}  // namespace recsys::cli
