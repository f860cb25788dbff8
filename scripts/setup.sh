#!/usr/bin/env bash
# Installs what building and testing asiointi needs on a fresh machine, each piece only when it is
# missing: Debian's Chromium, python3-aiosmtpd, sqlite3, PostgreSQL and nginx, the wasm32 target, cargo-leptos, the
# wasm-bindgen CLI of exactly the version in Cargo.lock, and the npm dev tools. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo

packages=()
[ -x /usr/bin/chromium ] || packages+=(chromium)
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || packages+=(python3-aiosmtpd)
command -v curl >/dev/null || packages+=(curl)
command -v sqlite3 >/dev/null || packages+=(sqlite3)
# The server and pg_virtualenv, which the tests use to run a throwaway PostgreSQL cluster.
{ command -v pg_virtualenv >/dev/null && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; } ||
  packages+=(postgresql)
# The load balancer in front of two instances in tests/multi_instance.rs.
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || packages+=(nginx)
if [ ${#packages[@]} -gt 0 ]; then
  echo "setup: apt-get install ${packages[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}" >/dev/null
fi

rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

# 0.3.11 needs rustc 1.96; no_downloads because this machine cannot fetch tools at build time.
if ! cargo leptos --version 2>/dev/null | grep -q ' 0\.3\.10$'; then
  echo "setup: installing cargo-leptos 0.3.10 (about 15 minutes on 2 cores)"
  cargo install cargo-leptos --locked --version 0.3.10 --features no_downloads
fi

# The CLI must match the wasm-bindgen crate exactly. Not --locked: its lockfile names a crate
# version this registry lacks.
bindgen=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')
if ! wasm-bindgen --version 2>/dev/null | grep -q " $bindgen\$"; then
  echo "setup: installing wasm-bindgen-cli $bindgen"
  cargo install wasm-bindgen-cli --version "$bindgen"
fi

# wasm-opt (binaryen 132; Debian's is too old), Playwright and axe.
if [ ! -x node_modules/.bin/playwright ] || [ ! -x node_modules/.bin/wasm-opt ] || [ package-lock.json -nt node_modules ]; then
  npm ci --no-audit --no-fund
fi
