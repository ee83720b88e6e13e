/** The services' field checks: code points counted as `for...of` counts them, control characters refused. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { charLength, longerThan, requireText } from '../../server/services/validate';
import { ServiceError } from '../../server/services/errors';

/** The definition: what iterating the string yields. */
const codePoints = (s: string) => [...s].length;

// Lone and paired surrogates, astral characters, CJK, controls: every case the count and the check care about.
const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: fc.constantFrom('\ud83d', '\ude00', '😀', 'a', '字', '\u0000', '\u001f', '\u007f', '\u0080', ' ') }));

describe('validate', () => {
  it('charLength is the number of code points, lone surrogates counting once', () => {
    fc.assert(fc.property(text, (s) => {
        expect(charLength(s)).toBe(codePoints(s));
      }), { numRuns: 5000 });
    expect(charLength('😀😀')).toBe(2);
    expect(charLength('\ud83d\ud83d\ude00')).toBe(2);
    expect(charLength('\ude00\ud83d')).toBe(2);
  });

  it('longerThan(s, max) is charLength(s) > max', () => {
    fc.assert(fc.property(text, fc.nat(12), (s, max) => {
        expect(longerThan(s, max)).toBe(codePoints(s) > max);
      }), { numRuns: 5000 });
  });

  it('requireText refuses exactly the strings with U+0000-U+001F or U+007F, and lengths out of range', () => {
    fc.assert(
      fc.property(text, fc.nat(4), fc.nat(8), (s, min, extra) => {
        const max = min + extra;
        const ok = codePoints(s) >= min && codePoints(s) <= max && !/[\u0000-\u001f\u007f]/.test(s);
        let thrown: unknown;
        try {
          expect(requireText('f', s, min, max)).toBe(s);
        } catch (err) {
          thrown = err;
        }
        expect(thrown === undefined).toBe(ok);
        if (thrown !== undefined) expect(thrown).toBeInstanceOf(ServiceError);
      }),
      { numRuns: 5000 },
    );
  });
});
