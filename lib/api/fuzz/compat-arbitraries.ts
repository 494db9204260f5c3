/**
 * Hand-written generators for the five compatibility APIs (docs/compat/*.md) and the share
 * stream: each product's paths, its credential header, bodies shaped like its clients' (then
 * mutated and mis-encoded like the OpenAPI ones), multipart uploads for the file routes.
 */
import fc from "fast-check";
import type { ErrorShape, HttpCase } from "./http-case";
import { brokenJsonBody, encodeJsonBody, garbageSegment, oddHeaders, type EncodedBody } from "./request-parts";
import { authArb, type AuthArb, type SharedPools } from "./pools";
import { applyMutations, mutationArb, nastyValue, toJsonText } from "./values";

const pick = <T = unknown>(...values: T[]) => fc.constantFrom(...values);
const any = (...values: unknown[]) => fc.constantFrom<unknown>(...values);

/** A JSON body from `value`: as is, mutated, mis-encoded or broken. */
function jsonBody(value: fc.Arbitrary<unknown>, opts: { optional?: boolean } = {}): fc.Arbitrary<EncodedBody> {
  const mutated = fc.tuple(value, fc.oneof(
    { weight: 5, arbitrary: fc.constant([]) },
    { weight: 4, arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: 3 }) },
  )).map(([v, ms]) => applyMutations(v, ms));
  return fc.oneof(
    { weight: 20, arbitrary: mutated.chain(({ value: v, notes }) => encodeJsonBody(v, ["application/json"]).map((e) => ({ ...e, note: [e.note, ...notes].join("; ") }))) },
    { weight: 4, arbitrary: brokenJsonBody },
    { weight: opts.optional ? 4 : 1, arbitrary: fc.constant<EncodedBody>({ headers: {}, note: "no body" }) },
  );
}

const noBody: fc.Arbitrary<EncodedBody> = fc.oneof(
  { weight: 10, arbitrary: fc.constant<EncodedBody>({ headers: {}, note: "" }) },
  { weight: 1, arbitrary: fc.constant<EncodedBody>({ headers: { "content-type": "application/json" }, body: Buffer.from("{\"x\":1}"), note: "unexpected body" }) },
);

/** One path segment: a pool value (encoded) or garbage (sometimes raw). */
function segment(pool: fc.Arbitrary<string>): fc.Arbitrary<{ text: string; note: string; miss: boolean }> {
  return fc.tuple(fc.oneof({ weight: 5, arbitrary: pool }, { weight: 2, arbitrary: garbageSegment }), fc.nat(9)).map(([value, n]) => {
    const raw = n === 0 && /^[\x21-\x7e]*$/.test(value);
    let text: string;
    try {
      text = raw ? value : encodeURIComponent(value);
    } catch {
      text = encodeURIComponent(value.replace(/[\ud800-\udfff]/g, "\ufffd"));
    }
    const miss = value === "" || value === "." || value === ".." || (raw && /[/\\?#%]/.test(value));
    return { text, note: `${JSON.stringify(value.length > 50 ? `${value.slice(0, 50)}…` : value)}${raw ? " (raw)" : ""}`, miss };
  });
}

interface CompatSpec {
  family: string;
  method: string;
  shape: ErrorShape;
  /** The target (path and query). */
  target: fc.Arbitrary<{ target: string; notes: string[]; miss?: boolean }>;
  body: fc.Arbitrary<EncodedBody>;
  auth: AuthArb;
}

function compatCase(spec: CompatSpec): fc.Arbitrary<HttpCase> {
  return fc.record({ target: spec.target, body: spec.body, auth: spec.auth, odd: oddHeaders }).map((r) => ({
    family: spec.family,
    method: spec.method,
    target: r.target.target,
    headers: { ...r.odd.headers, ...r.auth.headers, ...r.body.headers },
    body: r.body.body,
    shape: spec.shape,
    mayMissRoute: r.target.miss ?? false,
    notes: [r.auth.note, ...r.target.notes, r.body.note, r.odd.note].filter(Boolean),
  }));
}

const fixed = (target: string) => fc.constant({ target, notes: [] as string[] });
const withSegment = (pool: fc.Arbitrary<string>, build: (s: string) => string) =>
  segment(pool).map((s) => ({ target: build(s.text), notes: [`id=${s.note}`], miss: s.miss }));
const q = (pairs: [string, string | undefined][]) => {
  const kept = pairs.filter(([, v]) => v !== undefined) as [string, string][];
  return kept.length ? `?${kept.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v.replace(/[\ud800-\udfff]/g, "\ufffd"))}`).join("&")}` : "";
};

/** The endpoint (as lib/compat lists it) each compatibility family sends its cases to. */
export const COMPAT_FAMILY_ENDPOINTS: Record<string, { method: string; path: string }> = {
  "dify:run": { method: "POST", path: "/v1/workflows/run" },
  "dify:getRun": { method: "GET", path: "/v1/workflows/run/:id" },
  "dify:stop": { method: "POST", path: "/v1/workflows/tasks/:task_id/stop" },
  "dify:upload": { method: "POST", path: "/v1/files/upload" },
  "vellum:execute": { method: "POST", path: "/v1/execute-workflow" },
  "vellum:stream": { method: "POST", path: "/v1/execute-workflow-stream" },
  "vellum:async": { method: "POST", path: "/v1/execute-workflow-async" },
  "vellum:status": { method: "GET", path: "/v1/workflows/executions/:id/status" },
  "promptlayer:run": { method: "POST", path: "/workflows/:workflow_name/run" },
  "promptlayer:results": { method: "GET", path: "/workflow-version-execution-results" },
  "promptlayer:wsToken": { method: "POST", path: "/ws-token-request-library" },
  "datalab:execute": { method: "POST", path: "/api/v1/workflows/workflows/:workflow_id/execute" },
  "datalab:getExecution": { method: "GET", path: "/api/v1/workflows/executions/:execution_id" },
  "unstructured:run": { method: "POST", path: "/api/v1/workflows/:workflow/run" },
  "unstructured:getJob": { method: "GET", path: "/api/v1/jobs/:job_id" },
  "unstructured:cancel": { method: "POST", path: "/api/v1/jobs/:job_id/cancel" },
};

/** Every compatibility family: name → arbitrary of cases. */
export function compatFamilies(p: SharedPools): Record<string, fc.Arbitrary<HttpCase>> {
  const { world } = p;
  const userField = fc.oneof({ weight: 6, arbitrary: pick("user-1", "fuzzer", "Ada Lovelace") }, { weight: 1, arbitrary: pick("", " ", "u".repeat(256)) }, { weight: 1, arbitrary: nastyValue });

  // ── Dify ──
  const difyAuth = authArb(world, "authorization", [["bound to greet", world.keys.boundGreet, 5], ["bound to doc", world.keys.boundDoc, 3], ["unbound admin", world.keys.admin, 1]]);
  const difyFile = fc.record({
    type: fc.oneof({ weight: 5, arbitrary: pick("document", "image", "audio", "video", "custom") }, { weight: 1, arbitrary: any("bogus", "", null) }),
    transfer_method: fc.oneof({ weight: 5, arbitrary: pick("local_file", "remote_url") }, { weight: 1, arbitrary: any("tool_file", "", null, 3) }),
    upload_file_id: p.fileId,
    url: p.fileUrl,
  }, { requiredKeys: ["transfer_method"] });
  const difyInputs = fc.dictionary(p.inputName, fc.oneof({ weight: 3, arbitrary: p.inputValue }, { weight: 3, arbitrary: difyFile }, { weight: 1, arbitrary: fc.array(difyFile, { maxLength: 3 }) }), { maxKeys: 3 });
  const difyRun = fc.record({
    inputs: fc.oneof({ weight: 6, arbitrary: difyInputs }, { weight: 1, arbitrary: nastyValue }),
    response_mode: fc.oneof({ weight: 6, arbitrary: pick("blocking", "streaming") }, { weight: 1, arbitrary: pick(null, "async", "BLOCKING", "") }),
    user: userField,
  }, { requiredKeys: [] });

  // ── Vellum ──
  const vellumAuth = authArb(world, "x-api-key", [["admin", world.keys.admin, 6], ["member", world.keys.member, 2], ["bound to greet", world.keys.boundGreet, 1]]);
  const dataUrl = pick(
    "data:text/plain;base64,aGVsbG8gdmVsbHVt", "data:text/csv,a%2Cb%0A1%2C2", "data:,plain%20text", "data:text/plain;name=a.txt;base64,aGk=",
    "data:text/plain,100%", "data:text/plain,%E0%A4%A", "data:text/plain;base64,!!!not-base64", "data:;base64,", "data:image/png;base64,iVBORw0KGgo=",
    `data:text/plain;base64,${Buffer.alloc(400_000, 0x61).toString("base64")}`,
  );
  const mediaSrc = fc.oneof(p.fileUrl, dataUrl, p.fileId, p.fileId.map((id) => `vellum:uploaded-file:${id}`), fc.string({ maxLength: 10 }));
  const vellumInput = fc.oneof(
    fc.record({ name: p.inputName, type: fc.constant("STRING"), value: fc.oneof(fc.string({ maxLength: 20 }), pick("true", "false", "friendly", "!")) }),
    fc.record({ name: p.inputName, type: fc.constant("NUMBER"), value: fc.oneof(fc.integer({ min: -5, max: 200 }), fc.double({ noNaN: true })) }),
    fc.record({ name: p.inputName, type: fc.constant("JSON"), value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.array(mediaSrc, { maxLength: 3 }), fc.array(fc.record({ src: mediaSrc }), { maxLength: 2 })) }),
    fc.record({ name: p.inputName, type: fc.constant("CHAT_HISTORY"), value: fc.array(fc.record({ role: pick("USER", "ASSISTANT", "SYSTEM", "FUNCTION", "bogus"), text: fc.string({ maxLength: 10 }) }), { maxLength: 3 }) }),
    fc.record({
      name: p.inputName, type: pick("DOCUMENT", "IMAGE", "AUDIO", "VIDEO"),
      value: fc.record({ src: mediaSrc, metadata: fc.option(fc.record({ filename: pick("a.txt", "b.csv", "", "../x.txt") }), { nil: undefined }) }, { requiredKeys: ["src"] }),
    }),
    fc.record({ name: p.inputName, type: pick("FUNCTION_CALL", "ERROR", "ARRAY", "bogus", ""), value: p.inputValue }),
  );
  const vellumBody = fc.record({
    inputs: fc.oneof({ weight: 8, arbitrary: fc.array(vellumInput, { maxLength: 4 }) }, { weight: 1, arbitrary: nastyValue }),
    workflow_deployment_id: fc.oneof(p.workflowUuid, p.workflowNumber, pick("not-a-uuid", "")),
    workflow_deployment_name: p.workflowName,
    release_tag: fc.oneof(p.label, any("LATEST", null)),
    external_id: fc.oneof(any("v-ext-1", "v-ext-2", null), fc.string({ minLength: 1, maxLength: 10 })),
    metadata: fc.oneof(fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }), any(null)),
    previous_execution_id: fc.option(fc.string(), { nil: undefined }),
    event_types: any(["WORKFLOW"], ["WORKFLOW", "NODE"], ["NODE"], [], null, ["BOGUS"]),
  }, { requiredKeys: ["inputs"] });
  const vellumTarget = (path: string) => fixed(path);

  // ── PromptLayer ──
  const plAuth = authArb(world, "x-api-key", [["admin", world.keys.admin, 6], ["member", world.keys.member, 2], ["bound to greet", world.keys.boundGreet, 1]]);
  const plBody = fc.record({
    workflow_label_name: fc.oneof(p.label, any(null)),
    workflow_version_number: any(1, 2, 3, "2", "v2", 0, -1, 1.5, null),
    input_variables: fc.oneof({ weight: 6, arbitrary: fc.dictionary(p.inputName, p.inputValue, { maxKeys: 3 }) }, { weight: 1, arbitrary: nastyValue }),
    metadata: fc.oneof(fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 10 }), { maxKeys: 3 }), any(null, { "": "x" })),
    return_all_outputs: fc.oneof(fc.boolean(), any(null, "true")),
    callback_url: fc.oneof(p.callbackUrl, any(null)),
  }, { requiredKeys: [] });
  const flag = pick("true", "false", "1", "0", "TRUE", "yes", "", " true ");

  // ── Datalab ──
  const datalabAuth = authArb(world, "x-api-key", [["admin", world.keys.admin, 6], ["member", world.keys.member, 2], ["bound to doc", world.keys.boundDoc, 1]]);
  const datalabBody = fc.record({
    input_config: fc.oneof(
      { weight: 6, arbitrary: fc.record({
        type: pick("single_file", "file_list", "bogus", undefined),
        file_url: p.fileUrl,
        file_urls: fc.array(p.fileUrl, { maxLength: 3 }),
        bucket: any("b", { name: "b" }),
        prefix: pick("p/"),
      }, { requiredKeys: [] }) },
      { weight: 1, arbitrary: any(null, "https://x", [], 3) },
    ),
  }, { requiredKeys: [] });

  // ── Unstructured ──
  const unstructuredAuth = authArb(world, "unstructured-api-key", [["admin", world.keys.admin, 6], ["member", world.keys.member, 2], ["bound to doc", world.keys.boundDoc, 1]]);
  const unstructuredBody: fc.Arbitrary<EncodedBody> = fc.oneof(
    { weight: 6, arbitrary: p.multipart(["input_files", "input_files[]"], { extra: fc.string({ maxLength: 10 }) }) },
    { weight: 1, arbitrary: fc.constant<EncodedBody>({ headers: {}, note: "no body" }) },
    { weight: 1, arbitrary: fc.constant<EncodedBody>({ headers: { "content-type": "multipart/form-data; boundary=x", "content-length": "0" }, body: Buffer.alloc(0), note: "empty multipart" }) },
    { weight: 1, arbitrary: brokenJsonBody },
  );

  const hostile: Record<string, fc.Arbitrary<HttpCase>> = {
    "dify:run": compatCase({ family: "dify:run", method: "POST", shape: "dify", target: fixed("/v1/workflows/run"), body: jsonBody(difyRun), auth: difyAuth }),
    "dify:getRun": compatCase({
      family: "dify:getRun", method: "GET", shape: "dify", target: withSegment(p.runUuid, (s) => `/v1/workflows/run/${s}`), body: noBody, auth: difyAuth,
    }),
    "dify:stop": compatCase({
      family: "dify:stop", method: "POST", shape: "dify", target: withSegment(p.runUuid, (s) => `/v1/workflows/tasks/${s}/stop`),
      body: jsonBody(fc.record({ user: userField }, { requiredKeys: [] })), auth: difyAuth,
    }),
    "dify:upload": compatCase({
      family: "dify:upload", method: "POST", shape: "dify", target: fixed("/v1/files/upload"),
      body: fc.oneof({ weight: 8, arbitrary: p.multipart(["file"], { user: fc.string({ maxLength: 12 }) }) }, { weight: 1, arbitrary: brokenJsonBody }),
      auth: difyAuth,
    }),
    "vellum:execute": compatCase({ family: "vellum:execute", method: "POST", shape: "vellum", target: vellumTarget("/v1/execute-workflow"), body: jsonBody(vellumBody), auth: vellumAuth }),
    "vellum:stream": compatCase({ family: "vellum:stream", method: "POST", shape: "vellum", target: vellumTarget("/v1/execute-workflow-stream"), body: jsonBody(vellumBody), auth: vellumAuth }),
    "vellum:async": compatCase({ family: "vellum:async", method: "POST", shape: "vellum", target: vellumTarget("/v1/execute-workflow-async"), body: jsonBody(vellumBody), auth: vellumAuth }),
    "vellum:status": compatCase({
      family: "vellum:status", method: "GET", shape: "vellum", target: withSegment(p.runUuid, (s) => `/v1/workflows/executions/${s}/status`), body: noBody, auth: vellumAuth,
    }),
    "promptlayer:run": compatCase({
      family: "promptlayer:run", method: "POST", shape: "promptlayer", target: withSegment(p.workflowName, (s) => `/workflows/${s}/run`),
      body: jsonBody(plBody, { optional: true }), auth: plAuth,
    }),
    "promptlayer:results": compatCase({
      family: "promptlayer:results", method: "GET", shape: "promptlayer",
      target: fc.tuple(fc.option(fc.oneof(p.runNumber, garbageSegment), { freq: 8, nil: undefined }), fc.option(flag, { nil: undefined })).map(([id, all]) => ({
        target: `/workflow-version-execution-results${q([["workflow_version_execution_id", id], ["return_all_outputs", all]])}`, notes: [`id=${JSON.stringify(id)} all=${JSON.stringify(all)}`],
      })),
      body: noBody, auth: plAuth,
    }),
    "promptlayer:wsToken": compatCase({
      family: "promptlayer:wsToken", method: "POST", shape: "promptlayer",
      target: fc.option(fc.oneof(p.runNumber.map((id) => `workflow_updates:${id}`), garbageSegment, pick("workflow_updates:", "workflow_updates:99999999999999999999", "other:1")), { freq: 8, nil: undefined })
        .map((cap) => ({ target: `/ws-token-request-library${q([["capability", cap]])}`, notes: [`capability=${JSON.stringify(cap)}`] })),
      body: noBody, auth: plAuth,
    }),
    "datalab:execute": compatCase({
      family: "datalab:execute", method: "POST", shape: "fastapi", target: withSegment(p.workflowNumber, (s) => `/api/v1/workflows/workflows/${s}/execute`),
      body: jsonBody(datalabBody, { optional: true }), auth: datalabAuth,
    }),
    "datalab:getExecution": compatCase({
      family: "datalab:getExecution", method: "GET", shape: "fastapi", target: withSegment(p.runNumber, (s) => `/api/v1/workflows/executions/${s}`), body: noBody, auth: datalabAuth,
    }),
    "unstructured:run": compatCase({
      family: "unstructured:run", method: "POST", shape: "fastapi", target: withSegment(p.workflowUuid, (s) => `/api/v1/workflows/${s}/run`), body: unstructuredBody, auth: unstructuredAuth,
    }),
    "unstructured:getJob": compatCase({
      family: "unstructured:getJob", method: "GET", shape: "fastapi", target: withSegment(p.runUuid, (s) => `/api/v1/jobs/${s}`), body: noBody, auth: unstructuredAuth,
    }),
    "unstructured:cancel": compatCase({
      family: "unstructured:cancel", method: "POST", shape: "fastapi", target: withSegment(p.runUuid, (s) => `/api/v1/jobs/${s}/cancel`), body: noBody, auth: unstructuredAuth,
    }),
    "share:events": compatCase({
      family: "share:events", method: "GET", shape: "flowdeck",
      target: fc.tuple(
        segment(fc.oneof({ weight: 4, arbitrary: pick(world.shareTokens.live) }, { weight: 1, arbitrary: pick(world.shareTokens.revoked, world.shareTokens.expired, world.shareTokens.other, world.shareTokens.live.slice(0, -1)) })),
        fc.option(pick("0", "1", "-1", "abc", "99999999999999999999"), { nil: undefined }),
      ).map(([s, after]) => ({ target: `/api/share/${s.text}/events${q([["after", after]])}`, notes: [`token=${s.note}`], miss: s.miss })),
      body: noBody,
      auth: fc.oneof({ weight: 5, arbitrary: fc.constant({ headers: {}, note: "" }) }, { weight: 1, arbitrary: pick("0", "2", "-5", "x").map((v) => ({ headers: { "last-event-id": v }, note: `Last-Event-ID ${v}` })) }),
    }),
  };

  // ── Well-formed requests (things each product should accept) ──
  const files = world.fileServer.origin;
  const text = fc.string({ minLength: 1, maxLength: 20 });
  const goodUrl = pick(`${files}/hello.txt`, `${files}/cities.csv`);
  const key = (name: string, headers: Record<string, string>) => fc.constant({ headers, note: `key ${name}` });
  // One well-formed body in three gets one mutation: near-valid requests reach the deepest checks.
  const json = (value: fc.Arbitrary<unknown>) => fc.tuple(value, fc.option(mutationArb, { freq: 2, nil: undefined })).map(([v, m]): EncodedBody => {
    const { value: out, notes } = m ? applyMutations(v, [m]) : { value: v, notes: [] as string[] };
    return { headers: { "content-type": "application/json" }, body: Buffer.from(toJsonText(out)), note: ["json", ...notes].join("; ") };
  });
  const ownRunUuid = p.ownRun.map((r) => r.uuid);
  const ownRunId = p.ownRun.map((r) => String(r.id));
  const greetRun = pick(world.runs[0].uuid, world.runs[1].uuid);
  const w = world.workflows;
  const valid = (family: string, method: string, shape: ErrorShape, target: fc.Arbitrary<string>, body: fc.Arbitrary<EncodedBody>, auth: AuthArb) =>
    compatCase({ family, method, shape, target: target.map((t) => ({ target: t, notes: ["well-formed"] })), body, auth });

  const difyValid = fc.oneof(
    fc.record({
      auth: key("bound to greet", { authorization: `Bearer ${world.keys.boundGreet}` }),
      body: json(fc.record({ inputs: fc.record({ name: text }), response_mode: pick("blocking", "streaming"), user: text })),
    }),
    fc.record({
      auth: key("bound to doc", { authorization: `Bearer ${world.keys.boundDoc}` }),
      body: json(fc.record({
        inputs: fc.record({
          document: fc.oneof(
            pick(...world.files.slice(0, 2)).map((id) => ({ type: "document", transfer_method: "local_file", upload_file_id: id })),
            fc.oneof({ weight: 4, arbitrary: goodUrl }, { weight: 1, arbitrary: p.fileUrl }).map((url) => ({ type: "document", transfer_method: "remote_url", url })),
          ),
        }),
        response_mode: pick("blocking", "streaming"), user: text,
      })),
    }),
  );
  const vellumValid = fc.oneof(
    fc.record({
      workflow_deployment_name: fc.constant("greet"), release_tag: fc.option(pick("production", "LATEST"), { nil: undefined }),
      inputs: text.map((v) => [{ name: "name", type: "STRING", value: v }]), external_id: fc.option(fc.oneof(fc.uuid(), pick("v-same-1")), { nil: undefined }),
      event_types: fc.option(pick(["WORKFLOW", "NODE"]), { nil: undefined }),
    }, { requiredKeys: ["inputs"] }),
    fc.record({
      workflow_deployment_id: pick(w.doc.uuid, String(w.doc.id)),
      inputs: fc.oneof(
        { weight: 4, arbitrary: fc.oneof(goodUrl, pick("data:text/plain;base64,aGVsbG8gdmVsbHVt", "data:text/csv,a%2Cb%0A1%2C2"), pick(...world.files.slice(0, 2))) },
        { weight: 1, arbitrary: mediaSrc },
      ).map((src) => [{ name: "document", type: "DOCUMENT", value: { src, metadata: { filename: "in.txt" } } }]),
    }),
  );
  const vellumKey = key("admin", { "x-api-key": world.keys.admin });

  const validFamilies: Record<string, fc.Arbitrary<HttpCase>> = {
    "dify:run": difyValid.chain(({ auth, body }) => valid("dify:run", "POST", "dify", fc.constant("/v1/workflows/run"), fc.constant(body), fc.constant(auth))),
    "dify:getRun": valid("dify:getRun", "GET", "dify", greetRun.map((id) => `/v1/workflows/run/${id}`), noBody, key("bound to greet", { authorization: `Bearer ${world.keys.boundGreet}` })),
    "dify:stop": valid("dify:stop", "POST", "dify", greetRun.map((id) => `/v1/workflows/tasks/${id}/stop`), json(fc.record({ user: text })),
      key("bound to greet", { authorization: `Bearer ${world.keys.boundGreet}` })),
    "dify:upload": valid("dify:upload", "POST", "dify", fc.constant("/v1/files/upload"), p.wellFormedMultipart(["file"], 1, { user: text }),
      key("bound to doc", { authorization: `Bearer ${world.keys.boundDoc}` })),
    "vellum:execute": valid("vellum:execute", "POST", "vellum", fc.constant("/v1/execute-workflow"), json(vellumValid), vellumKey),
    "vellum:stream": valid("vellum:stream", "POST", "vellum", fc.constant("/v1/execute-workflow-stream"), json(vellumValid), vellumKey),
    "vellum:async": valid("vellum:async", "POST", "vellum", fc.constant("/v1/execute-workflow-async"), json(vellumValid), vellumKey),
    "vellum:status": valid("vellum:status", "GET", "vellum", ownRunUuid.map((id) => `/v1/workflows/executions/${id}/status`), noBody, vellumKey),
    "promptlayer:run": valid("promptlayer:run", "POST", "promptlayer", fc.constant("/workflows/greet/run"), json(fc.record({
      input_variables: fc.record({ name: text }), workflow_label_name: fc.option(pick("production", "staging"), { nil: undefined }),
      return_all_outputs: fc.boolean(), callback_url: fc.option(fc.constant(`${world.callbackReceiver.origin}/pl`), { nil: undefined }),
    }, { requiredKeys: ["input_variables"] })), vellumKey),
    "promptlayer:results": valid("promptlayer:results", "GET", "promptlayer",
      fc.tuple(ownRunId, pick("true", "false")).map(([id, all]) => `/workflow-version-execution-results?workflow_version_execution_id=${id}&return_all_outputs=${all}`), noBody, vellumKey),
    "promptlayer:wsToken": valid("promptlayer:wsToken", "POST", "promptlayer", ownRunId.map((id) => `/ws-token-request-library?capability=workflow_updates:${id}`), noBody, vellumKey),
    "datalab:execute": fc.oneof(
      valid("datalab:execute", "POST", "fastapi", fc.constant(`/api/v1/workflows/workflows/${w.doc.id}/execute`),
        json(fc.oneof(goodUrl.map((u) => ({ input_config: { type: "single_file", file_url: u } })), goodUrl.map((u) => ({ input_config: { file_urls: [u] } })))), vellumKey),
      valid("datalab:execute", "POST", "fastapi", fc.constant(`/api/v1/workflows/workflows/${w.docs.id}/execute`),
        json(fc.array(goodUrl, { minLength: 1, maxLength: 3 }).map((urls) => ({ input_config: { type: "file_list", file_urls: urls } }))), vellumKey),
    ),
    "datalab:getExecution": valid("datalab:getExecution", "GET", "fastapi", ownRunId.map((id) => `/api/v1/workflows/executions/${id}`), noBody, vellumKey),
    "unstructured:run": fc.oneof(
      valid("unstructured:run", "POST", "fastapi", fc.constant(`/api/v1/workflows/${w.doc.uuid}/run`), p.wellFormedMultipart(["input_files", "input_files[]"], 1, {}),
        key("admin", { "unstructured-api-key": world.keys.admin })),
      valid("unstructured:run", "POST", "fastapi", fc.constant(`/api/v1/workflows/${w.docs.uuid}/run`), p.wellFormedMultipart(["input_files", "input_files[]"], 3, {}),
        key("admin", { "unstructured-api-key": world.keys.admin })),
    ),
    "unstructured:getJob": valid("unstructured:getJob", "GET", "fastapi", ownRunUuid.map((id) => `/api/v1/jobs/${id}`), noBody, key("admin", { "unstructured-api-key": world.keys.admin })),
    "unstructured:cancel": valid("unstructured:cancel", "POST", "fastapi", ownRunUuid.map((id) => `/api/v1/jobs/${id}/cancel`), noBody, key("admin", { "unstructured-api-key": world.keys.admin })),
    "share:events": valid("share:events", "GET", "flowdeck", fc.constant(`/api/share/${world.shareTokens.live}/events`), noBody, fc.constant({ headers: {}, note: "" })),
  };

  return Object.fromEntries(Object.entries(hostile).map(([name, arb]) => [
    name,
    validFamilies[name] ? fc.oneof({ weight: 2, arbitrary: validFamilies[name] }, { weight: 3, arbitrary: arb }) : arb,
  ]));
}
