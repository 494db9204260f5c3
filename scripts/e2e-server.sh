#!/usr/bin/env bash
# The production server for the Playwright suite: a fresh data folder and SQLite database.
set -euo pipefail
cd "$(dirname "$0")/.."
export FLOWDECK_DATA_DIR="data/e2e"
export DATABASE_URL="file:./data/e2e/flowdeck.db"
export FLOWDECK_DEMO_API_KEY="${FLOWDECK_DEMO_API_KEY:-fd_e2e_demo_key_0123456789}"
export FLOWDECK_SECRET_KEY="e2e-secret-key-not-for-production"
# The fake LLM provider of e2e/llm-run.spec.ts listens here (a private address the guard would refuse),
# and the callback receiver / file server of e2e/api-*.spec.ts on 3196.
export FLOWDECK_FETCH_ALLOW="${FLOWDECK_FETCH_ALLOW:-127.0.0.1:3195,127.0.0.1:3196}"
rm -rf data/e2e
exec npx --no-install tsx scripts/start.ts
