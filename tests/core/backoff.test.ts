import { describe, expect, it } from 'vitest';
import { backoffDelay, EndpointRotation } from '../../electron/core/backoff';

describe('backoffDelay', () => {
  it('keeps the first retry fast: between half and all of the initial delay', () => {
    expect(backoffDelay(0, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffDelay(0, 1000, 60_000, () => 0.999999)).toBe(1000);
  });

  it('doubles the ceiling per failure and caps it', () => {
    const ceilings = [0, 1, 2, 3, 4, 5, 6, 7, 10, 40].map((n) => backoffDelay(n, 1000, 60_000, () => 0.999999));
    expect(ceilings).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000, 60_000]);
  });

  it('stays within [ceiling/2, ceiling] for any random value', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const ceiling = Math.min(60_000, 1000 * 2 ** attempt);
      for (let i = 0; i < 50; i++) {
        const d = backoffDelay(attempt, 1000, 60_000);
        expect(d).toBeGreaterThanOrEqual(ceiling / 2);
        expect(d).toBeLessThanOrEqual(ceiling);
      }
    }
  });

  it('spreads a crowd of clients (jitter)', () => {
    const delays = new Set(Array.from({ length: 100 }, () => backoffDelay(5, 1000, 60_000)));
    expect(delays.size).toBeGreaterThan(50);
  });
});

describe('EndpointRotation', () => {
  it('moves to the next endpoint and wraps', () => {
    const r = new EndpointRotation(['a', 'b', 'c']);
    expect(r.current).toBe('a');
    expect([r.advance(), r.advance(), r.advance()]).toEqual(['b', 'c', 'a']);
  });

  it('refuses an empty list', () => {
    expect(() => new EndpointRotation([])).toThrow();
  });
});
