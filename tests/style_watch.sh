#!/usr/bin/env bash
# Style edits reach the browser while scripts/run.sh (`cargo leptos watch`) runs (issue #9):
# an edit saved during the first build — the case cargo-leptos 0.3.10 alone never picks up,
# since it starts watching only once that build is done — and an edit saved once it watches.
# Each edit appends a rule with a fresh marker to style/main.css; the check reads the
# stylesheet as the browser gets it, from the running server. style/main.css is restored and
# the watcher stopped at the end, pass or fail. Run by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
cp style/main.css "$work/main.css"
watcher=""
cleanup() {
  [ -n "$watcher" ] && kill -- "-$watcher" 2>/dev/null || true
  wait 2>/dev/null || true
  cp "$work/main.css" style/main.css
  rm -rf "$work"
}
trap cleanup EXIT

site=http://127.0.0.1:3000
built=target/site/pkg/asiointi.css
served() { curl -fsS "$site/pkg/asiointi.css" 2>/dev/null | grep -q "$1"; }
# Waits up to $2 seconds for the served stylesheet to hold marker $1.
arrives() {
  local deadline=$((SECONDS + $2))
  until served "$1"; do
    if [ $SECONDS -ge $deadline ]; then
      echo "style_watch: $1 did not reach the browser in $2 s; the watcher said:" >&2
      tail -n 30 "$work/watch.log" >&2
      return 1
    fi
    sleep 2
  done
}
edit() { printf '\n.%s { color: #0b0c0c; }\n' "$1" >> style/main.css; }

rm -f "$built"
# A process group of its own, so that the watcher and the server it starts stop together.
DATABASE_URL="sqlite://$work/watch.db?mode=rwc" setsid scripts/run.sh > "$work/watch.log" 2>&1 &
watcher=$!

# The stylesheet is built first, in milliseconds, then the Rust builds take minutes: an edit
# saved now is saved during the first build.
deadline=$((SECONDS + 600))
until [ -e "$built" ]; do
  [ $SECONDS -lt $deadline ] || { echo "style_watch: no stylesheet built" >&2; tail -n 30 "$work/watch.log" >&2; exit 1; }
  sleep 1
done
during="style-watch-during-$RANDOM$RANDOM"
edit "$during"
started=$SECONDS
arrives "$during" 1800
echo "style_watch: an edit saved during the first build was served $((SECONDS - started)) s later"

after="style-watch-after-$RANDOM$RANDOM"
edit "$after"
started=$SECONDS
arrives "$after" 60
echo "style_watch: an edit saved while watching was served $((SECONDS - started)) s later"
