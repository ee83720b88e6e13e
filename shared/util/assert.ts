/** Exhaustiveness check for `switch` statements over unions and enums. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${String(value)}`);
}
