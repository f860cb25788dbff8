//! The `asiointi` server binary: a thin command line over the library.

/// mimalloc instead of glibc's malloc: page rendering allocates many small, short-lived
/// objects, which glibc's allocator made about 40 % of the work, and glibc held on to the
/// memory a login flood freed (issue #12, docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's options. It reads them from the environment once, as the process starts and
/// before `main` runs, so the binary starts itself again with them set (`exec`: the same
/// process id, arguments and open files). `MIMALLOC_ARENA_EAGER_COMMIT=0`: commit arena memory
/// as it is used, not all at once. With mimalloc's default the server held 31 MB idle and
/// 113–117 MB after a login flood; with it about 18 MB and under 85 MB, at the same speed
/// (docs/performance.md). A value the operator set is kept.
mod allocator {
    use std::os::unix::process::CommandExt;

    const OPTIONS: [(&str, &str); 1] = [("MIMALLOC_ARENA_EAGER_COMMIT", "0")];

    /// Returns only when the options are already set, or when starting again failed (then the
    /// server runs with mimalloc's defaults, and says so).
    pub fn restart_with_options() {
        let missing: Vec<_> = OPTIONS
            .iter()
            .filter(|(name, _)| std::env::var_os(name).is_none())
            .collect();
        if missing.is_empty() {
            return;
        }
        let mut args = std::env::args_os();
        let mut command = std::process::Command::new("/proc/self/exe");
        if let Some(arg0) = args.next() {
            command.arg0(arg0);
        }
        command.args(args);
        for (name, value) in missing {
            command.env(name, value);
        }
        let error = command.exec();
        eprintln!("asiointi: could not start again with mimalloc's options ({error})");
    }
}

fn main() -> std::process::ExitCode {
    allocator::restart_with_options();
    run()
}

#[tokio::main]
async fn run() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info")
            }),
        )
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match asiointi::server::cli::run(&args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("asiointi: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
