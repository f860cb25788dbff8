#!/usr/bin/env bash
# Runs asiointi locally with the embedded defaults: http://127.0.0.1:3000, a SQLite file
# asiointi.db, the demo account esimerkki.erkki@example.com, and mail kept in the outbox and
# shown at http://127.0.0.1:3000/dev/mail (no SMTP_URL). Rebuilds on changes to the source.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec cargo leptos watch
