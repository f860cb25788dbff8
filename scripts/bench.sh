#!/usr/bin/env bash
# The performance figures of docs/performance.md in one run: builds the release, then
# scripts/bench.py measures it (a real SMTP sink, wrk, nginx and Chromium on loopback). Takes
# about 3 minutes after the build. Run it on an otherwise idle machine; nothing is asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
command -v wrk >/dev/null || {
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get install -y -qq wrk >/dev/null
}
cargo leptos build --release --precompress
exec /usr/bin/python3 scripts/bench.py
