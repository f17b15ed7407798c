#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace recsys::cli {

// Each stage adds its subcommands to the program; one file per stage under cli/.
void add_data_commands(CLI::App& app);      // recsys data ...
void add_train_command(CLI::App& app);      // recsys train
void add_evaluate_command(CLI::App& app);   // recsys evaluate
void add_tracking_commands(CLI::App& app);  // recsys register, recsys models ...
void add_db_commands(CLI::App& app);        // recsys db ..., recsys publish
void add_serve_command(CLI::App& app);      // recsys serve

// Adds --invalid-lines (reject or skip) to a command that reads data, storing it in `policy`.
void add_invalid_lines_option(CLI::App& command, std::string& policy);

}  // namespace recsys::cli
