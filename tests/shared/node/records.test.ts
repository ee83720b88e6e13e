/** The AEAD record layer: sealing, splitting, and rejection of tampered, replayed, reordered and truncated records. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ResultCode } from '../../../shared/protocol';
import { CipherState, ciphers, generateStaticKeyPair, HandshakeState, TERN_NOISE_PROLOGUE, TERN_NOISE_PROTOCOL } from '../../../shared/node/noise';
import { MAX_RECORD_PLAINTEXT, MAX_RECORD_SIZE, RecordOpener, RecordReader, sealRecords } from '../../../shared/node/transport/records';

/** A real NK handshake in memory; returns the client's send state and the server's receive state. */
function keyedPair(): { send: CipherState; receive: CipherState } {
  const server = generateStaticKeyPair();
  const i = new HandshakeState({ protocolName: TERN_NOISE_PROTOCOL, initiator: true, prologue: TERN_NOISE_PROLOGUE, remoteStaticKey: server.publicKey });
  const r = new HandshakeState({ protocolName: TERN_NOISE_PROTOCOL, initiator: false, prologue: TERN_NOISE_PROLOGUE, staticKey: server });
  r.readMessage(i.writeMessage(new Uint8Array(0)));
  i.readMessage(r.writeMessage(new Uint8Array(0)));
  expect(Buffer.from(i.handshakeHash).equals(r.handshakeHash)).toBe(true);
  return { send: i.transportKeys().send, receive: r.transportKeys().receive };
}

function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

function openAll(opener: RecordOpener, bytes: Uint8Array) {
  const result = opener.push(bytes);
  return { plaintext: concat(result.plaintexts), error: result.error };
}

describe('record layer', () => {
  it('splits a large plaintext into records of at most 65535 bytes and opens it back', () => {
    const { send, receive } = keyedPair();
    const plaintext = new Uint8Array(3 * MAX_RECORD_PLAINTEXT + 5).map((_, i) => i & 0xff);
    const records = sealRecords(send, plaintext);
    expect(records.length).toBe(4);
    for (const record of records) {
      const bodyLength = (record[0]! << 8) | record[1]!;
      expect(bodyLength).toBe(record.length - 2);
      expect(bodyLength).toBeLessThanOrEqual(MAX_RECORD_SIZE);
    }
    const { plaintext: out, error } = openAll(new RecordOpener(receive), concat(records));
    expect(error).toBeUndefined();
    expect(Buffer.from(out).equals(plaintext)).toBe(true);
  });

  it('opens the same records however the byte stream is split', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 20 }), (messages, cuts) => {
        const { send, receive } = keyedPair();
        const stream = concat(messages.flatMap((m) => sealRecords(send, m)));
        const opener = new RecordOpener(receive);
        const out: Uint8Array[] = [];
        let offset = 0;
        let k = 0;
        while (offset < stream.length) {
          const size = cuts[k++ % cuts.length]!;
          const r = opener.push(stream.subarray(offset, offset + size));
          expect(r.error).toBeUndefined();
          out.push(...r.plaintexts);
          offset += size;
        }
        expect(out.length).toBe(messages.length);
        out.forEach((p, i) => expect(Buffer.from(p).equals(messages[i]!)).toBe(true));
        expect(opener.bufferedBytes).toBe(0);
      }),
      { numRuns: 100 },
    );
  });

  it('rejects any single bit flip in a record with DECRYPT_FAILED (or a length error)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.nat(), (payload, bitSeed) => {
        const pair = keyedPair();
        const [record] = sealRecords(pair.send, payload);
        const tampered = new Uint8Array(record!);
        const bit = bitSeed % (tampered.length * 8);
        tampered[bit >> 3]! ^= 1 << (bit & 7);
        const opener = new RecordOpener(pair.receive);
        const r = opener.push(tampered);
        expect(r.plaintexts).toEqual([]);
        if (bit >= 16) {
          // Body or tag altered.
          expect(r.error?.code).toBe(ResultCode.DECRYPT_FAILED);
        } else if (r.error) {
          // Length altered: either out of range, or the record now ends elsewhere and fails authentication.
          expect([ResultCode.DECRYPT_FAILED, ResultCode.RECORD_TOO_LARGE]).toContain(r.error.code);
        } else {
          // Length grew: the opener waits for more bytes and holds no more than one record.
          expect(opener.bufferedBytes).toBeLessThanOrEqual(2 + MAX_RECORD_SIZE);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('rejects a replayed record', () => {
    const { send, receive } = keyedPair();
    const [first] = sealRecords(send, Uint8Array.of(1, 2, 3));
    const opener = new RecordOpener(receive);
    expect(opener.push(first!).plaintexts.length).toBe(1);
    const replay = opener.push(first!);
    expect(replay.plaintexts).toEqual([]);
    expect(replay.error?.code).toBe(ResultCode.DECRYPT_FAILED);
  });

  it('rejects reordered records', () => {
    const { send, receive } = keyedPair();
    const [a] = sealRecords(send, Uint8Array.of(1));
    const [b] = sealRecords(send, Uint8Array.of(2));
    const r = new RecordOpener(receive).push(concat([b!, a!]));
    expect(r.plaintexts).toEqual([]);
    expect(r.error?.code).toBe(ResultCode.DECRYPT_FAILED);
  });

  it('rejects a stream with a record dropped', () => {
    const { send, receive } = keyedPair();
    const records = [1, 2, 3].map((n) => sealRecords(send, Uint8Array.of(n))[0]!);
    const r = new RecordOpener(receive).push(concat([records[0]!, records[2]!]));
    expect(r.plaintexts.length).toBe(1);
    expect(r.error?.code).toBe(ResultCode.DECRYPT_FAILED);
  });

  it('rejects a truncated record body (shortened length) and a record from another key', () => {
    const { send, receive } = keyedPair();
    const [record] = sealRecords(send, new Uint8Array(40).fill(5));
    const shortened = new Uint8Array(record!.subarray(0, record!.length - 1));
    shortened[1] = shortened[1]! - 1;
    expect(new RecordOpener(receive).push(shortened).error?.code).toBe(ResultCode.DECRYPT_FAILED);

    const other = keyedPair();
    expect(new RecordOpener(other.receive).push(record!).error?.code).toBe(ResultCode.DECRYPT_FAILED);
  });

  it('holds a partial record without error until the rest arrives', () => {
    const { send, receive } = keyedPair();
    const [record] = sealRecords(send, new Uint8Array(1000));
    const opener = new RecordOpener(receive);
    expect(opener.push(record!.subarray(0, 500))).toEqual({ plaintexts: [] });
    expect(opener.bufferedBytes).toBe(500);
    expect(opener.push(record!.subarray(500)).plaintexts[0]!.length).toBe(1000);
    expect(opener.bufferedBytes).toBe(0);
  });

  it('rejects records shorter than the tag with RECORD_TOO_LARGE, and the error sticks', () => {
    const opener = new RecordOpener(keyedPair().receive);
    const first = opener.push(Uint8Array.of(0, 15, ...new Uint8Array(15)));
    expect(first.error?.code).toBe(ResultCode.RECORD_TOO_LARGE);
    expect(opener.push(new Uint8Array(10)).error).toBe(first.error);
    expect(opener.bufferedBytes).toBe(0);
  });

  it('RecordReader hands back the bytes after the last whole record', () => {
    const reader = new RecordReader();
    const r = reader.push(Uint8Array.of(0, 2, 7, 8, 0, 5, 1));
    expect(r.records.map((x) => [...x])).toEqual([[7, 8]]);
    expect(reader.drain().map((x) => [...x])).toEqual([[0, 5, 1]]);
    expect(reader.bufferedBytes).toBe(0);
  });

  it('RecordReader cuts empty records out of a run of zeros, whatever the chunking (the pre-handshake crash)', () => {
    for (const size of [2, 3, 4, 1, 64, 4096]) {
      const zeros = new Uint8Array(4096 + 1);
      const reader = new RecordReader();
      let count = 0;
      for (let offset = 0; offset < zeros.length; offset += size) {
        const r = reader.push(zeros.subarray(offset, offset + size));
        expect(r.error).toBeUndefined();
        for (const record of r.records) expect(record.length).toBe(0);
        count += r.records.length;
      }
      expect(count, `chunks of ${size}`).toBe(2048);
      expect(reader.bufferedBytes).toBe(1);
    }
  });

  it('RecordReader.next pulls one record at a time and leaves the rest buffered', () => {
    const reader = new RecordReader();
    reader.append(Uint8Array.of(0, 0, 0, 1, 9, 0));
    expect(reader.next()?.length).toBe(0);
    expect([...reader.next()!]).toEqual([9]);
    expect(reader.next()).toBeUndefined();
    expect(reader.drain().map((x) => [...x])).toEqual([[0]]);
  });

  it('CipherState nonces are per direction and start at zero', () => {
    const a = new CipherState(ciphers.AESGCM);
    a.initializeKey(new Uint8Array(32).fill(1));
    const b = new CipherState(ciphers.AESGCM);
    b.initializeKey(new Uint8Array(32).fill(1));
    const c1 = a.encrypt(Uint8Array.of(1));
    const c2 = a.encrypt(Uint8Array.of(1));
    expect(Buffer.from(c1).equals(c2)).toBe(false); // nonce advanced
    expect([...b.decrypt(c1)]).toEqual([1]);
    expect(b.nonce).toBe(1);
  });
});
