#!/usr/bin/env bash
# Runs asiointi locally with the embedded defaults: http://127.0.0.1:3000, a SQLite file
# asiointi.db, the demo account esimerkki.erkki@example.com, and mail delivered to the
# in-memory mailbox at http://127.0.0.1:3000/dev/mail (no SMTP_URL). Rebuilds on changes to
# the source and the style.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

# cargo-leptos 0.3.10 starts watching files only once its first build is done, so a style edit
# saved while that build runs (minutes on a fresh clone) never reaches the site until the file
# changes again. Once cargo-leptos watches (its reload port, opened with the watcher, accepts a
# connection) and while a style file is newer than the built stylesheet, this loop rewrites it,
# so that cargo-leptos rebuilds the style (in milliseconds): every 5 s, at most 12 times for one
# content of style/ (an edit that leaves the built stylesheet as it was does not rewrite it,
# and must not be nudged forever).
reload_port=${LEPTOS_RELOAD_PORT:-3001}
built=target/site/pkg/asiointi.css
nudge_styles() {
  local edit="" nudges=0 newer content
  while sleep 5; do
    [ -e "$built" ] && (exec 3<>"/dev/tcp/127.0.0.1/$reload_port") 2>/dev/null || continue
    newer=$(find style -name '*.css' -newer "$built" | head -n 1)
    [ -n "$newer" ] || continue
    content=$(cat style/*.css | md5sum)
    if [ "$content" != "$edit" ]; then
      edit=$content
      nudges=0
    fi
    [ "$nudges" -lt 12 ] || continue
    nudges=$((nudges + 1))
    # Rewritten in place, byte for byte: cargo-leptos ignores a bare `touch` (a metadata
    # change), not a write.
    dd if="$newer" of="$newer" conv=notrunc status=none
  done
}
nudge_styles &
nudger=$!
trap 'kill "$nudger" 2>/dev/null' EXIT
cargo leptos watch
