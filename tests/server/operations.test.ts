// Every exported operation is in the registry the SQLite worker looks names up in, under a unique name; the pushes
// of stored events are byte-for-byte what protobuf-es encodes.
import { readdirSync } from 'node:fs';
import { create, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SyncEventSchema, type SyncDomain } from '../../shared/protocol';
import { withSeq } from '../../server/operations/events';
import { operations } from '../../server/operations/index';

const dir = new URL('../../server/operations/', import.meta.url);

describe('operations', () => {
  it('every exported operation of every module is registered by its name', async () => {
    const found: string[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const module = (await import(new URL(file, dir).href)) as Record<string, unknown>;
      for (const value of Object.values(module)) {
        if (typeof value !== 'object' || value === null || !('run' in value) || !('name' in value)) continue;
        const op = value as { name: string };
        expect(operations.get(op.name), `${file}: ${op.name}`).toBe(value);
        found.push(op.name);
      }
    }
    expect(found.length).toBeGreaterThan(20);
    expect(new Set(found).size).toBe(operations.size);
  });

  it('withSeq puts the sequence in front of a stored event exactly as protobuf-es encodes the whole event', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), fc.string(), fc.integer({ min: 1, max: 5 }), (seq, nickname, domain) => {
        const event = { domain: domain as SyncDomain, event: { case: 'profile' as const, value: { userId: 7n, nickname } } };
        const stored = toBinary(SyncEventSchema, create(SyncEventSchema, event));
        const whole = toBinary(SyncEventSchema, create(SyncEventSchema, { ...event, seq: BigInt(seq) }));
        expect(withSeq(seq, stored)).toEqual(whole);
      }),
    );
  });
});
