/** Engine ports for tests: no files, no network, no secrets unless a test supplies them. */
import type { EnginePorts } from "./steps/types";

export function testPorts(overrides: Partial<EnginePorts> = {}): EnginePorts {
  return {
    readFile: async () => new Uint8Array(),
    fetch: async (url) => {
      throw new Error(`This test gives the engine no network (tried ${url})`);
    },
    getSecret: async () => null,
    ...overrides,
  };
}
