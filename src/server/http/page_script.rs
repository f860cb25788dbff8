//! The pages' navigation script (`src/page_script.js`), served as a file of its own rather than
//! inline in every page: the browser fetches it once and keeps it, and each page is 7 KB
//! smaller. Its name carries a hash of its content, so caches may keep it for good
//! (`immutable`) and a release that changes it is fetched anew under its new name. It is sent
//! as it is, 7.5 KB: the server compresses nothing at run time, and the build's precompressed
//! copies are of cargo-leptos's own files only.

use axum::http::header;
use axum::response::IntoResponse;
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

const SCRIPT: &str = include_str!("../../page_script.js");

/// How long a browser or proxy may keep the script, in seconds: a year, the longest that
/// caches honour. The name changes with the content, so a kept copy is never stale.
const CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// Where the script is served: `/pkg/page-<the first 16 hex digits of its SHA-256>.js`. Every
/// instance running the same release serves it under the same name.
pub static PATH: LazyLock<String> = LazyLock::new(|| path_of(SCRIPT));

fn path_of(script: &str) -> String {
    let digest = Sha256::digest(script.as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("/pkg/page-{hex}.js")
}

/// The script, at [`PATH`].
pub async fn serve() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE_CONTROL),
        ],
        SCRIPT,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_follows_the_content() {
        let name = PATH
            .trim_start_matches("/pkg/page-")
            .trim_end_matches(".js");
        assert_eq!(name.len(), 16);
        assert!(name.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(*PATH, path_of(SCRIPT), "the same release, the same name");
        assert_ne!(
            *PATH,
            path_of(&format!("{SCRIPT} ")),
            "a changed script, a new name"
        );
    }
}
