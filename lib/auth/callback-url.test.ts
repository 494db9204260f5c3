import { describe, expect, it } from "vitest";
import { safeCallbackPath } from "./callback-url";

describe("safeCallbackPath", () => {
  it("keeps paths of this site, with their query", () => {
    expect(safeCallbackPath("/invite/abc_DEF-123")).toBe("/invite/abc_DEF-123");
    expect(safeCallbackPath("/w/demo/runs?status=failed#top")).toBe("/w/demo/runs?status=failed#top");
    expect(safeCallbackPath("/")).toBe("/");
  });

  it("refuses anything that could leave the site or loop", () => {
    for (const bad of [
      "https://evil.example/", "//evil.example/x", "/\\evil.example", "\\\\evil.example", "javascript:alert(1)",
      "evil.example", "", "/login", "/login?callbackUrl=/x", "/x\n/y", "/\t/evil.example", null, undefined, 42, ["/"],
      `/${"a".repeat(3000)}`,
    ]) {
      expect(safeCallbackPath(bad), String(bad)).toBeNull();
    }
  });
});
