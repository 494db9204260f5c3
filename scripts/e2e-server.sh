#!/usr/bin/env bash
# The production server for the Playwright suite: a fresh data folder and SQLite database.
set -euo pipefail
cd "$(dirname "$0")/.."
export FLOWDECK_DATA_DIR="data/e2e"
export DATABASE_URL="file:./data/e2e/flowdeck.db"
export FLOWDECK_DEMO_API_KEY="${FLOWDECK_DEMO_API_KEY:-fd_e2e_demo_key_0123456789}"
export FLOWDECK_SECRET_KEY="e2e-secret-key-not-for-production"
rm -rf data/e2e
exec npx --no-install tsx scripts/start.ts
