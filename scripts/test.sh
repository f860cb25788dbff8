#!/usr/bin/env bash
# Runs every test: unit and integration tests (the real server binary, a real SMTP server on
# loopback), then the Playwright journeys in Chromium against the release build. Installs what
# is missing first. Exits non-zero when anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

step() { printf '\n== %s (%s)\n' "$1" "$(date +%H:%M:%S)"; }

step "cargo fmt --check"
cargo fmt --check

step "unit and integration tests"
# The same cfg as cargo-leptos's debug builds, so the two share compiled dependencies.
RUSTFLAGS="--cfg erase_components" cargo test --features ssr

step "release build (server + WebAssembly)"
cargo leptos build --release
wasm=target/site/pkg/asiointi.wasm
echo "WASM: $(stat -c %s "$wasm") bytes, $(gzip -9 -c "$wasm" | wc -c) bytes gzipped"

step "end-to-end journeys"
ASIOINTI_BIN=target/release/asiointi end2end/run.sh
