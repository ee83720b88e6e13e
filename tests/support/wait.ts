/**
 * Bounded polling for integration tests that wait on another process or the
 * network, where no event says "done". Each wait has a deadline and says what
 * it waited for when it gives up, so a hang becomes a clear failure.
 * (Logic with timers is tested with fake clocks instead, never by polling.)
 */
export async function waitFor<T>(check: () => T | Promise<T>, what = 'condition', timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
