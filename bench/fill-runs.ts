/**
 * Fills one workspace of a Flowdeck database with a realistic run history, fast: the demo
 * workspace (seeded if missing, with the bench API key) plus a dozen more workflows with
 * several versions and labels, then N runs written straight into the tables Prisma defines
 * (Run, RunPayload, StepRun, RunEvent) in large transactions — the rows a real run leaves:
 * statuses, workflows, versions, labels, origins, created times spread over six months,
 * external ids, metadata, error messages on failed runs, step rows and the event log
 * (run_started, step_started / log / step_finished per step, run_finished). One run in a
 * hundred carries a large input or output (20–200 KB). Last comes one run with 10,000
 * events (a long streamed LLM answer). Search terms are planted as bench/history-data.ts says.
 *
 *   npx tsx bench/fill-runs.ts [--runs=1000000] [--url=file:./data/bench-history/flowdeck.db | postgres://…] [--chunk=2000]
 *
 * The database is DATABASE_URL unless --url is given; migrations are applied first.
 * Resumable: each chunk is one transaction, and a second start counts the runs already in
 * the workspace and goes on from there (the same run index always gets the same content).
 * Prints rows/s as it goes and the database's size at the end.
 */
import { randomUUID } from "node:crypto";
import { statSync } from "node:fs";
import {
  BENCH_API_KEY, BENCH_WORKSPACE, COMMON_TERM, LARGE_ONLY_TERM, LONG_RUN_EVENTS, LONG_RUN_EXTERNAL_ID, RARE_EVERY, RARE_TERM,
} from "./history-data";

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const TOTAL = Number(arg("runs") ?? 1_000_000);
const CHUNK = Number(arg("chunk") ?? 2000);
const url = arg("url") ?? process.env.DATABASE_URL ?? "file:./data/bench-history/flowdeck.db";
process.env.DATABASE_URL = url;
process.env.FLOWDECK_SECRET_KEY ??= "bench";
process.env.FLOWDECK_DEMO_API_KEY = BENCH_API_KEY;
const SPAN_MS = 180 * 86_400_000;

const { databaseProvider, sqliteFilePath } = await import("../lib/db/config");
const { applyMigrations } = await import("../lib/db/migrate");
const { db } = await import("../lib/db/client");
const { seedDemo, DEMO_EMAIL } = await import("../lib/services/demo-seed");
const { getActorForUser } = await import("../lib/services/users");
const { createWorkflow, publishVersion, setLabel } = await import("../lib/services/workflows");
const { sha256Hex } = await import("../lib/security/tokens");
const provider = databaseProvider(url);

// ── The catalog: demo workflows plus more, with versions and labels ──────────────────────

const EXTRA_WORKFLOWS = [
  "invoice-extract", "support-triage", "contract-review", "lead-scoring", "translate-docs", "meeting-notes",
  "product-descriptions", "resume-screening", "faq-answerer", "sentiment-report", "code-review-bot", "data-cleanup",
  "newsletter-draft", "expense-audit",
];

function extraDefinition(name: string, version: number) {
  const steps = [
    { id: "prepare", kind: "template", name: "Prepare the text", config: { template: `{{ inputs.text }} (${name} v${version})` } },
    { id: "classify", kind: "transform", name: "Classify", config: { expression: "{ 'label': inputs.priority, 'length': $length(inputs.text) }" } },
    { id: "report", kind: "template", name: "Write the report", config: { template: "{{ steps.prepare.output }}: {{ steps.classify.output.label }}" } },
  ];
  // Later versions grow a step, so step lists differ between versions.
  if (version % 3 === 0) steps.splice(2, 0, { id: "enrich", kind: "template", name: "Enrich", config: { template: "{{ inputs.customer }}" } });
  return {
    inputs: [
      { name: "text", type: "text", label: "Text", multiline: true },
      { name: "customer", type: "text", label: "Customer", required: false },
      { name: "priority", type: "select", label: "Priority", options: ["low", "normal", "high"], default: "normal" },
    ],
    steps,
    outputs: { summary: "{{ steps.report.output }}", label: "{{ steps.classify.output.label }}" },
  };
}

async function prepareCatalog() {
  await applyMigrations(url);
  await seedDemo();
  const user = await db.user.findUniqueOrThrow({ where: { email: DEMO_EMAIL } });
  const actor = await getActorForUser(user.id, BENCH_WORKSPACE);
  const keyHash = sha256Hex(BENCH_API_KEY);
  if (!(await db.apiKey.findUnique({ where: { keyHash } }))) {
    await db.apiKey.create({
      data: { workspaceId: actor.workspaceId, name: "Bench key", keyHash, last4: BENCH_API_KEY.slice(-4), role: "admin", createdById: user.id },
    });
  }
  for (const [i, name] of EXTRA_WORKFLOWS.entries()) {
    if (await db.workflow.findFirst({ where: { workspaceId: actor.workspaceId, name } })) continue;
    const versions = 1 + ((i * 5) % 8);
    await createWorkflow(actor, { name, title: name.replace(/-/g, " ").replace(/^./, (c) => c.toUpperCase()), definition: extraDefinition(name, 1) });
    for (let v = 2; v <= versions; v++) await publishVersion(actor, name, extraDefinition(name, v), `Update ${v}`);
    await setLabel(actor, name, "production", Math.max(1, versions - 1));
    if (versions > 1) await setLabel(actor, name, "staging", versions);
  }
  const workflows = await db.workflow.findMany({
    where: { workspaceId: actor.workspaceId },
    orderBy: { id: "asc" },
    select: { id: true, name: true, versions: { orderBy: { number: "asc" }, select: { id: true, number: true, definition: true } } },
  });
  return {
    actor, userId: user.id,
    apiKeyId: (await db.apiKey.findUniqueOrThrow({ where: { keyHash } })).id,
    workflows: workflows.map((w) => ({
      id: w.id, name: w.name,
      versions: w.versions.map((v) => {
        const def = JSON.parse(v.definition) as Definition;
        return { id: v.id, number: v.number, inputs: def.inputs ?? [], steps: def.steps.map((s) => ({ id: s.id, kind: s.kind })), outputs: Object.keys(def.outputs ?? {}) };
      }),
    })),
  };
}

interface Definition {
  inputs?: { name: string; type: string; options?: string[] }[];
  steps: { id: string; kind: string }[];
  outputs?: Record<string, string>;
}
type Catalog = Awaited<ReturnType<typeof prepareCatalog>>;

// ── Content: deterministic per run index ─────────────────────────────────────────────────

function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
type Rand = ReturnType<typeof rng>;
const pick = <T>(r: Rand, xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

const WORDS = (
  "the a of and to in for on with from by at is are was be this that report order customer account payment " +
  "delivery shipment quarter revenue summary meeting notes contract clause renewal pricing discount support ticket " +
  "issue refund request review draft final approval team project release version update error warning status " +
  "product feature user login password email address phone number total amount tax currency euro dollar pound " +
  "monday tuesday wednesday thursday friday january february march april may june july august september october " +
  "november december north south east west region office remote hybrid plan basic pro enterprise trial upgrade " +
  "cancel renew invoice"
).split(" ").filter((w) => w !== COMMON_TERM);
// Made-up words widen the vocabulary (and the trigram mix) the way names and jargon do.
const SYLLABLES = ["ka", "lo", "mi", "ra", "ten", "dor", "vel", "sun", "pa", "ri", "na", "to", "mer", "lin", "quo", "ba", "sel", "tra", "no", "fi", "gan", "ho", "ju", "ke"];
const JARGON = Array.from({ length: 3000 }, (_, i) => {
  const r = rng(i + 7);
  return Array.from({ length: int(r, 2, 4) }, () => pick(r, SYLLABLES)).join("");
});
const NAMES = ["Ada", "Grace", "Linus", "Margaret", "Alan", "Barbara", "Ken", "Dennis", "Frances", "Edsger", "Radia", "Tim", "Sophie", "Yukihiro", "Guido", "Anita", "Joan", "Ivan", "Lea", "Omar"];

function word(r: Rand): string {
  const x = r();
  return x < 0.75 ? WORDS[Math.floor(WORDS.length * r() * r())] : JARGON[Math.floor(JARGON.length * r() * r())];
}
function sentence(r: Rand, lo: number, hi: number): string {
  const n = int(r, lo, hi);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(word(r));
  const s = out.join(" ");
  return s.charAt(0).toUpperCase() + s.slice(1) + ".";
}
/** A document of about `bytes` characters; with `plant`, the large-only term far into it. */
function largeText(r: Rand, bytes: number, plant: boolean): string {
  const parts: string[] = [];
  let size = 0;
  let planted = !plant;
  while (size < bytes) {
    let s = sentence(r, 8, 30);
    if (!planted && size > bytes * 0.6) {
      s = `${s} The ${LARGE_ONLY_TERM} section follows.`;
      planted = true;
    }
    parts.push(s);
    size += s.length + 1;
    if (r() < 0.1) parts.push("\n\n");
  }
  return parts.join(" ");
}

const STATUS_WEIGHTS = [["succeeded", 0.93], ["failed", 0.05], ["cancelled", 0.02]] as const;
const ORIGIN_WEIGHTS = [
  ["api", 0.52], ["ui", 0.28], ["rerun", 0.04], ["datalab", 0.05], ["unstructured", 0.04], ["promptlayer", 0.035], ["dify", 0.03], ["vellum", 0.005],
] as const;
function weighted<T extends string>(r: Rand, table: readonly (readonly [T, number])[]): T {
  let x = r();
  for (const [v, w] of table) if ((x -= w) < 0) return v;
  return table[0][0];
}
const ERRORS: [string, (r: Rand) => string][] = [
  ["code_error", (r) => `Error: the parser gave up (line ${int(r, 1, 400)})`],
  ["http_error", (r) => `HTTP ${pick(r, [500, 502, 503, 429])} from https://api.${pick(r, JARGON)}.example.com/v1/${pick(r, WORDS)}`],
  ["timeout", (r) => `Step timed out after ${pick(r, [30000, 60000, 120000])} ms`],
  ["llm_error", (r) => `The model provider refused the request: ${sentence(r, 4, 10)}`],
  ["invalid_output", (r) => `Output field '${pick(r, WORDS)}' is not valid JSON: unexpected token at ${int(r, 1, 900)}`],
];

export interface RunRow {
  id: number; uuid: string; workflowId: number; versionId: number; versionNumber: number; label: string | null;
  status: string; origin: string; externalId: string | null; metadata: string; errorCode: string | null; errorMessage: string | null;
  errorStep: string | null; totalSteps: number; totalTokens: number; lastSeq: number; createdById: string | null; apiKeyId: number | null;
  parentRunId: number | null; createdAt: Date; startedAt: Date | null; finishedAt: Date | null; elapsedMs: number | null;
  inputs: string; outputs: string | null;
}
export interface StepRowFill {
  runId: number; stepId: string; kind: string; status: string; attempts: number; output: string | null; error: string | null; tokens: number;
  startedAt: Date; finishedAt: Date;
}
export interface EventRowFill { runId: number; seq: number; type: string; data: string; createdAt: Date }

interface Batch { runs: RunRow[]; steps: StepRowFill[]; events: EventRowFill[] }

/** Zipf-like weights: the first workflows get most runs, the last ones a few. */
function workflowPicker(catalog: Catalog) {
  const weights = catalog.workflows.map((_, k) => 1 / (k + 1) ** 1.1);
  const sum = weights.reduce((a, b) => a + b, 0);
  const order = catalog.workflows.map((_, k) => k).sort((a, b) => ((a * 7) % 11) - ((b * 7) % 11));
  return (r: Rand) => {
    let x = r() * sum;
    for (let k = 0; k < weights.length; k++) if ((x -= weights[k]) < 0) return catalog.workflows[order[k]];
    return catalog.workflows[order[0]];
  };
}

function makeRun(catalog: Catalog, pickWorkflow: ReturnType<typeof workflowPicker>, index: number, id: number, startMs: number, batch: Batch) {
  const r = rng(index * 2654435761 + 17);
  const t = index / TOTAL;
  const workflow = pickWorkflow(r);
  const nv = workflow.versions.length;
  // The version in use moves forward over time; labels point at the current one (staging a step ahead).
  const current = Math.min(nv, 1 + Math.floor(t * nv));
  const lr = r();
  const label = lr < 0.6 ? "production" : lr < 0.7 && nv > 1 ? "staging" : null;
  const number = label === "staging" ? Math.min(nv, current + 1) : label === null && r() < 0.1 ? int(r, 1, nv) : current;
  const version = workflow.versions[number - 1];
  // Only ended runs: a queued or running one would be picked up by the server's recovery when the bench starts it.
  const status = weighted(r, STATUS_WEIGHTS);
  const origin = weighted(r, ORIGIN_WEIGHTS);
  const createdAt = new Date(startMs + t * SPAN_MS + r() * (SPAN_MS / TOTAL) * 0.9);

  const hasExternal = origin !== "ui" && origin !== "rerun" && r() < 0.35;
  const externalId = hasExternal ? `${pick(r, ["ord", "inv", "tkt", "job", "doc"])}-${index.toString(36)}-${Math.floor(r() * 1e6).toString(36)}` : null;
  const metadata = r() < 0.45
    ? JSON.stringify({
        customer: `cust-${int(r, 1, 5000)}`, env: pick(r, ["prod", "prod", "staging"]), team: pick(r, ["growth", "billing", "platform", "support", "legal"]),
        ...(r() < 0.3 ? { region: pick(r, ["eu-west", "us-east", "ap-south"]) } : {}),
      })
    : "{}";

  // One run in a hundred is large: half a large input, half a large output.
  const large = r() < 0.01 ? (r() < 0.5 ? "input" : "output") : null;
  const largeBytes = int(r, 20_000, 200_000);
  const plantLarge = large !== null && r() < 0.1;
  const rare = index % RARE_EVERY === RARE_EVERY / 2;
  const common = r() < 0.25;

  const inputs: Record<string, unknown> = {};
  let firstText = true;
  const textInputs = version.inputs.filter((i) => i.type === "text");
  const largeInput = large === "input" && textInputs.length > 0;
  for (const input of version.inputs) {
    switch (input.type) {
      case "text": {
        let value = input.name === "name" ? `${pick(r, NAMES)} ${pick(r, JARGON)}` : input.name === "customer" ? `cust-${int(r, 1, 5000)}` : sentence(r, 5, 40);
        if (firstText) {
          if (largeInput) value = largeText(r, largeBytes, plantLarge);
          if (common) value = `${COMMON_TERM} ${value}`;
          if (rare) value = `${value} ${RARE_TERM}`;
          firstText = false;
        }
        inputs[input.name] = value;
        break;
      }
      case "number": inputs[input.name] = int(r, 1, 100); break;
      case "boolean": inputs[input.name] = r() < 0.5; break;
      case "select": inputs[input.name] = pick(r, input.options ?? ["a"]); break;
      case "json": inputs[input.name] = { currency: pick(r, ["EUR", "USD", "GBP"]), limit: int(r, 1, 1000) }; break;
      case "file":
      case "file_list": {
        const name = `${common && firstText ? `${COMMON_TERM}-` : ""}${pick(r, WORDS)}-${int(r, 1, 9999)}${rare && firstText ? `-${RARE_TERM}` : ""}.${pick(r, ["pdf", "csv", "txt", "docx"])}`;
        const file = { id: randomUUID(), name, size: int(r, 200, 5_000_000), mime_type: "application/pdf" };
        inputs[input.name] = input.type === "file" ? file : [file];
        if (textInputs.length === 0) firstText = false;
        break;
      }
    }
  }
  // A workflow with no text input keeps the large part in its output.
  const largeOutput = large === "output" || (large === "input" && !largeInput);

  const steps = version.steps;
  const llm = steps.some((s) => s.kind === "llm");
  const totalTokens = llm ? int(r, 50, 4000) : 0;
  const failAt = status === "succeeded" ? steps.length : int(r, 0, steps.length - 1);
  const elapsedMs = Math.round(Math.exp(r() * 8) * 10); // 10 ms … 30 s, mostly short
  const startedAt = new Date(createdAt.getTime() + int(r, 0, 40));
  const finishedAt = new Date(startedAt.getTime() + elapsedMs);

  let outputs: string | null = null;
  if (status === "succeeded") {
    const out: Record<string, unknown> = {};
    for (const [k, key] of version.outputs.entries()) {
      out[key] = k === 0 && largeOutput ? largeText(r, largeBytes, plantLarge) : key === "length" || key === "tokens" ? int(r, 1, 500) : sentence(r, 3, 25);
    }
    outputs = JSON.stringify(out);
  }

  let errorCode: string | null = null;
  let errorMessage: string | null = null;
  let errorStep: string | null = null;
  if (status === "failed") {
    const [code, message] = pick(r, ERRORS);
    errorCode = code;
    errorMessage = message(r);
    errorStep = steps[failAt]?.id ?? null;
  } else if (status === "cancelled") {
    errorCode = "cancelled";
    errorMessage = "The run was cancelled";
    errorStep = steps[failAt]?.id ?? null;
  }

  // The event log and step rows, spread over the run's time.
  const events: EventRowFill[] = [];
  const clock = (f: number) => new Date(startedAt.getTime() + Math.round(f * elapsedMs));
  const push = (type: string, data: unknown, f: number) => events.push({ runId: id, seq: events.length + 1, type, data: JSON.stringify(data), createdAt: clock(f) });
  push("run_started", { total_steps: steps.length }, 0);
  const ran = Math.min(steps.length, failAt + 1);
  for (let s = 0; s < ran; s++) {
    const step = steps[s];
    const f0 = s / steps.length;
    const f1 = (s + 1) / steps.length;
    push("step_started", { step_id: step.id, kind: step.kind, attempt: 1 }, f0);
    if (r() < 0.3) push("log", { step_id: step.id, level: "info", message: sentence(r, 3, 12) }, (f0 + f1) / 2);
    const failed = s === failAt && (status === "failed" || status === "cancelled");
    const stepStatus = failed ? (status === "failed" ? "failed" : "cancelled") : "succeeded";
    const error = failed ? { code: errorCode!, message: errorMessage! } : null;
    const output = failed ? null : s === steps.length - 1 && outputs ? outputs : JSON.stringify({ text: sentence(r, 3, 15) });
    const tokens = step.kind === "llm" ? totalTokens : 0;
    push("step_finished", {
      step_id: step.id, kind: step.kind, status: stepStatus, ...(output ? { output: JSON.parse(output) } : { error }),
      duration_ms: Math.round((f1 - f0) * elapsedMs), attempts: 1, ...(tokens ? { tokens } : {}),
    }, f1);
    batch.steps.push({
      runId: id, stepId: step.id, kind: step.kind, status: stepStatus, attempts: 1, output, error: error ? JSON.stringify(error) : null,
      tokens, startedAt: clock(f0), finishedAt: clock(f1),
    });
  }
  push("run_finished", {
    status, ...(outputs ? { outputs: JSON.parse(outputs) } : {}),
    ...(errorCode ? { error: { code: errorCode, message: errorMessage, ...(errorStep ? { step_id: errorStep } : {}) } } : {}),
    duration_ms: elapsedMs, total_steps: steps.length, total_tokens: totalTokens,
  }, 1);
  batch.events.push(...events);
  batch.runs.push({
    id, uuid: randomUUID(), workflowId: workflow.id, versionId: version.id, versionNumber: version.number, label, status, origin,
    externalId, metadata, errorCode, errorMessage, errorStep, totalSteps: steps.length, totalTokens, lastSeq: events.length,
    createdById: origin === "ui" || origin === "rerun" ? catalog.userId : null, apiKeyId: origin === "ui" || origin === "rerun" ? null : catalog.apiKeyId,
    parentRunId: origin === "rerun" && id > 1000 ? id - int(r, 1, 1000) : null,
    createdAt, startedAt, finishedAt, elapsedMs,
    inputs: JSON.stringify(inputs), outputs,
  });
}

/** The newest run: a streamed LLM answer of LONG_RUN_EVENTS events. */
function makeLongRun(catalog: Catalog, id: number, at: Date, batch: Batch) {
  const workflow = catalog.workflows.find((w) => w.versions.some((v) => v.steps.some((s) => s.kind === "llm")))!;
  const version = workflow.versions.at(-1)!;
  const step = version.steps.find((s) => s.kind === "llm")!;
  const r = rng(424242);
  const chunks = LONG_RUN_EVENTS - 4;
  const pieces = Array.from({ length: chunks }, () => ` ${word(r)}`);
  const text = pieces.join("");
  const elapsedMs = 95_000;
  const clock = (f: number) => new Date(at.getTime() + Math.round(f * elapsedMs));
  const events: EventRowFill[] = [];
  const push = (type: string, data: unknown, f: number) => events.push({ runId: id, seq: events.length + 1, type, data: JSON.stringify(data), createdAt: clock(f) });
  const outputs = JSON.stringify({ answer: text, tokens: chunks });
  push("run_started", { total_steps: version.steps.length }, 0);
  push("step_started", { step_id: step.id, kind: step.kind, attempt: 1 }, 0);
  pieces.forEach((piece, i) => push("text_chunk", { step_id: step.id, text: piece }, (i + 1) / (chunks + 2)));
  const output = JSON.stringify({ text, usage: { total_tokens: chunks } });
  push("step_finished", { step_id: step.id, kind: step.kind, status: "succeeded", output: JSON.parse(output), duration_ms: elapsedMs, attempts: 1, tokens: chunks }, 1);
  push("run_finished", { status: "succeeded", outputs: JSON.parse(outputs), duration_ms: elapsedMs, total_steps: 1, total_tokens: chunks }, 1);
  batch.events.push(...events);
  batch.steps.push({ runId: id, stepId: step.id, kind: step.kind, status: "succeeded", attempts: 1, output, error: null, tokens: chunks, startedAt: clock(0), finishedAt: clock(1) });
  batch.runs.push({
    id, uuid: randomUUID(), workflowId: workflow.id, versionId: version.id, versionNumber: version.number, label: "production", status: "succeeded",
    origin: "api", externalId: LONG_RUN_EXTERNAL_ID, metadata: JSON.stringify({ env: "prod", team: "platform" }), errorCode: null, errorMessage: null,
    errorStep: null, totalSteps: version.steps.length, totalTokens: chunks, lastSeq: events.length, createdById: null, apiKeyId: catalog.apiKeyId,
    parentRunId: null, createdAt: at, startedAt: at, finishedAt: clock(1), elapsedMs, inputs: JSON.stringify({ question: "Tell me a long story.", style: "plain" }), outputs,
  });
}

// ── Writers ──────────────────────────────────────────────────────────────────────────────

interface Writer {
  /** Runs in the workspace, whether the long run exists, the first run's time, and the next free run id. */
  state(): Promise<{ count: number; hasLong: boolean; firstAt: Date | null }>;
  /** Reserves `n` run ids. */
  ids(n: number): Promise<number[]>;
  write(batch: Batch): Promise<void>;
  finish(): Promise<void>;
  size(): Promise<number>;
}

const RUN_COLUMNS = [
  "id", "uuid", "workspaceId", "workflowId", "versionId", "versionNumber", "label", "status", "origin", "externalId", "metadata",
  "errorCode", "errorMessage", "errorStep", "totalSteps", "totalTokens", "lastSeq", "createdById", "apiKeyId", "parentRunId",
  "createdAt", "startedAt", "finishedAt", "elapsedMs",
] as const;
const STEP_COLUMNS = ["runId", "workspaceId", "stepId", "kind", "status", "attempts", "output", "error", "tokens", "startedAt", "finishedAt"] as const;
const EVENT_COLUMNS = ["runId", "seq", "workspaceId", "type", "data", "createdAt"] as const;
const quoted = (cols: readonly string[]) => cols.map((c) => `"${c}"`).join(", ");

async function sqliteWriter(workspaceId: number): Promise<Writer> {
  const { default: Database } = await import("better-sqlite3");
  const file = sqliteFilePath(url);
  const sq = new Database(file);
  sq.pragma("journal_mode = WAL");
  sq.pragma("synchronous = OFF");
  sq.pragma("cache_size = -524288"); // 512 MB
  sq.pragma("foreign_keys = OFF");
  const date = (d: Date | null) => (d ? d.toISOString().replace("Z", "+00:00") : null);
  const insRun = sq.prepare(`INSERT INTO "Run" (${quoted(RUN_COLUMNS)}) VALUES (${RUN_COLUMNS.map(() => "?").join(", ")})`);
  const insPayload = sq.prepare('INSERT INTO "RunPayload" ("runId", "workspaceId", "inputs", "outputs") VALUES (?, ?, ?, ?)');
  const insStep = sq.prepare(`INSERT INTO "StepRun" (${quoted(STEP_COLUMNS)}) VALUES (${STEP_COLUMNS.map(() => "?").join(", ")})`);
  const insEvent = sq.prepare(`INSERT INTO "RunEvent" (${quoted(EVENT_COLUMNS)}) VALUES (${EVENT_COLUMNS.map(() => "?").join(", ")})`);
  let nextId = (sq.prepare('SELECT coalesce(max("id"), 0) + 1 AS n FROM "Run"').get() as { n: number }).n;
  const writeTx = sq.transaction((batch: Batch) => {
    for (const x of batch.runs) {
      insRun.run(x.id, x.uuid, workspaceId, x.workflowId, x.versionId, x.versionNumber, x.label, x.status, x.origin, x.externalId, x.metadata,
        x.errorCode, x.errorMessage, x.errorStep, x.totalSteps, x.totalTokens, x.lastSeq, x.createdById, x.apiKeyId, x.parentRunId,
        date(x.createdAt), date(x.startedAt), date(x.finishedAt), x.elapsedMs);
      insPayload.run(x.id, workspaceId, x.inputs, x.outputs);
    }
    for (const s of batch.steps) {
      insStep.run(s.runId, workspaceId, s.stepId, s.kind, s.status, s.attempts, s.output, s.error, s.tokens, date(s.startedAt), date(s.finishedAt));
    }
    for (const e of batch.events) insEvent.run(e.runId, e.seq, workspaceId, e.type, e.data, date(e.createdAt));
  });
  return {
    async state() {
      const row = sq.prepare('SELECT count(*) AS n, min("createdAt") AS first FROM "Run" WHERE "workspaceId" = ?').get(workspaceId) as { n: number; first: string | null };
      const hasLong = !!sq.prepare('SELECT 1 FROM "Run" WHERE "workspaceId" = ? AND "externalId" = ?').get(workspaceId, LONG_RUN_EXTERNAL_ID);
      return { count: row.n, hasLong, firstAt: row.first ? new Date(row.first) : null };
    },
    async ids(n) {
      return Array.from({ length: n }, () => nextId++);
    },
    async write(batch) {
      writeTx(batch);
    },
    async finish() {
      // No ANALYZE: the app never runs it, so the query planner works from its defaults, as in production.
      sq.pragma("wal_checkpoint(TRUNCATE)");
      sq.close();
    },
    async size() {
      return statSync(file).size;
    },
  };
}

/**
 * COPY … FROM STDIN through pg's Client (which speaks the protocol but ships no helper for
 * it): a submittable that sends the rows when the server asks for them. `rows` are text
 * format lines, already escaped.
 */
function copyIn(pg: import("pg").Client, sql: string, lines: string[]): Promise<void> {
  type Connection = { query(sql: string): void; sendCopyFromChunk(b: Buffer): void; endCopyFrom(): void };
  return new Promise((resolve, reject) => {
    let failure: unknown = null;
    const noop = () => {};
    pg.query({
      submit(connection: Connection) {
        connection.query(sql);
      },
      handleCopyInResponse(connection: Connection) {
        for (let i = 0; i < lines.length; i += 1000) connection.sendCopyFromChunk(Buffer.from(lines.slice(i, i + 1000).join("")));
        connection.endCopyFrom();
      },
      handleError(error: unknown) {
        failure = error;
      },
      handleReadyForQuery() {
        if (failure) reject(failure);
        else resolve();
      },
      handleCommandComplete: noop, handleRowDescription: noop, handleDataRow: noop, handleEmptyQuery: noop,
      handlePortalSuspended: noop, handleCopyData: noop,
    } as never);
  });
}

/** One value in COPY's text format. */
function copyValue(v: unknown): string {
  if (v === null || v === undefined) return "\\N";
  if (v instanceof Date) return v.toISOString();
  const s = String(v);
  return /[\\\t\n\r]/.test(s) ? s.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r") : s;
}
const copyLine = (values: unknown[]) => `${values.map(copyValue).join("\t")}\n`;

async function pgWriter(workspaceId: number): Promise<Writer> {
  const { Client } = await import("pg");
  const pg = new Client({ connectionString: url });
  await pg.connect();
  // Bulk load: nothing waits for the WAL flush (a crash loses at most the last chunk, which a resume redoes).
  await pg.query("SET synchronous_commit = off");
  const copy = (table: string, cols: readonly string[]) => `COPY "${table}" (${quoted(cols)}) FROM STDIN`;
  return {
    async state() {
      // extract(epoch) reads the stored (UTC) timestamp as UTC, whatever the client's time zone.
      const { rows } = await pg.query('SELECT count(*)::int AS n, (extract(epoch FROM min("createdAt")) * 1000)::float8 AS first FROM "Run" WHERE "workspaceId" = $1', [workspaceId]);
      const long = await pg.query('SELECT 1 FROM "Run" WHERE "workspaceId" = $1 AND "externalId" = $2', [workspaceId, LONG_RUN_EXTERNAL_ID]);
      return { count: rows[0].n, hasLong: (long.rowCount ?? 0) > 0, firstAt: rows[0].first == null ? null : new Date(rows[0].first) };
    },
    async ids(n) {
      const { rows } = await pg.query(`SELECT nextval(pg_get_serial_sequence('"Run"', 'id'))::int AS id FROM generate_series(1, $1)`, [n]);
      return rows.map((x) => x.id as number).sort((a, b) => a - b);
    },
    async write(batch) {
      await pg.query("BEGIN");
      try {
        await copyIn(pg, copy("Run", RUN_COLUMNS), batch.runs.map((x) => copyLine([
          x.id, x.uuid, workspaceId, x.workflowId, x.versionId, x.versionNumber, x.label, x.status, x.origin, x.externalId, x.metadata,
          x.errorCode, x.errorMessage, x.errorStep, x.totalSteps, x.totalTokens, x.lastSeq, x.createdById, x.apiKeyId, x.parentRunId,
          x.createdAt, x.startedAt, x.finishedAt, x.elapsedMs,
        ])));
        await copyIn(pg, copy("RunPayload", ["runId", "workspaceId", "inputs", "outputs"]),
          batch.runs.map((x) => copyLine([x.id, workspaceId, x.inputs, x.outputs])));
        await copyIn(pg, copy("StepRun", STEP_COLUMNS), batch.steps.map((s) => copyLine([
          s.runId, workspaceId, s.stepId, s.kind, s.status, s.attempts, s.output, s.error, s.tokens, s.startedAt, s.finishedAt,
        ])));
        await copyIn(pg, copy("RunEvent", EVENT_COLUMNS), batch.events.map((e) => copyLine([e.runId, e.seq, workspaceId, e.type, e.data, e.createdAt])));
        await pg.query("COMMIT");
      } catch (e) {
        await pg.query("ROLLBACK").catch(() => {});
        throw e;
      }
    },
    async finish() {
      // What autovacuum does to a table that has been around a while: statistics, and the
      // visibility map (index-only scans) and hint bits set, so the first reads do not write.
      await pg.query('VACUUM (ANALYZE) "Run", "RunPayload", "StepRun", "RunEvent"');
      await pg.end();
    },
    async size() {
      const c = new Client({ connectionString: url });
      await c.connect();
      const { rows } = await c.query("SELECT pg_database_size(current_database())::bigint AS n");
      await c.end();
      return Number(rows[0].n);
    },
  };
}

// ── Main ─────────────────────────────────────────────────────────────────────────────────

const catalog = await prepareCatalog();
await db.$disconnect();
const writer = provider === "sqlite" ? await sqliteWriter(catalog.actor.workspaceId) : await pgWriter(catalog.actor.workspaceId);
const state = await writer.state();
const done = state.count - (state.hasLong ? 1 : 0);
// The time base is kept across resumes: the first run's time, else six months ago.
const startMs = state.firstAt?.getTime() ?? Date.now() - SPAN_MS;
const pickWorkflow = workflowPicker(catalog);
console.log(`fill: ${provider} ${url.replace(/:[^:@/]+@/, ":***@")} — workspace '${BENCH_WORKSPACE}' has ${done} runs, filling to ${TOTAL}`);

const t0 = performance.now();
let rows = 0;
let lastPrint = t0;
let genMs = 0;
for (let index = done; index < TOTAL; index += CHUNK) {
  const n = Math.min(CHUNK, TOTAL - index);
  const ids = await writer.ids(n);
  const batch: Batch = { runs: [], steps: [], events: [] };
  const g0 = performance.now();
  for (let k = 0; k < n; k++) makeRun(catalog, pickWorkflow, index + k, ids[k], startMs, batch);
  genMs += performance.now() - g0;
  await writer.write(batch);
  rows += batch.runs.length * 2 + batch.steps.length + batch.events.length;
  const now = performance.now();
  if (now - lastPrint > 10_000 || index + n >= TOTAL) {
    lastPrint = now;
    const s = (now - t0) / 1000;
    console.log(`  ${index + n} runs (${(((index + n - done) / s) | 0)} runs/s, ${((rows / s) | 0)} rows/s, ${s.toFixed(0)} s)`);
  }
}
if (!state.hasLong) {
  const batch: Batch = { runs: [], steps: [], events: [] };
  makeLongRun(catalog, (await writer.ids(1))[0], new Date(startMs + SPAN_MS), batch);
  await writer.write(batch);
  rows += 2 + batch.steps.length + batch.events.length;
}
const seconds = (performance.now() - t0) / 1000;
console.log(`fill: wrote ${rows} rows in ${seconds.toFixed(1)} s (${(rows / Math.max(seconds, 0.001)) | 0} rows/s; ${(genMs / 1000).toFixed(1)} s of it making them); finishing…`);
await writer.finish();
console.log(`fill: database size ${((await writer.size()) / 1e9).toFixed(2)} GB`);
process.exit(0);
