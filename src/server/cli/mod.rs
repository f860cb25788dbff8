//! The command line of the server binary.

pub mod db;
pub mod import;
pub mod oidc;
pub mod support;

use super::ServerError;

const USAGE: &str = "\
asiointi — the e-services login

USAGE:
  asiointi [serve]                     run the web server (settings: Leptos.toml and environment)
  asiointi import-legacy --users users.csv [--history history.csv] [--dry-run]
                                       carry the old system's accounts (no password) and history
                                       over; one transaction; --dry-run reports and changes nothing
                                       users.csv: legacy_username,email,full_name[,phone,language]
                                       history.csv: legacy_username,date,service,reference,status
                                       [,description]; `,` or `;`, UTF-8 or Windows-1252
  asiointi support find <e-mail | old username | part of a name>
                                       matching accounts and their state
  asiointi support send-link <e-mail>  mail a fresh set-password link
  asiointi support set-email <account> <e-mail>
                                       attach or change an address (account: number, address
                                       or old username) and mail a set-password link to it
  asiointi support audit <account>     the account's security events, newest first
  asiointi support end-sessions <account>
                                       log the account out on every device
  asiointi clients add --id ID --name NAME --redirect-uri URI [--redirect-uri URI...]
                       [--post-logout-redirect-uri URI] [--backchannel-logout-uri URI]
                       [--public] [--first-party] [--pairwise]
                                       register an e-service for login (OpenID Connect); a
                                       confidential client's secret is printed once, as
                                       client_secret=<secret>
  asiointi clients list                the registered e-services
  asiointi clients remove <id>         remove one, with everything issued to it
  asiointi clients rotate-secret <id>  a new secret for a confidential client (printed once)
  asiointi keys rotate                 a new id_token signing key; the old one stays published
                                       for a day
  asiointi db copy --from URL --to URL copy every row of one database into a new, empty one
                                       (e.g. sqlite://asiointi.db to postgres://…), in one
                                       transaction; prints the rows per table. Stop the service
                                       first: what it writes meanwhile is not copied
  asiointi hashing-rate [--seconds N]  password hashes per second on this machine, every core
                                       hashing (N seconds, default 5): the bound of the logins
                                       per second one instance can check
  asiointi help                        show this text
";

/// Who runs a command-line action, for the audit trail: the login behind `sudo`, or the
/// current user.
pub fn operator() -> String {
    ["SUDO_USER", "USER", "LOGNAME"]
        .iter()
        .find_map(|key| std::env::var(key).ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Runs the command named by `args` (without the program name).
pub async fn run(args: &[String]) -> Result<(), ServerError> {
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] | ["serve"] => super::http::serve().await,
        ["import-legacy", ..] => import::run(&args[1..]).await,
        ["support", ..] => support::run(&args[1..]).await,
        ["clients", ..] => oidc::clients(&args[1..]).await,
        ["keys", ..] => oidc::keys(&args[1..]).await,
        ["db", ..] => db::run(&args[1..]).await,
        ["hashing-rate"] => hashing_rate(5),
        ["hashing-rate", "--seconds", seconds] => match seconds.parse() {
            Ok(seconds) if seconds > 0 => hashing_rate(seconds),
            _ => Err(ServerError::Config(format!(
                "--seconds takes a whole number of seconds, not {seconds:?}"
            ))),
        },
        ["help" | "--help" | "-h"] => {
            print!("{USAGE}");
            Ok(())
        }
        _ => Err(ServerError::Config(format!(
            "unknown command line {args:?}\n\n{USAGE}"
        ))),
    }
}

/// Prints the argon2id hashes per second of all cores together, with the service's parameters
/// and its way of hashing (each thread in its own kept memory).
fn hashing_rate(seconds: u64) -> Result<(), ServerError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let duration = std::time::Duration::from_secs(seconds);
    let rate = super::auth::argon2id::hashes_per_second(threads, duration)?;
    println!("hashes_per_second={rate:.1} threads={threads} seconds={seconds}");
    Ok(())
}
