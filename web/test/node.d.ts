// The few Node.js APIs the tests use, declared here so that type checking
// needs no @types/node (web/ has no runtime dependencies, and only
// TypeScript as a development one).

declare module 'node:test' {
  export function describe(name: string, fn: () => void): void;
  export function test(name: string, fn: () => void | Promise<void>): void;
}

declare module 'node:assert/strict' {
  interface Assert {
    equal(actual: unknown, expected: unknown, message?: string): void;
    notEqual(actual: unknown, expected: unknown, message?: string): void;
    ok(value: unknown, message?: string): void;
    deepEqual(actual: unknown, expected: unknown, message?: string): void;
    throws(fn: () => unknown, message?: string): void;
    fail(message?: string): never;
    rejects(fn: Promise<unknown> | (() => Promise<unknown>), message?: string): Promise<void>;
  }
  const assert: Assert;
  export default assert;
}

// JSON modules (bundled by esbuild) are read as unknown and checked at run time.
declare module '*.json' {
  const value: unknown;
  export default value;
}
