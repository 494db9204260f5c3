/**
 * What the generators draw from, built from the fuzz world: ids of this workspace and of the
 * other one, URLs (only ever 127.0.0.1 servers, private addresses the server must refuse,
 * and schemes it must not fetch — never a public host), credentials, run inputs, workflow
 * definitions, multipart bodies. Shared by the OpenAPI-derived and the compatibility cases.
 */
import fc from "fast-check";
import { garbageSegment } from "./request-parts";
import { nastyValue } from "./values";
import { definitions, type FuzzWorld } from "./world";

export interface SharedPools {
  world: FuzzWorld;
  /** URLs a run may be given for a file input (the server fetches these). */
  fileUrl: fc.Arbitrary<string>;
  callbackUrl: fc.Arbitrary<string>;
  /** A file reference in Flowdeck's forms: id, {id}, URL, {url}. */
  fileRef: fc.Arbitrary<unknown>;
  inputName: fc.Arbitrary<string>;
  inputValue: fc.Arbitrary<unknown>;
  /** Run inputs as an object or as a typed list. */
  runInputs: fc.Arbitrary<unknown>;
  runUuid: fc.Arbitrary<string>;
  runNumber: fc.Arbitrary<string>;
  workflowRef: fc.Arbitrary<string>;
  workflowName: fc.Arbitrary<string>;
  workflowUuid: fc.Arbitrary<string>;
  workflowNumber: fc.Arbitrary<string>;
  label: fc.Arbitrary<string>;
  fileId: fc.Arbitrary<string>;
  definition: fc.Arbitrary<unknown>;
  /** A workflow of workspace A with inputs it accepts (name, id or UUID as `ref`). */
  validRunTarget: fc.Arbitrary<{ ref: string; workflow: string; inputs: Record<string, unknown>; label?: string }>;
  /** A run of workspace A (uuid and integer id). */
  ownRun: fc.Arbitrary<{ id: number; uuid: string }>;
  /** multipart/form-data bodies with files under `fileFields` (and text fields, and breakage). */
  multipart(fileFields: string[], textFields: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<{ headers: Record<string, string>; body: Buffer; note: string }>;
  /** An ordinary upload: 1..maxFiles small text files under `fileFields`, plus text fields. */
  wellFormedMultipart(fileFields: string[], maxFiles: number, textFields: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<{ headers: Record<string, string>; body: Buffer; note: string }>;
}

const pick = <T>(...values: T[]) => fc.constantFrom(...values);

export function sharedPools(world: FuzzWorld): SharedPools {
  const files = world.fileServer.origin;
  const port = world.fileServer.port;
  const fileUrl = fc.oneof(
    { weight: 6, arbitrary: pick(`${files}/hello.txt`, `${files}/cities.csv`, `${files}/page.html`, `${files}/empty.txt`, `${files}/binary.bin`) },
    { weight: 3, arbitrary: pick(`${files}/missing.txt`, `${files}/500`, `${files}/redirect-private`, `${files}/redirect-loop`, `${files}/big.txt`) },
    {
      weight: 3,
      // Private or odd addresses: the guard must refuse them without connecting anywhere.
      arbitrary: pick(
        "http://127.0.0.1:1/x", "http://10.255.255.1/x", "http://169.254.169.254/latest/meta-data/", "http://[::1]:1/", "http://localhost:1/",
        "http://0.0.0.0:1/", "http://0177.0.0.1:1/", "http://2130706433:1/", "http://[::ffff:127.0.0.1]:1/", "http://127.1:1/",
        `https://127.0.0.1:${port}/hello.txt`, `http://user:pass@127.0.0.1:${port}/hello.txt`, `http://127.0.0.1:${port}/%2e%2e/hello.txt#x`,
        "ftp://127.0.0.1/x", "file:///etc/passwd", "gopher://127.0.0.1:1/", "data:text/plain;base64,aGk=", "javascript:alert(1)",
        "http://", "http:///x", "http://[", "http://127.0.0.1:99999/", `http://127.0.0.1:${port}/${"a".repeat(3000)}`,
      ),
    },
  );
  const callbackUrl = fc.oneof(
    { weight: 5, arbitrary: fc.constant(`${world.callbackReceiver.origin}/hook`) },
    { weight: 2, arbitrary: pick("http://127.0.0.1:1/hook", "http://10.255.255.1/hook", "http://169.254.169.254/", "http://[::1]:1/") },
    { weight: 2, arbitrary: pick("ftp://127.0.0.1/x", "not a url", "", "http://", `http://127.0.0.1:${port}/${"p".repeat(2100)}`, "javascript:alert(1)") },
  );
  const fileId = fc.oneof(
    { weight: 5, arbitrary: pick(...world.files) },
    { weight: 2, arbitrary: pick(...world.otherFiles) },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: pick(world.files[0].toUpperCase(), `{${world.files[0]}}`, world.files[0].replace(/-/g, "")) },
  );
  const fileRef = fc.oneof(
    { weight: 4, arbitrary: fileId },
    { weight: 2, arbitrary: fileId.map((id) => ({ id })) },
    { weight: 2, arbitrary: fileUrl },
    { weight: 2, arbitrary: fileUrl.map((url) => ({ url })) },
    { weight: 1, arbitrary: fc.record({ id: fileId, name: fc.string(), mime_type: fc.string(), size: fc.integer() }) },
    { weight: 1, arbitrary: nastyValue },
  );

  const names = new Set<string>();
  for (const d of Object.values(definitions)) for (const i of (d as { inputs?: { name: string }[] }).inputs ?? []) names.add(i.name);
  const inputName = fc.oneof({ weight: 8, arbitrary: pick(...names) }, { weight: 1, arbitrary: pick("", "unknown", "__proto__", "constructor", "x".repeat(101)) });
  const inputValue = fc.oneof(
    { weight: 4, arbitrary: fc.string({ maxLength: 30 }) },
    { weight: 2, arbitrary: fc.oneof(fc.integer({ min: -5, max: 200 }), fc.double({ noNaN: true })) },
    { weight: 1, arbitrary: fc.boolean() },
    { weight: 1, arbitrary: pick("plain", "friendly", "formal", "!", "?", ".", "true", "false", "3", "{\"a\":1}") },
    { weight: 3, arbitrary: fileRef },
    { weight: 2, arbitrary: fc.array(fileRef, { maxLength: 5 }) },
    { weight: 2, arbitrary: nastyValue },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );
  const runInputs = fc.oneof(
    { weight: 5, arbitrary: fc.dictionary(inputName, inputValue, { maxKeys: 4 }) },
    {
      weight: 2,
      arbitrary: fc.array(
        fc.record(
          { name: inputName, type: pick("text", "number", "boolean", "select", "json", "file", "file_list", "bogus"), value: inputValue },
          { requiredKeys: ["name"] },
        ),
        { maxLength: 4 },
      ),
    },
    { weight: 1, arbitrary: nastyValue },
  );

  const wf = Object.values(world.workflows);
  const runUuid = fc.oneof(
    { weight: 6, arbitrary: pick(...world.runs.map((r) => r.uuid)) },
    { weight: 2, arbitrary: pick(...world.otherRuns.map((r) => r.uuid)) },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: pick(world.runs[0].uuid.toUpperCase(), String(world.runs[0].id), world.runs[0].uuid.replace(/-/g, "")) },
  );
  const runNumber = fc.oneof(
    { weight: 6, arbitrary: pick(...world.runs.map((r) => String(r.id))) },
    { weight: 2, arbitrary: pick(...world.otherRuns.map((r) => String(r.id))) },
    { weight: 1, arbitrary: pick("0", "-1", "999999999", "2147483648", "99999999999", "999999999999999", "9007199254740993", "1e3", "0x1", " 1", "01", world.runs[0].uuid) },
  );
  const workflowName = fc.oneof(
    { weight: 6, arbitrary: pick(...wf.map((w) => w.name)) },
    { weight: 1, arbitrary: pick("b-doc", "executions", "new", "missing-workflow", "GREET", "greet ", "123") },
  );
  const workflowUuid = fc.oneof(
    { weight: 6, arbitrary: pick(...wf.map((w) => w.uuid)) },
    { weight: 2, arbitrary: pick(...world.otherWorkflows.map((w) => w.uuid)) },
    { weight: 1, arbitrary: fc.uuid() },
  );
  const workflowNumber = fc.oneof(
    { weight: 6, arbitrary: pick(...wf.map((w) => String(w.id))) },
    { weight: 2, arbitrary: pick(...world.otherWorkflows.map((w) => String(w.id))) },
    { weight: 1, arbitrary: pick("0", "-3", "99999999", "2147483648", "999999999999999", "9".repeat(20), "1.0", "abc") },
  );
  const workflowRef = fc.oneof(workflowName, workflowUuid, workflowNumber);
  const label = fc.oneof({ weight: 5, arbitrary: pick("production", "staging") }, { weight: 2, arbitrary: pick("canary", "LATEST", "latest", "fuzz-label", "a".repeat(63), "-bad", "") });

  const configs: Record<string, unknown[]> = {
    template: [{ template: "Hello {{ inputs.name }}" }, { template: "{{ steps.nope.output }}" }, { template: "" }],
    code: [{ code: "return 1 + 1;" }, { code: "return inputs;" }, { code: "throw new Error('x')" }, { code: "return (" }],
    transform: [{ expression: "$count([1,2])" }, { expression: "inputs" }, { expression: "(((" }],
    http: [{ method: "GET", url: `${files}/hello.txt` }, { url: "http://10.255.255.1/" }, { method: "BREW", url: `${files}/x` }],
    extract: [{ file: "{{ inputs.document }}" }, { file: "{{ inputs.document }}", format: "csv" }],
    chunk: [{ text: "{{ inputs.name }}", size: 50, overlap: 0 }, { text: "x", size: 10 }],
    delay: [{ ms: 1 }, { ms: 20, message: "wait" }, { ms: -1 }],
    llm: [{ prompt: "hi" }, { prompt: "hi", messages: [] }],
    branch: [{ cases: [{ when: "true", steps: [] }], else: [] }],
    map: [{ items: "[1,2]", steps: [{ id: "inner", kind: "template", config: { template: "{{ item }}" } }] }],
  };
  const kinds = Object.keys(configs);
  const step = fc.record({
    id: pick("a", "b", "greet", "shout", "result", "read", "x-y"),
    kind: fc.oneof({ weight: 6, arbitrary: pick(...kinds) }, { weight: 1, arbitrary: pick("nope", "", "__proto__", "Template") }),
    config: fc.oneof(...kinds.map((k) => pick(...configs[k]))),
    needs: fc.option(fc.array(pick("a", "b", "greet", "missing"), { maxLength: 2 }), { nil: undefined }),
    timeout_ms: fc.option(pick(1, 100, 5_000), { nil: undefined }),
  }, { requiredKeys: ["id", "kind", "config"] });
  const generatedDefinition = fc.record({
    inputs: fc.option(fc.array(fc.record({ name: pick("name", "document", "n", "1bad"), type: pick("text", "number", "file", "file_list", "select", "bogus") }), { maxLength: 3 }), { nil: undefined }),
    steps: fc.array(step, { minLength: 1, maxLength: 3 }),
    outputs: fc.option(fc.dictionary(pick("out", "x"), pick("{{ steps.a.output }}", "{{ inputs.name }}", "{{ nope }}")), { nil: undefined }),
  }, { requiredKeys: ["steps"] });
  const definition = fc.oneof(
    { weight: 3, arbitrary: pick(definitions.greetV1, definitions.greetV2, definitions.doc, definitions.docs, definitions.fail, definitions.form) },
    { weight: 3, arbitrary: generatedDefinition },
  );

  // Well-formed run targets: a workflow of A and inputs it takes.
  const goodUrl = pick(`${files}/hello.txt`, `${files}/cities.csv`);
  const goodFile = fc.oneof(pick(...world.files.slice(0, 2)), goodUrl, goodUrl.map((url) => ({ url })), pick(world.files[0]).map((id) => ({ id })));
  const text = fc.string({ minLength: 1, maxLength: 24 });
  const byWorkflow: Record<string, fc.Arbitrary<{ inputs: Record<string, unknown>; label?: string }>> = {
    greet: fc.oneof(
      fc.record({ inputs: fc.record({ name: text }) }),
      fc.record({ inputs: fc.record({ name: text, punctuation: pick("!", "?", ".") }), label: fc.constant("staging") }),
      fc.record({ inputs: fc.constant({}), label: fc.constant("production") }),
    ),
    doc: fc.record({ inputs: fc.record({ document: goodFile }) }),
    docs: fc.record({ inputs: fc.record({ documents: fc.array(goodFile, { minLength: 1, maxLength: 3 }), note: text }, { requiredKeys: ["documents"] }) }),
    form: fc.record({
      inputs: fc.record({
        title: text, notes: text, count: fc.integer({ min: 1, max: 5 }), loud: fc.boolean(), tone: pick("plain", "friendly", "formal"),
        settings: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }), attachments: fc.array(goodFile, { maxLength: 2 }),
      }, { requiredKeys: [] }),
    }),
    fail: fc.constant({ inputs: {} }),
    nap: fc.constant({ inputs: {} }),
  };
  const validRunTarget = fc.constantFrom(...Object.keys(byWorkflow)).chain((name) => {
    const w = world.workflows[name as keyof typeof world.workflows];
    return fc.tuple(pick(w.name, w.name, String(w.id), w.uuid), byWorkflow[name]).map(([ref, r]) => ({ ref, workflow: name, ...r }));
  });
  const ownRun = pick(...world.runs);

  return {
    world, fileUrl, callbackUrl, fileRef, inputName, inputValue, runInputs, runUuid, runNumber, workflowRef, workflowName, workflowUuid,
    workflowNumber, label, fileId, definition, validRunTarget, ownRun,
    multipart: (fileFields, textFields) => multipartArb(fileFields, textFields),
    wellFormedMultipart: (fileFields, maxFiles, textFields) => {
      const file = fc.record({
        name: pick(...fileFields),
        filename: pick("hello.txt", "data.csv", "notes.txt"),
        data: pick("hello world\n", "a,b\n1,2\n", "one two three\n").map((t) => Buffer.from(t)),
      }).map((f) => ({ ...f, type: f.filename.endsWith(".csv") ? "text/csv" : "text/plain" }));
      const texts = Object.entries(textFields).map(([name, value]) => value.map((v) => ({ name, data: Buffer.from(v) }) as Part));
      return fc.tuple(fc.array(file, { minLength: 1, maxLength: maxFiles }), fc.tuple(...texts)).map(([fs, ts]) => {
        const boundary = "----fuzzWellFormed";
        const parts = [...fs, ...(ts as Part[])];
        return { headers: { "content-type": `multipart/form-data; boundary=${boundary}` }, body: encodeMultipart(parts, boundary), note: `multipart: ${fs.map((f) => f.filename).join(", ")}` };
      });
    },
  };
}

// ── multipart/form-data ──────────────────────────────────────────────────────────────────

interface Part {
  name: string;
  filename?: string;
  type?: string;
  data: Buffer;
}

/**
 * The body of a multipart request. Part headers go out as UTF-8 (what clients send) or as
 * Latin-1, which turns characters past U+00FF into single bytes — CR and LF among them.
 */
function encodeMultipart(parts: Part[], boundary: string, headerEncoding: "utf8" | "latin1" = "utf8"): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"` : ""}`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${p.type ? `Content-Type: ${p.type}\r\n` : ""}\r\n`, headerEncoding));
    chunks.push(p.data, Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

const fileData = fc.oneof(
  { weight: 6, arbitrary: pick("hello world\n", "a,b\n1,2\n", "", "\u0000\u0001\u0002", "%PDF-1.4 not really", "<html><body>hi</body></html>").map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u)) },
  { weight: 1, arbitrary: pick(1_000_001, 2_000_000).map((n) => Buffer.alloc(n, 0x61)) },
);

const fileName = fc.oneof(
  { weight: 6, arbitrary: pick("hello.txt", "data.csv", "report.pdf", "page.html", "photo.png", "noext") },
  { weight: 2, arbitrary: pick("", "../../etc/passwd", "..\\..\\boot.ini", "a\u0000b.txt", "ünïcødé 名前.txt", "x".repeat(300) + ".txt", ".", "..", "con.txt", "a/b/c.txt", "%2e%2e%2f.txt") },
);

const mimeType = pick("text/plain", "text/csv", "application/pdf", "text/html", "image/png", "application/octet-stream", "", "bogus", "text/plain; charset=utf-16");

function multipartArb(fileFields: string[], textFields: Record<string, fc.Arbitrary<string>>) {
  const filePart = fc.record({
    name: fc.oneof({ weight: 6, arbitrary: pick(...fileFields) }, { weight: 1, arbitrary: pick("other", "", "file[]", "FILE") }),
    filename: fc.option(fileName, { freq: 10, nil: undefined }),
    type: fc.option(mimeType, { freq: 6, nil: undefined }),
    data: fileData,
  });
  const textPart = fc.oneof(
    ...Object.entries(textFields).map(([name, value]) => value.map((v) => ({ name, data: Buffer.from(v) }) as Part)),
    fc.record({ name: pick(...fileFields, "extra", "user"), data: fc.oneof(fc.string({ maxLength: 20 }), pick("x".repeat(70_000))).map((s) => Buffer.from(s)) }),
  );
  const parts = fc.tuple(fc.array(filePart, { maxLength: 3 }), fc.array(textPart, { maxLength: 3 }), fc.boolean())
    .map(([f, t, textFirst]) => (textFirst ? [...t, ...f] : [...f, ...t]) as Part[]);
  const wellFormed = fc.tuple(parts, pick("----fuzzBoundary7MA4YWxk", "x", "a".repeat(70), "b=c;d"), pick(
    (b: string) => `multipart/form-data; boundary=${b}`,
    (b: string) => `multipart/form-data; boundary="${b}"`,
    (b: string) => `MULTIPART/FORM-DATA; BOUNDARY=${b}`,
  ), pick<"utf8" | "latin1">("utf8", "utf8", "latin1")).map(([ps, boundary, type, encoding]) => ({
    headers: { "content-type": type(boundary) },
    body: encodeMultipart(ps, boundary, encoding),
    note: `multipart: ${ps.map((p) => `${p.name}${p.filename !== undefined ? `(file ${JSON.stringify(p.filename.slice(0, 30))}, ${p.data.byteLength} B, ${p.type ?? "-"})` : `=${JSON.stringify(p.data.toString().slice(0, 20))}`}`).join(", ") || "(no parts)"}`,
  }));
  const broken = fc.tuple(parts, pick("truncated", "wrong-boundary", "no-boundary", "no-final", "garbage", "empty", "not-multipart", "header-only")).map(([ps, how]) => {
    const boundary = "----fuzzBoundary7MA4YWxk";
    const full = encodeMultipart(ps.length ? ps : [{ name: fileFields[0], filename: "a.txt", type: "text/plain", data: Buffer.from("abc") }], boundary);
    const type = `multipart/form-data; boundary=${boundary}`;
    const variants: Record<string, { headers: Record<string, string>; body: Buffer }> = {
      truncated: { headers: { "content-type": type }, body: full.subarray(0, Math.floor(full.byteLength / 2)) },
      "wrong-boundary": { headers: { "content-type": "multipart/form-data; boundary=other" }, body: full },
      "no-boundary": { headers: { "content-type": "multipart/form-data" }, body: full },
      "no-final": { headers: { "content-type": type }, body: full.subarray(0, full.byteLength - `--${boundary}--\r\n`.length) },
      garbage: { headers: { "content-type": type }, body: Buffer.from("\u0000\u00ff garbage without parts") },
      empty: { headers: { "content-type": type }, body: Buffer.alloc(0) },
      "not-multipart": { headers: { "content-type": "application/json" }, body: Buffer.from("{\"file\":\"x\"}") },
      "header-only": { headers: { "content-type": type }, body: Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${fileFields[0]}"; filename="a.txt"\r\n`) },
    };
    return { ...variants[how], note: `multipart broken: ${how}` };
  });
  return fc.oneof({ weight: 5, arbitrary: wellFormed }, { weight: 2, arbitrary: broken });
}

// ── Credentials ─────────────────────────────────────────────────────────────────────────

export type AuthArb = fc.Arbitrary<{ headers: Record<string, string>; note: string }>;

/**
 * Credentials in the header a product's clients use: mostly `good` (weights), sometimes none,
 * garbage, a revoked key or another workspace's key.
 */
export function authArb(world: FuzzWorld, header: "authorization" | string, good: [string, string, number][]): AuthArb {
  const put = (key: string) => (header === "authorization" ? { authorization: `Bearer ${key}` } : { [header]: key });
  return fc.oneof(
    ...good.map(([name, key, weight]) => ({ weight, arbitrary: fc.constant({ headers: put(key), note: `key ${name}` }) })),
    { weight: 1, arbitrary: fc.constant({ headers: put(world.keys.otherWorkspace), note: "key of the other workspace" }) },
    { weight: 1, arbitrary: fc.constant({ headers: put(world.keys.revoked), note: "revoked key" }) },
    { weight: 1, arbitrary: fc.constant({ headers: {}, note: "no key" }) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        pick("", "Bearer", "Bearer ", "Basic YTpi", "bearer fd_nope", `Bearer ${world.keys.admin}x`, `Bearer  ${world.keys.admin}  `, `Token ${world.keys.admin}`)
          .map((v) => ({ headers: header === "authorization" ? { authorization: v } : { [header]: v.replace(/^Bearer\s*/, "") }, note: `odd auth ${JSON.stringify(v.slice(0, 24))}` })),
        garbageSegment.filter((s) => /^[\t\x20-\x7e\x80-\xff]*$/.test(s)).map((v) => ({ headers: put(v), note: `garbage key ${JSON.stringify(v.slice(0, 24))}` })),
      ),
    },
  );
}
