/**
 * Validation errors stay small whatever the request: at most MAX_ERROR_DETAILS detail items
 * (the rest counted) and a bounded message (found by lib/api/fuzz.test.ts: a 10 KB body whose
 * `steps` was a list of 10,000 numbers was answered with one detail item each, over 1 MB; a
 * 1 MB body would have been answered with tens of megabytes).
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { issuesToDetail } from "../api/route";
import { errorResponse } from "../api/errors";
import { MAX_ERROR_DETAILS, ValidationError } from "./errors";

const item = (i: number) => ({ loc: ["body", "steps", i], msg: "Invalid input: expected object, received number", type: "invalid_type" });

describe("ValidationError", () => {
  it("keeps a few problems as they are", () => {
    const error = new ValidationError([item(0), item(1)]);
    expect(error.detail).toEqual([item(0), item(1)]);
    expect(error.message).toBe(`${item(0).msg}; ${item(1).msg}`);
    expect(new ValidationError([item(0)], "custom").message).toBe("custom");
  });

  it("caps many problems and says how many there were", () => {
    const error = new ValidationError(Array.from({ length: 500_000 }, (_, i) => item(i)));
    expect(error.detail).toHaveLength(MAX_ERROR_DETAILS + 1);
    expect(error.detail.at(-1)).toEqual({ loc: [], msg: `${500_000 - MAX_ERROR_DETAILS} more problems not listed`, type: "too_many_errors" });
    expect(error.message).toMatch(/500000 problems in all$/);
    expect(error.message.length).toBeLessThan(2_000);
  });

  it("a body of 200,000 wrong-typed items is answered in a few KB", async () => {
    const schema = z.object({ steps: z.array(z.object({ id: z.string() })) });
    const result = schema.safeParse({ steps: Array.from({ length: 200_000 }, () => 0) });
    expect(result.success).toBe(false);
    const response = errorResponse(new ValidationError(issuesToDetail("body", result.error!.issues)));
    expect(response.status).toBe(422);
    const text = await response.text();
    expect(text.length).toBeLessThan(20_000);
    expect(JSON.parse(text).detail).toHaveLength(MAX_ERROR_DETAILS + 1);
  });

  it("clips messages that quote a huge value the client sent (an unknown step kind of 230,000 characters)", async () => {
    const kind = "\u0000é".repeat(115_000);
    const long = { loc: ["body", "definition", "steps", 2, "kind"], msg: `Unknown step kind '${kind}'`, type: "value_error" };
    const error = new ValidationError([long, item(1)]);
    expect(error.detail[0].msg.length).toBeLessThanOrEqual(501);
    expect(error.detail[0].msg.startsWith("Unknown step kind '")).toBe(true);
    expect(error.detail[1]).toEqual(item(1));
    const custom = new ValidationError([long], `The workflow definition is invalid: ${long.msg}`);
    expect(custom.message.length).toBeLessThanOrEqual(4_001);
    expect((await errorResponse(custom).text()).length).toBeLessThan(20_000); // JSON escapes \u0000 as six characters
  });
});
