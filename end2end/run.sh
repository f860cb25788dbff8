#!/usr/bin/env bash
# Runs the Playwright journeys in Chromium against the real server binary (built beforehand by
# `cargo leptos build`), with a fresh SQLite file and a real SMTP server on loopback whose mails
# the tests read. The database starts with the fixtures: the accounts of users.csv with the old
# history of legacy_history.csv (Windows-1252, `;`; see tests/import.spec.ts), and the
# transactions of history.sql. Two relying parties of the OpenID Connect provider run beside it
# (end2end/fixtures/oidc_rp.mjs, on the openid-client library), registered with the real
# `clients add`. Exits non-zero when anything fails: the server or a relying party does not
# start, a test fails, the server or a relying party logs an error.
set -euo pipefail
cd "$(dirname "$0")/.."

binary=${ASIOINTI_BIN:-target/debug/asiointi}
[ -x "$binary" ] && [ -f target/site/pkg/asiointi.wasm ] || { echo "end2end: build first: cargo leptos build (or --release with ASIOINTI_BIN=target/release/asiointi)" >&2; exit 1; }

work=$(mktemp -d)
http_port=${E2E_HTTP_PORT:-3107}
smtp_port=${E2E_SMTP_PORT:-2527}
rp_a_port=${E2E_RP_A_PORT:-3108}
rp_b_port=${E2E_RP_B_PORT:-3109}
server_pid=""; sink_pid=""; rp_pids=()
cleanup() {
  for pid in "${rp_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

/usr/bin/python3 tests/support/smtp_sink.py --port "$smtp_port" --dir "$work/mail" > "$work/sink.log" 2>&1 &
sink_pid=$!

export DATABASE_URL="sqlite://$work/e2e.db?mode=rwc"
export SMTP_URL="smtp://127.0.0.1:$smtp_port"
export PUBLIC_URL="http://127.0.0.1:$http_port"
export LEPTOS_SITE_ADDR="127.0.0.1:$http_port"
export LEPTOS_SITE_ROOT=target/site
export LEPTOS_ENV=PROD
export RUST_LOG=${RUST_LOG:-info,sqlx=warn}
# Every journey comes from 127.0.0.1: lift the per-client budget of e-mail step lookups.
export LOOKUPS_PER_IP=${LOOKUPS_PER_IP:-1000}

"$binary" import-legacy --users end2end/fixtures/users.csv --history end2end/fixtures/legacy_history.csv
# The import created the schema and the accounts; the history journeys' transactions go in
# before the server starts.
sqlite3 -bail "$work/e2e.db" < end2end/fixtures/history.sql

# The relying parties of oidc.spec.ts, registered as an operator would. `clients add` prints a
# confidential client's secret once, as `client_secret=<secret>`: it is kept in a variable for
# the relying party and never written to the output or a log.
register_client() { # id name port
  local out
  out=$("$binary" clients add --id "$1" --name "$2" \
    --redirect-uri "http://127.0.0.1:$3/callback" \
    --post-logout-redirect-uri "http://127.0.0.1:$3/logged-out" --first-party) || return 1
  grep -v '^client_secret=' <<<"$out" >&2 || true
  sed -n 's/^client_secret=//p' <<<"$out"
}
secret_a=$(register_client rp-a "Esimerkkipalvelu A" "$rp_a_port") || true
secret_b=$(register_client rp-b "Esimerkkipalvelu B" "$rp_b_port") || true
if [ -z "$secret_a" ] || [ -z "$secret_b" ]; then
  echo "end2end: registering the relying parties failed" >&2
  exit 1
fi

"$binary" > "$work/server.log" 2>&1 &
server_pid=$!

ready=""
for _ in $(seq 1 120); do
  if curl -fsS -o /dev/null "$PUBLIC_URL/fi" && grep -q ready "$work/sink.log"; then ready=yes; break; fi
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.5
done
if [ -z "$ready" ]; then
  echo "end2end: the server or the SMTP sink did not start" >&2
  cat "$work/server.log" "$work/sink.log" >&2
  exit 1
fi

# The relying parties configure themselves by discovery, so they start once the server answers.
# One authenticates at the token endpoint with client_secret_basic, the other with
# client_secret_post. The secret goes to each in its environment only.
start_rp() { # id port auth title secret
  ISSUER="$PUBLIC_URL" RP_CLIENT_ID="$1" RP_PORT="$2" RP_AUTH="$3" RP_TITLE="$4" RP_SECRET="$5" \
    node end2end/fixtures/oidc_rp.mjs > "$work/rp-$1.log" 2>&1 &
  rp_pids+=($!)
}
start_rp rp-a "$rp_a_port" client_secret_basic "Esimerkkipalvelu A" "$secret_a"
start_rp rp-b "$rp_b_port" client_secret_post "Esimerkkipalvelu B" "$secret_b"
unset secret_a secret_b
rp_ready=""
for _ in $(seq 1 60); do
  if curl -fs -o /dev/null "http://127.0.0.1:$rp_a_port/" && curl -fs -o /dev/null "http://127.0.0.1:$rp_b_port/"; then rp_ready=yes; break; fi
  sleep 0.5
done
if [ -z "$rp_ready" ]; then
  echo "end2end: the relying parties did not start" >&2
  cat "$work"/rp-*.log >&2
  exit 1
fi

status=0
start=$(date +%s)
MAIL_DIR="$work/mail" BASE_URL="$PUBLIC_URL" RP_A_URL="http://127.0.0.1:$rp_a_port" RP_B_URL="http://127.0.0.1:$rp_b_port" \
  npx playwright test --config end2end/playwright.config.ts "$@" 2>&1 | tee "$work/playwright.log" || status=$?
if grep -q "flaky" "$work/playwright.log"; then
  echo "--- FLAKY: these journeys passed only on their retry; what the browser reported is above ---" >&2
  sed -n '/flaky/,$p' "$work/playwright.log" >&2
fi
echo "end2end: Playwright took $(( $(date +%s) - start )) s"
# An error the server logged is a fault of ours even when every journey passed: it fails the run.
if grep -q " ERROR " <(sed 's/\x1b\[[0-9;]*m//g' "$work/server.log"); then
  echo "--- errors in the server log ---" >&2
  sed 's/\x1b\[[0-9;]*m//g' "$work/server.log" | grep " ERROR " >&2
  [ "$status" -ne 0 ] || status=1
fi
# A relying party logs only its start, and an error otherwise.
for log in "$work"/rp-*.log; do
  if grep -v ": listening on " "$log" | grep -q .; then
    echo "--- errors in $(basename "$log" .log) ---" >&2
    grep -v ": listening on " "$log" >&2
    [ "$status" -ne 0 ] || status=1
  fi
done
if [ "$status" -ne 0 ]; then
  echo "--- server log (last 80 lines) ---" >&2
  tail -n 80 "$work/server.log" >&2
fi
exit "$status"
