//! `tcplink`: the command-line client of the tcplink library. See `tcplink --help` and
//! `cli/README.md`.

mod args;
mod batch;
mod commands;
mod endpoint;
mod escapes;
mod exit;
mod input;
mod opi_json;
mod output;
mod password;
mod progress;
mod proxy_url;
mod render;
mod server;
mod starttls;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use crate::args::{Cli, Command};

fn main() -> ExitCode {
    let mut command = Cli::command();
    let names: Vec<String> = command
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    for name in names {
        command = command.mut_subcommand(name, with_exit_codes);
    }
    let command = with_exit_codes(command);
    let cli = match Cli::from_arg_matches(&command.get_matches()) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let result = match &cli.command {
        Command::Request(args) => commands::request::run(args),
        Command::Connect(args) => commands::connect::run(args),
        Command::Pin(args) => commands::pin::run(args),
        Command::Serve(args) => commands::serve::run(args),
        Command::Demo => commands::demo::run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tcplink: {e}");
            ExitCode::from(exit::code(&e))
        }
    }
}

/// Adds the exit code table to a command's `--help` (and a pointer to it to `-h`).
fn with_exit_codes(command: clap::Command) -> clap::Command {
    command
        .after_long_help(exit::help())
        .after_help("Exit codes: see --help.")
}
