/**
 * The raw parts of hostile requests, shared by the OpenAPI-derived and the compatibility
 * generators: path segments (garbage, traversal, how they go on the wire), JSON and YAML
 * bodies (well-formed, mis-typed, broken, oversized), odd headers.
 */
import fc from "fast-check";
import YAML from "yaml";
import { nastyStrings, toJsonText } from "./values";

// ── Path segments ───────────────────────────────────────────────────────────────────────

/** Path-parameter garbage: traversal, encodings, huge numbers, Unicode, emptiness. */
export const garbageSegment: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...nastyStrings.filter((s) => s.length < 100)) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom(300, 1000, 5000).map((n) => "a".repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom("../..", "..%2f..", "%2e%2e", "%2e%2e%2fapi-keys", "a%2fb", "a%00b", "%C0%AE", "%ff%fe", "%u002e", "\\..\\", "?x=1", "#frag") },
);

/** How a raw value goes on the wire: percent-encoded (usual), or raw when that is sendable. */
export function encodeSegment(value: string, raw: boolean): string {
  if (raw && /^[\x21-\x7e]*$/.test(value)) return value;
  try {
    return encodeURIComponent(value);
  } catch {
    // Lone surrogates cannot be percent-encoded as UTF-8: send their replacement, escaped.
    return encodeURIComponent(value.replace(/[\ud800-\udfff]/g, "\ufffd"));
  }
}

/** A value that, decoded, no longer stays one path segment of the route. */
export function mayLeaveSegment(value: string, raw: boolean): boolean {
  if (value === "" || value === "." || value === "..") return true;
  if (raw && /^[\x21-\x7e]*$/.test(value) && /[/\\?#%]|^\.\.?$/.test(value)) return true;
  return /%2f|%5c|\/|\\/i.test(value) && raw;
}

// ── Bodies ──────────────────────────────────────────────────────────────────────────────

export interface EncodedBody {
  headers: Record<string, string>;
  body?: Buffer;
  note: string;
}

const JSON_TYPES = ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "application/vnd.flowdeck+json", "application/json;charset=latin1"];
const WRONG_TYPES = [
  "text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "multipart/form-data; boundary=x", "application/xml",
  "application/octet-stream", "application/jsonx", "json", "", ";", "application/json/evil", "text/html; charset=utf-8",
];

/** Bodies that are not JSON (or not what they claim), for a JSON endpoint. */
export const brokenJsonBody: fc.Arbitrary<EncodedBody> = fc.oneof(
  fc.constantFrom("{", "{\"a\":", "[1,2", "}", "nul", "{'a':1}", "{a:1}", "{\"a\":1,}", "// c\n{}", "NaN", "1e999", "-", "\"\\u12\"",
    "{\"a\":\"\\ud800\"}", "\uFEFF{}", "{}{}", "[]", "null", "\"text\"", "42", "true", "{\"a\":1}\u0000", "\u0000", " ", "\n\n")
    .map((text) => ({ headers: { "content-type": "application/json" }, body: Buffer.from(text), note: `json text ${JSON.stringify(text)}` })),
  fc.constantFrom([0xff, 0xfe, 0x7b, 0x7d], [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d], [0xc0, 0xaf], [0xed, 0xa0, 0x80])
    .map((bytes) => ({ headers: { "content-type": "application/json" }, body: Buffer.from(bytes), note: `invalid UTF-8 ${Buffer.from(bytes).toString("hex")}` })),
  fc.constant({ headers: { "content-type": "application/json" }, body: Buffer.alloc(0), note: "empty body" }),
  fc.constant({ headers: { "content-type": "application/json" }, note: "no body" }),
  fc.constantFrom(1024 * 1024 + 1, 3 * 1024 * 1024).map((n) => ({
    headers: { "content-type": "application/json" }, body: Buffer.from(`{"x":"${"a".repeat(n)}"}`), note: `${n}-byte body`,
  })),
  fc.constant({ headers: { "content-type": "application/json", "content-length": "99999999999" }, body: Buffer.from("{}"), note: "content-length lies (huge)" }),
);

/** A JSON body for `value`, mostly well-formed; sometimes the wrong content type or encoding. */
export function encodeJsonBody(value: unknown, formats: string[]): fc.Arbitrary<EncodedBody> {
  const text = () => toJsonText(value);
  const yamlOk = formats.some((f) => f.includes("yaml"));
  const arbs: { weight: number; arbitrary: fc.Arbitrary<EncodedBody> }[] = [
    { weight: 14, arbitrary: fc.constantFrom(...JSON_TYPES).map((type) => ({ headers: { "content-type": type }, body: Buffer.from(text()), note: `json (${type})` })) },
    { weight: 2, arbitrary: fc.constantFrom(...WRONG_TYPES).map((type) => ({ headers: type ? { "content-type": type } : {}, body: Buffer.from(text()), note: `json sent as '${type}'` })) },
    { weight: 1, arbitrary: fc.constant({ headers: {}, body: Buffer.from(text()), note: "json without content-type" }) },
  ];
  if (yamlOk) {
    arbs.push({
      weight: 4,
      arbitrary: fc.constantFrom("application/yaml", "text/yaml", "application/x-yaml").map((type) => {
        let yaml: string;
        try {
          yaml = YAML.stringify(JSON.parse(text()), { aliasDuplicateObjects: false });
        } catch {
          yaml = text(); // too deep for the YAML writer: JSON is YAML too
        }
        return { headers: { "content-type": type }, body: Buffer.from(yaml), note: `yaml (${type})` };
      }),
    });
    arbs.push({
      weight: 1,
      arbitrary: fc.constantFrom(
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
        "key: [unclosed\n", "- a\n b: c\n", "!!js/function 'function(){}'\n", "? complex\n: key\n", "a: !!binary aGVsbG8=\n", "%YAML 9.9\n---\na: 1\n",
        "a: 1\na: 2\n", "steps:\n  - id: x\n    kind: template\n    config: *missing\n", "\t- tab", "---\n---\n---\n",
      ).map((yaml) => ({ headers: { "content-type": "application/yaml" }, body: Buffer.from(yaml), note: `yaml text ${JSON.stringify(yaml.slice(0, 40))}` })),
    });
  }
  return fc.oneof(...arbs);
}

// ── Headers ─────────────────────────────────────────────────────────────────────────────


export const IDEMPOTENCY_KEYS = ["fuzz-key-1", "fuzz-key-2", "fuzz-key-3", "", " ", "k".repeat(200), "k".repeat(201), "with space", "tab\tkey", "ключ", "\u00ff\u00fe", "a\u0000b"];

/** Extra headers any request may carry (session cookies that are garbage, odd Accept, forwarding). */
export const oddHeaders: fc.Arbitrary<{ headers: Record<string, string>; note: string }> = fc.oneof(
  { weight: 12, arbitrary: fc.constant({ headers: {}, note: "" }) },
  ...([
    { "accept": "text/event-stream" }, { "accept": "*/*;q=0.1, application/xml" }, { "accept-encoding": "gzip, br" },
    { "cookie": "authjs.session-token=garbage" }, { "cookie": "__Secure-authjs.session-token=eyJhbGciOiJub25lIn0.e30." },
    { "cookie": "authjs.session-token=" + "A".repeat(4000) }, { "x-forwarded-for": "10.0.0.1, 127.0.0.1" }, { "x-forwarded-host": "evil.example" },
    { "x-middleware-subrequest": "middleware:middleware:middleware:middleware:middleware" }, { "range": "bytes=0-1" },
    { "if-none-match": "*" }, { "expect": "100-continue" }, { "x-http-method-override": "DELETE" },
  ] as Record<string, string>[]).map((headers) => ({ weight: 1, arbitrary: fc.constant({ headers, note: `headers ${JSON.stringify(headers).slice(0, 80)}` }) })),
);
