//! The command line of the server binary.

pub mod import;

use super::ServerError;

const USAGE: &str = "\
asiointi — the e-services login

USAGE:
  asiointi [serve]                     run the web server (settings: Leptos.toml and environment)
  asiointi import-legacy <users.csv>   create accounts carried over from the old system
                                       (columns legacy_username,email,full_name; no password)
  asiointi help                        show this text
";

/// Runs the command named by `args` (without the program name).
pub async fn run(args: &[String]) -> Result<(), ServerError> {
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] | ["serve"] => super::http::serve().await,
        ["import-legacy", path] => import::run(path).await,
        ["help" | "--help" | "-h"] => {
            print!("{USAGE}");
            Ok(())
        }
        _ => Err(ServerError::Config(format!(
            "unknown command line {args:?}\n\n{USAGE}"
        ))),
    }
}
