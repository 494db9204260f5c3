#!/usr/bin/env bash
# Every test: a fresh production build, unit + integration (vitest) on SQLite, the same suite
# again on PostgreSQL, then the Playwright suite against the production server. Ends
# with one line "N passed, N failed" counting every run.
#
# PostgreSQL: FLOWDECK_TEST_PG_URL (default postgres://flowdeck:flowdeck@127.0.0.1:5432/flowdeck,
# a role with CREATEDB; each test file gets a database of its own). When it is unreachable the
# PostgreSQL run is skipped with a note, except in CI (CI=true), where it counts as a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1 CHECKPOINT_DISABLE=1
# Reports live outside test-results/, which Playwright empties when it starts.
REPORTS=.test-reports
mkdir -p "$REPORTS"
rm -f "$REPORTS"/vitest.json "$REPORTS"/vitest-pg.json "$REPORTS"/playwright.json

# A postgres:// FLOWDECK_TEST_DATABASE_URL names the server for the PostgreSQL run.
case "${FLOWDECK_TEST_DATABASE_URL:-}" in
  postgres://*|postgresql://*) : "${FLOWDECK_TEST_PG_URL:=$FLOWDECK_TEST_DATABASE_URL}" ;;
esac
export FLOWDECK_TEST_PG_URL="${FLOWDECK_TEST_PG_URL:-postgres://flowdeck:flowdeck@127.0.0.1:5432/flowdeck}"
unset FLOWDECK_TEST_DATABASE_URL

# The build comes first: some vitest files speak HTTP to the production server
# (lib/api/test-server.ts) on each database.
echo "── production build (skipped when current) ──"
npx --no-install tsx scripts/start.ts --build-only
build_status=$?

# Files named *.pg.test.ts need PostgreSQL whatever the suite runs on (workers, the event bus
# across processes): they run once, in the PostgreSQL run.
echo "── vitest on SQLite ──"
FLOWDECK_TEST_PG=0 npx --no-install vitest run --exclude '**/*.pg.test.ts' \
  --reporter=default --reporter=json --outputFile.json="$REPORTS"/vitest.json
unit_status=$?

pg_reachable() {
  node -e '
    const { Client } = require("pg");
    const c = new Client({ connectionString: process.env.FLOWDECK_TEST_PG_URL, connectionTimeoutMillis: 5000 });
    c.connect().then(() => c.end()).then(() => process.exit(0), (e) => { console.error(e.message); process.exit(1); });'
}
pg_where=$(node -e 'const u = new URL(process.env.FLOWDECK_TEST_PG_URL); u.password = ""; console.log(u.host + u.pathname)')
pg_status=skipped
if pg_reachable; then
  echo "── vitest on PostgreSQL ($pg_where) ──"
  # Suites whose subject does not touch the database run once, on SQLite: the engine, and the
  # security and fault files about permissions, tokens, secrets, SSRF, the sandbox, callbacks
  # and dropped clients. Everything that reads or writes through the database runs on both.
  FLOWDECK_TEST_PG=1 npx --no-install vitest run \
    --exclude 'lib/engine/**' \
    --exclude 'lib/security/{api-keys,role-matrix,sandbox-escapes,secrets-exposure,share-tokens,ssrf-surfaces}.test.ts' \
    --exclude 'lib/executor/faults/{callback-receiver,client-disconnect}.test.ts' \
    --reporter=default --reporter=json --outputFile.json="$REPORTS"/vitest-pg.json
  pg_status=$?
elif [ -n "${CI:-}" ] && [ "${CI}" != "false" ]; then
  echo "── vitest on PostgreSQL: no server at $pg_where, and CI requires it ──"
  pg_status=1
else
  echo "── vitest on PostgreSQL skipped: no server at $pg_where (set FLOWDECK_TEST_PG_URL) ──"
fi


e2e_status=1
if [ $build_status -eq 0 ]; then
  npx --no-install playwright test
  e2e_status=$?
fi

node - "$build_status" "$REPORTS" "$unit_status" "$pg_status" <<'JS'
const fs = require("fs");
const read = (f) => { try { return JSON.parse(fs.readFileSync(f, "utf8")); } catch { return null; } };
const [buildStatus, dir, unitStatus, pgStatus] = process.argv.slice(2);
const v = read(`${dir}/vitest.json`), vpg = read(`${dir}/vitest-pg.json`), p = read(`${dir}/playwright.json`);
let passed = 0, failed = 0;
// What failed, named just above the last line: CI logs are often read from their tail.
const named = [];
const firstLine = (text) => String(text ?? "").replace(/\x1b\[[0-9;]*m/g, "").trim().split("\n")[0].slice(0, 200);
// A vitest run: its tests; one failure more when it failed without a failing test (a file
// that could not load, an unhandled error, PostgreSQL missing in CI) or left no report.
const vitestRun = (label, report, status) => {
  if (report) {
    passed += report.numPassedTests; failed += report.numFailedTests;
    for (const file of report.testResults) {
      const where = file.name.replace(process.cwd() + "/", "");
      const failures = file.assertionResults.filter((t) => t.status === "failed");
      for (const t of failures) named.push(`${label}: ${where} › ${t.fullName} — ${firstLine(t.failureMessages?.[0])}`);
      if (file.status === "failed" && failures.length === 0) named.push(`${label}: ${where} — ${firstLine(file.message) || "the file failed"}`);
    }
  }
  if ((!report && status !== "skipped") || (status !== "0" && status !== "skipped" && !(report?.numFailedTests > 0))) {
    failed += 1;
    named.push(`${label}: exit ${status} ${report ? "without a failing test (an unhandled error? see its output above)" : "and no report"}`);
  }
};
vitestRun("vitest on SQLite", v, unitStatus);
vitestRun("vitest on PostgreSQL", vpg, pgStatus);
const playwrightFailures = (suite) => [
  ...(suite.specs ?? []).flatMap((spec) => spec.tests.filter((t) => t.status === "unexpected").map((t) => {
    const error = t.results.at(-1)?.errors?.[0]?.message;
    return `playwright: ${spec.file}:${spec.line} › ${spec.title} — ${firstLine(error)}`;
  })),
  ...(suite.suites ?? []).flatMap(playwrightFailures),
];
if (p) {
  passed += p.stats.expected + (p.stats.flaky || 0); failed += p.stats.unexpected;
  named.push(...p.suites.flatMap(playwrightFailures), ...(p.errors ?? []).map((e) => `playwright: ${firstLine(e.message)}`));
} else { failed += 1; named.push("playwright: no report"); }
if (buildStatus !== "0") { failed += 1; named.push("the production build failed"); }
if (named.length > 0) console.log(["Failed:", ...named.slice(0, 30).map((line) => `  ${line}`)].join("\n"));
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
JS
summary_status=$?

[ $unit_status -eq 0 ] && { [ "$pg_status" = 0 ] || [ "$pg_status" = skipped ]; } && [ $build_status -eq 0 ] && [ $e2e_status -eq 0 ] && [ $summary_status -eq 0 ]
