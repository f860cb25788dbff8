#!/usr/bin/env bash
# Runs every test: unit and integration tests (the real server binary, a real SMTP server on
# loopback) on SQLite and again on a real PostgreSQL server (a throwaway cluster that
# pg_virtualenv starts and removes), then a load test and the Playwright journeys in Chromium
# against the release build. Installs what is missing first. Exits non-zero when anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

step() { printf '\n== %s (%s)\n' "$1" "$(date +%H:%M:%S)"; }

step "cargo fmt --check"
cargo fmt --check

step "unit and integration tests"
# The same cfg as cargo-leptos's debug builds, so the two share compiled dependencies.
RUSTFLAGS="--cfg erase_components" cargo test --features ssr

step "unit and integration tests on PostgreSQL"
# Each test makes a database of its own on the throwaway server (ASIOINTI_TEST_POSTGRES).
RUSTFLAGS="--cfg erase_components" pg_virtualenv sh -c \
  'ASIOINTI_TEST_POSTGRES="postgres://$PGUSER:$PGPASSWORD@$PGHOST:$PGPORT/postgres" cargo test --features ssr'

step "release build (server + WebAssembly, with brotli and gzip copies of the browser's files)"
cargo leptos build --release --precompress
wasm=target/site/pkg/asiointi.wasm
echo "WASM: $(stat -c %s "$wasm") bytes, $(stat -c %s "$wasm.br") with brotli, $(stat -c %s "$wasm.gz") with gzip"

step "load test: 200 residents for 60 s on two release instances, PostgreSQL and nginx"
RUSTFLAGS="--cfg erase_components" ASIOINTI_BIN=target/release/asiointi pg_virtualenv sh -c \
  'ASIOINTI_TEST_POSTGRES="postgres://$PGUSER:$PGPASSWORD@$PGHOST:$PGPORT/postgres" cargo test --features ssr --test load -- --ignored --nocapture'

step "end-to-end journeys"
ASIOINTI_BIN=target/release/asiointi end2end/run.sh

step "style edits reach the browser under cargo leptos watch (scripts/run.sh)"
tests/style_watch.sh
