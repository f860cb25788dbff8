//! The `asiointi` server binary: a thin command line over the library.

/// mimalloc instead of glibc's malloc: page rendering allocates many small, short-lived
/// objects, which glibc's allocator made about 40 % of the work, and glibc held on to the
/// memory a login flood freed (issue #12, docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
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
