/**
 * The Flowdeck API's pools for the OpenAPI-derived cases: ids for each path parameter, hints for
 * query parameters and body fields, credentials, and well-formed requests per operation.
 */
import fc from "fast-check";
import type { FuzzPools, ValidParts } from "./openapi-arbitraries";
import { authArb, type SharedPools } from "./pools";
import { definitions } from "./world";

const pick = <T>(...values: T[]) => fc.constantFrom(...values);

/** The Flowdeck API's pools for the OpenAPI-derived cases. */
export function flowdeckPools(shared: SharedPools): FuzzPools {
  const { world } = shared;
  const numberText = (n: number) => String(n);
  const keyId = fc.oneof(
    { weight: 4, arbitrary: pick(...world.sacrificialKeyIds.map(numberText)) },
    { weight: 1, arbitrary: pick(numberText(world.otherKeyId), "0", "999999999999", "1".repeat(13)) },
  );
  const metadata = fc.oneof(
    fc.dictionary(pick("user", "team", "k", "x".repeat(101)), fc.oneof(fc.string({ maxLength: 10 }), pick("v".repeat(2001))), { maxKeys: 3 }),
    pick(Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, "v"]))),
  );
  return {
    pathParams: {
      run: shared.runUuid,
      workflow: shared.workflowRef,
      version: fc.oneof({ weight: 4, arbitrary: pick("1", "2", "v1", "V2") }, { weight: 1, arbitrary: pick("0", "3", "999999999", "v0", "1e3", "-1", "2.0", "v") }),
      label: shared.label,
      key: keyId,
      file: shared.fileId,
    },
    paramHints: {
      "listRuns:workflow": shared.workflowRef,
      "*:cursor": fc.oneof(pick("", "abc", "eyJpZCI6MX0", "MTIz", "-1", "0"), fc.base64String({ maxLength: 24 })),
      "*:label": shared.label,
      "*:q": fc.oneof(fc.string({ maxLength: 20 }), pick("%", "_", "\\", "fuzzer", "Ada", "'", "\"")),
      "*:limit": pick("1", "0", "-1", "100", "101", "1000000", "abc", "2.5"),
      "*:Last-Event-ID": pick("0", "1", "3", "-1", "999999", "3000000000", "abc", "1.5", ""),
      "*:after": pick("0", "2", "-1", "1e3", "3000000000", "99999999999999999999"),
    },
    bodyHints: {
      "*:inputs": shared.runInputs,
      "*:callback_url": shared.callbackUrl,
      "*:label": shared.label,
      "*:version": fc.constantFrom<unknown>(1, 2, 3, 99, "v2", "2"),
      "*:from_step": pick("greet", "shout", "result", "read", "boom", "missing"),
      "*:external_id": fc.oneof(pick("ext-1", "ext-2", "ext-3"), fc.string({ minLength: 1, maxLength: 10 })),
      "*:metadata": metadata,
      "*:max_wait_ms": pick(0, 1, 50, 2_000),
      "*:definition": shared.definition,
      "*:labels": fc.array(shared.label, { maxLength: 3 }),
      "createWorkflow:name": fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{2,20}$/), pick("greet", "doc", "executions", "new", "123", "b-doc")),
      "createApiKey:workflow": shared.workflowRef,
    },
    exampleBodies: {
      startRun: fc.record({
        inputs: shared.runInputs,
        response_mode: pick("blocking", "async", "streaming"),
        label: fc.option(shared.label, { nil: undefined }),
      }, { requiredKeys: ["inputs"] }),
      setLabel: fc.record({ version: pick(1, 2, 3) }),
      createApiKey: fc.record({ name: pick("k"), role: pick("admin", "member"), workflow: fc.option(shared.workflowRef, { nil: undefined }) }, { requiredKeys: ["name"] }),
      createWorkflow: fc.record({ name: fc.stringMatching(/^[a-z][a-z0-9-]{2,20}$/), definition: shared.definition }),
      publishVersion: fc.record({ definition: shared.definition, labels: fc.option(fc.array(shared.label, { maxLength: 2 }), { nil: undefined }) }, { requiredKeys: ["definition"] }),
    },
    auth: fc.oneof(
      { weight: 10, arbitrary: authArb(world, "authorization", [["admin", world.keys.admin, 8], ["member", world.keys.member, 3], ["bound to greet", world.keys.boundGreet, 1]]) },
      { weight: 2, arbitrary: authArb(world, "x-api-key", [["admin (X-API-Key)", world.keys.admin, 3]]) },
    ),
    multipart: () => shared.multipart(["file"], {}),
    // docs/compat/datalab.md: by name, a workflow `executions` reaches Datalab's execution route.
    shadowedPaths: { workflow: { executions: "fastapi" } },
    goodAuth: fc.oneof(
      { weight: 6, arbitrary: fc.constant({ headers: { authorization: `Bearer ${world.keys.admin}` }, note: "key admin" }) },
      { weight: 2, arbitrary: fc.constant({ headers: { "x-api-key": world.keys.admin }, note: "key admin (X-API-Key)" }) },
      { weight: 2, arbitrary: fc.constant({ headers: { authorization: `Bearer ${world.keys.member}` }, note: "key member" }) },
    ),
    valid: flowdeckValid(shared),
  };
}

/** Well-formed requests for each operation of the Flowdeck API (things it should accept). */
function flowdeckValid(shared: SharedPools): Record<string, fc.Arbitrary<ValidParts>> {
  const { world } = shared;
  const run = shared.ownRun.map((r) => r.uuid);
  const wfNames = Object.values(world.workflows).map((w) => w.name);
  const wf = pick(...wfNames, ...Object.values(world.workflows).map((w) => w.uuid), ...Object.values(world.workflows).map((w) => String(w.id)));
  // Mostly fresh keys and ids; now and then one used before (a replay, or a 422 for another body).
  const idempotency = fc.option(fc.oneof({ weight: 9, arbitrary: fc.uuid() }, { weight: 1, arbitrary: pick("fuzz-same-1", "fuzz-same-2") }), { freq: 3, nil: undefined });
  const runOptions = fc.record({
    response_mode: pick("blocking", "blocking", "async", "streaming"),
    metadata: fc.dictionary(pick("user", "team"), fc.string({ maxLength: 10 }), { maxKeys: 2 }),
    external_id: fc.oneof({ weight: 9, arbitrary: fc.uuid() }, { weight: 1, arbitrary: pick("ext-same-1") }),
    callback_url: fc.constant(`${world.callbackReceiver.origin}/hook`),
    return_all_outputs: fc.boolean(),
    max_wait_ms: pick(0, 5_000),
  }, { requiredKeys: ["response_mode"] });
  const definitionOf: Record<string, unknown> = {
    greet: definitions.greetV1, doc: definitions.doc, docs: definitions.docs, form: definitions.form, fail: definitions.fail, nap: definitions.nap,
  };
  const freshName = fc.stringMatching(/^[a-z][a-z0-9-]{3,20}$/).map((n) => `fz-${n}`);
  const definitionChoices = [definitions.greetV1, definitions.greetV2, definitions.doc, definitions.docs, definitions.fail, definitions.nap];
  return {
    startRun: fc.record({ target: shared.validRunTarget, options: runOptions, key: idempotency }).map(({ target, options, key }): ValidParts => ({
      pathParams: { workflow: target.ref },
      body: { inputs: target.inputs, ...(target.label ? { label: target.label } : {}), ...options },
      headers: key ? { "Idempotency-Key": key } : {},
      note: `run ${target.workflow}`,
    })),
    rerunRun: fc.record({ pick: fc.nat(world.runs.length - 1), options: runOptions, from: fc.option(fc.nat(5), { nil: undefined }), key: idempotency })
      .map(({ pick: i, options, from, key }): ValidParts => {
        // From a step of the run's own workflow (the fixture runs are greet, greet, fail, doc, nap).
        const steps = [["greet", "shout", "result"], ["greet", "shout", "result"], ["boom"], ["read", "title"], ["wait", "done"]][i] ?? [];
        const step = from === undefined ? undefined : steps[from % Math.max(steps.length, 1)];
        return { pathParams: { run: world.runs[i].uuid }, body: { ...options, ...(step ? { from_step: step } : {}) }, headers: key ? { "Idempotency-Key": key } : {} };
      }),
    getRun: fc.record({ run, all: pick("true", "false", "1") }).map(({ run: r, all }) => ({ pathParams: { run: r }, query: { return_all_outputs: all } })),
    streamRunEvents: fc.record({ run, after: fc.option(pick("0", "1", "3", "9"), { nil: undefined }) })
      .map(({ run: r, after }) => ({ pathParams: { run: r }, ...(after ? { headers: { "Last-Event-ID": after } } : {}) })),
    cancelRun: fc.record({ run, reason: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }) })
      .map(({ run: r, reason }) => ({ pathParams: { run: r }, body: reason === undefined ? undefined : { reason } })),
    listRuns: fc.record({
      workflow: pick(...wfNames), status: pick("succeeded", "failed", "cancelled"), origin: pick("api", "dify", "vellum"), limit: pick("1", "5", "100"), q: pick("Ada", "fuzzer"),
    }, { requiredKeys: [] }).map((query) => ({ query: query as Record<string, string> })),
    downloadFile: pick(...world.files).map((file) => ({ pathParams: { file } })),
    getWorkflow: wf.map((workflow) => ({ pathParams: { workflow } })),
    listVersions: wf.map((workflow) => ({ pathParams: { workflow } })),
    listLabels: wf.map((workflow) => ({ pathParams: { workflow } })),
    getVersion: fc.record({ workflow: wf, version: pick("1", "v1") }).map((pathParams) => ({ pathParams })),
    createWorkflow: fc.record({ name: freshName, definition: pick(...definitionChoices), labels: fc.array(pick("production", "staging"), { maxLength: 2 }) })
      .map((body) => ({ body })),
    publishVersion: fc.record({ name: pick(...wfNames), message: fc.string({ maxLength: 20 }), labels: fc.array(pick("staging", "canary"), { maxLength: 1 }) })
      .map(({ name, message, labels }) => ({ pathParams: { workflow: name }, body: { definition: definitionOf[name], message, labels } })),
    setLabel: fc.record({ workflow: pick(...wfNames), label: pick("production", "staging", "canary"), version: pick(1, 2) })
      .map(({ workflow, label, version }) => ({ pathParams: { workflow, label }, body: { version } })),
    createApiKey: fc.record({ name: fc.string({ minLength: 1, maxLength: 20 }), role: pick("admin", "member"), workflow: fc.option(pick(...wfNames), { nil: undefined }) })
      .map((body) => ({ body })),
    revokeApiKey: pick(...world.sacrificialKeyIds).map((id) => ({ pathParams: { key: String(id) } })),
  };
}
