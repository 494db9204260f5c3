/** The toast queue behind components/ui/toast.tsx. */
import { describe, expect, it } from "vitest";
import { createToastStore, DEFAULT_DURATION, ERROR_DURATION, MAX_TOASTS } from "./toast-store";

describe("createToastStore", () => {
  it("queues toasts in order, tells subscribers, and dismisses one or all", () => {
    const store = createToastStore();
    let calls = 0;
    const stop = store.subscribe(() => calls++);
    const a = store.show("success", "Run started");
    const b = store.show("error", "Could not copy", { description: "Select it by hand." });
    expect(store.getSnapshot().map((t) => [t.kind, t.title])).toEqual([["success", "Run started"], ["error", "Could not copy"]]);
    expect(store.getSnapshot()[1].description).toBe("Select it by hand.");
    expect(calls).toBe(2);

    store.dismiss(a);
    expect(store.getSnapshot().map((t) => t.id)).toEqual([b]);
    store.dismiss(12345); // unknown: nothing changes, nobody is told
    expect(calls).toBe(3);
    store.dismiss();
    expect(store.getSnapshot()).toEqual([]);
    stop();
    store.show("info", "After unsubscribe");
    expect(calls).toBe(4);
  });

  it("keeps the newest few, and errors stay longer", () => {
    const store = createToastStore();
    for (let i = 1; i <= MAX_TOASTS + 2; i++) store.show("info", `Toast ${i}`);
    const titles = store.getSnapshot().map((t) => t.title);
    expect(titles).toHaveLength(MAX_TOASTS);
    expect(titles.at(-1)).toBe(`Toast ${MAX_TOASTS + 2}`);
    expect(titles[0]).toBe("Toast 3");
    expect(store.getSnapshot()[0].duration).toBe(DEFAULT_DURATION);
    store.show("error", "Failed");
    expect(store.getSnapshot().at(-1)!.duration).toBe(ERROR_DURATION);
    store.show("success", "Quick", { duration: 1_000 });
    expect(store.getSnapshot().at(-1)!.duration).toBe(1_000);
  });

  it("replaces a toast saying the same thing instead of stacking a copy", () => {
    const store = createToastStore();
    const first = store.show("success", "Link copied to the clipboard");
    store.show("success", "Share link revoked");
    const again = store.show("success", "Link copied to the clipboard");
    expect(again).not.toBe(first);
    expect(store.getSnapshot().map((t) => t.title)).toEqual(["Share link revoked", "Link copied to the clipboard"]);
  });
});
