#!/usr/bin/env bash
# Every test: unit + integration (vitest), a fresh production build, then the Playwright
# suite against the production server. Ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1 CHECKPOINT_DISABLE=1
# Reports live outside test-results/, which Playwright empties when it starts.
REPORTS=.test-reports
mkdir -p "$REPORTS"
rm -f "$REPORTS"/vitest.json "$REPORTS"/playwright.json

npx --no-install vitest run --reporter=default --reporter=json --outputFile.json="$REPORTS"/vitest.json
unit_status=$?

echo "── production build (skipped when current) ──"
npx --no-install tsx scripts/start.ts --build-only
build_status=$?

e2e_status=1
if [ $build_status -eq 0 ]; then
  npx --no-install playwright test
  e2e_status=$?
fi

node - "$build_status" "$REPORTS" <<'JS'
const fs = require("fs");
const read = (f) => { try { return JSON.parse(fs.readFileSync(f, "utf8")); } catch { return null; } };
const [buildStatus, dir] = process.argv.slice(2);
const v = read(`${dir}/vitest.json`), p = read(`${dir}/playwright.json`);
let passed = 0, failed = 0;
if (v) { passed += v.numPassedTests; failed += v.numFailedTests; } else failed += 1;
if (p) { passed += p.stats.expected + (p.stats.flaky || 0); failed += p.stats.unexpected; } else failed += 1;
if (buildStatus !== "0") failed += 1; // the build itself failed
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
JS
summary_status=$?

[ $unit_status -eq 0 ] && [ $build_status -eq 0 ] && [ $e2e_status -eq 0 ] && [ $summary_status -eq 0 ]
