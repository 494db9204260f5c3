#!/usr/bin/env bash
# Every test: unit + integration (vitest), a fresh production build, then the Playwright
# suite against the production server. Ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1 CHECKPOINT_DISABLE=1
mkdir -p test-results
rm -f test-results/vitest.json test-results/playwright.json

npx --no-install vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json
unit_status=$?

echo "── next build ──"
npx --no-install next build
build_status=$?

e2e_status=1
if [ $build_status -eq 0 ]; then
  npx --no-install playwright test
  e2e_status=$?
fi

node -e '
const fs = require("fs");
const read = (f) => { try { return JSON.parse(fs.readFileSync(f, "utf8")); } catch { return null; } };
const v = read("test-results/vitest.json"), p = read("test-results/playwright.json");
let passed = 0, failed = 0;
if (v) { passed += v.numPassedTests; failed += v.numFailedTests; } else failed += 1;
if (p) { passed += p.stats.expected + (p.stats.flaky || 0); failed += p.stats.unexpected; } else failed += 1;
if (process.argv[1] !== "0") failed += 1; // the build itself failed
console.log(`${passed} passed, ${failed} failed`);
' "$build_status"

[ $unit_status -eq 0 ] && [ $build_status -eq 0 ] && [ $e2e_status -eq 0 ]
