/**
 * A TCP connection after the Noise handshake: frames in, frames out, every
 * byte sealed in AEAD records (see records.ts). Owns its socket.
 *
 * Idle cost is kept small on purpose (the server holds many thousands): no
 * timers, no preallocated buffers; two CipherStates, a record reader and a
 * frame decoder whose buffers are empty between frames.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { DEFAULT_MAX_FRAME_SIZE, errorFrame, frameLength, FrameDecoder, HEADER_SIZE, ResultCode, writeFrame, type Frame } from '../../protocol';
import { NoiseError, type CipherState } from '../noise';
import type { TransportError } from './errors';
import { socketError } from './errors';
import { MAX_RECORD_PLAINTEXT, MAX_RECORD_SIZE, RecordOpener, sealRecords } from './records';
import { endSocket } from './socket-util';

export interface SecureConnectionEvents {
  /** A complete frame from the peer. Never emitted after 'close'. */
  frame: [frame: Frame];
  /** Emitted exactly once; `error` unset for an orderly close by either side. */
  close: [error: TransportError | undefined];
}

export interface SecureConnectionOptions {
  send: CipherState;
  receive: CipherState;
  /** Largest frame sent or accepted, header included. */
  maxFrameSize?: number;
  /** The server tells the peer why it closes (an ERROR frame) on a protocol error; the client just closes. */
  role: 'client' | 'server';
  /** Bytes that arrived after the last handshake message, processed on the next turn of the event loop. */
  initialData?: Uint8Array[];
  /**
   * Coalesce writes: frames sent during one turn of the event loop are
   * sealed together, as one record (or as few as their size needs), in one
   * socket write when the turn's synchronous work and microtasks are done
   * (process.nextTick). One AEAD operation and one syscall then carry many
   * frames, which is what a busy server needs; the peer sees the same frame
   * stream (a record may carry any part of it, see docs/PROTOCOL.md).
   * Default: on for the server role, off for the client (whose writes then
   * reach the socket synchronously).
   */
  coalesceWrites?: boolean;
}

/** Flushes a connection's queued frames (a module function, so no per-connection closure is kept). */
function flushQueued(connection: SecureConnection): void {
  connection.flush();
}

/**
 * The socket's listeners are module functions that find their connection on
 * the socket, rather than four functions bound per connection (~200 bytes
 * of every idle connection). Under tsx (keepNames) arrow-function fields
 * would cost more still: a property store for each one's name.
 */
const owner = Symbol('SecureConnection');
type OwnedSocket = Socket & { [owner]?: SecureConnection };

function onSocketData(this: OwnedSocket, chunk: Uint8Array): void {
  this[owner]?.receive(chunk);
}

function onSocketEnd(this: OwnedSocket): void {
  this[owner]?.peerEnded();
}

function onSocketError(this: OwnedSocket, err: Error): void {
  this[owner]?.socketFailed(err);
}

function onSocketClose(this: OwnedSocket): void {
  this[owner]?.socketClosed();
}

/**
 * One plaintext buffer for every connection of the process: frames are
 * encoded into it just before they are sealed, and sealing copies them into
 * the records, so nothing holds it after a write returns. That saves an
 * allocation per frame and per flush (a typed array above 64 bytes gets its
 * own off-heap backing store, which the GC must track and free), and costs
 * idle connections nothing. Grows to the largest write seen.
 */
let scratch = new Uint8Array(16 * 1024);
/** Writes above this (a frame of hundreds of KiB) get a buffer of their own rather than growing the shared one for good. */
const SCRATCH_MAX = 2 * MAX_RECORD_SIZE;

function scratchOf(size: number): Uint8Array {
  if (size > SCRATCH_MAX) return new Uint8Array(size);
  if (scratch.length < size) scratch = new Uint8Array(Math.min(SCRATCH_MAX, Math.max(size, scratch.length * 2)));
  return scratch;
}

/**
 * What waits for the end of the turn: frames, encoded only when they are
 * sealed (so their payloads must not change after `send`), and at the front
 * possibly the encoded tail of an earlier write that filled whole records.
 */
type Queued = Frame | Uint8Array;

export class SecureConnection extends EventEmitter<SecureConnectionEvents> {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly maxFrameSize: number;
  private readonly socket: Socket;
  private readonly sendCipher: CipherState;
  private readonly opener: RecordOpener;
  private readonly decoder: FrameDecoder;
  private readonly role: 'client' | 'server';
  private readonly coalesce: boolean;
  /** Frames waiting for the end of the turn (coalescing only); undefined when none. */
  private queued: Queued[] | undefined;
  private queuedBytes = 0;
  private isClosed = false;

  constructor(socket: Socket, options: SecureConnectionOptions) {
    super();
    this.socket = socket;
    this.sendCipher = options.send;
    this.opener = new RecordOpener(options.receive);
    this.maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    this.decoder = new FrameDecoder({ maxFrameSize: this.maxFrameSize });
    this.role = options.role;
    this.coalesce = options.coalesceWrites ?? options.role === 'server';
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    socket.setNoDelay(true);
    (socket as OwnedSocket)[owner] = this;
    socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    const initial = options.initialData?.filter((chunk) => chunk.length > 0) ?? [];
    // Deferred so the owner, who receives this object from a resolved
    // promise, has attached its 'frame' listener first.
    if (initial.length > 0) setImmediate(() => initial.forEach((chunk) => this.receive(chunk)));
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Bytes received on the socket, handshake and record overhead included. */
  get bytesIn(): number {
    return this.socket.bytesRead;
  }

  /** Bytes written to the socket, handshake and record overhead included. */
  get bytesOut(): number {
    return this.socket.bytesWritten;
  }

  /**
   * Seals and queues a frame. Returns false if the connection is closed,
   * else what `socket.write` returned: false means the socket's buffer is
   * above its high-water mark (the frame is still queued); a sender of bulk
   * data should then `await waitForDrain()`. Throws RangeError for a frame
   * above maxFrameSize. With coalescing the frame is queued until the end of
   * the turn (or until a full record's worth is queued), and the result says
   * whether the socket was below its high-water mark at the last write.
   * The payload is read when the frame is sealed (with coalescing, at the
   * end of the turn): do not change it after `send`.
   */
  send(frame: Frame): boolean {
    if (this.isClosed) return false;
    const length = frameLength(frame, this.maxFrameSize);
    if (!this.coalesce) {
      const out = scratchOf(length);
      writeFrame(frame, length, out, 0);
      return this.write(out.subarray(0, length));
    }
    if (this.queued === undefined) {
      this.queued = [frame];
      process.nextTick(flushQueued, this);
    } else {
      this.queued.push(frame);
    }
    this.queuedBytes += length;
    // Full records go out at once (the rest waits for the turn's end): the queue stays bounded.
    if (this.queuedBytes >= MAX_RECORD_PLAINTEXT) this.writeQueued(false);
    return !this.socket.writableNeedDrain;
  }

  /** Seals and writes the frames queued by `send` (coalescing). Runs at the end of the turn; harmless when nothing is queued. */
  flush(): void {
    this.writeQueued(true);
  }

  /** Writes the queued bytes; with `all` false only whole records' worth, keeping the tail queued. */
  private writeQueued(all: boolean): void {
    const queued = this.queued;
    if (queued === undefined) return;
    const total = this.queuedBytes;
    this.queued = undefined;
    this.queuedBytes = 0;
    if (this.isClosed) return;
    const stream = scratchOf(total);
    let offset = 0;
    for (const item of queued) {
      if (item instanceof Uint8Array) {
        stream.set(item, offset);
        offset += item.length;
      } else {
        const length = HEADER_SIZE + item.payload.length;
        writeFrame(item, length, stream, offset);
        offset += length;
      }
    }
    const keep = all ? 0 : total % MAX_RECORD_PLAINTEXT;
    if (keep === 0) {
      this.write(stream.subarray(0, total));
      return;
    }
    // Copied out before the write: the scratch buffer is everyone's once this returns.
    const tail = stream.slice(total - keep, total);
    this.write(stream.subarray(0, total - keep));
    // The end-of-turn flush scheduled with the first queued frame writes the tail.
    this.queued = [tail];
    this.queuedBytes = keep;
  }

  /** Seals `plaintext` (part of the frame stream) into records and writes them. */
  private write(plaintext: Uint8Array): boolean {
    let records: Uint8Array[];
    try {
      records = sealRecords(this.sendCipher, plaintext);
    } catch (err) {
      if (!(err instanceof NoiseError)) throw err;
      // The send key is used up (nonce or AES-GCM data limit): end the
      // connection, and the client reconnects with fresh keys.
      this.destroy({ code: ResultCode.INTERNAL, message: `cannot seal more records: ${err.message}` });
      return false;
    }
    if (records.length === 1) return this.socket.write(records[0]!);
    this.socket.cork();
    let ok = true;
    for (const record of records) ok = this.socket.write(record);
    this.socket.uncork();
    return ok;
  }

  /** Orderly close: queued frames are flushed, then the socket ends. Idempotent. */
  close(error?: TransportError): void {
    if (this.isClosed) return;
    this.flush();
    if (this.isClosed) return; // the flush failed to seal and destroyed the connection
    this.finish(error);
    endSocket(this.socket);
  }

  /** Immediate close: queued frames are dropped. Idempotent. */
  destroy(error?: TransportError): void {
    if (this.isClosed) return;
    this.queued = undefined;
    this.queuedBytes = 0;
    this.finish(error);
    this.socket.destroy();
  }

  /** Waits until the socket can take more (resolves at once when it can). */
  waitForDrain(): Promise<void> {
    if (this.isClosed || !this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  private finish(error: TransportError | undefined): void {
    this.isClosed = true;
    this.socket.off('data', onSocketData);
    this.emit('close', error);
  }

  /** A protocol violation by the peer: the server says why (ERROR frame), then both close. */
  private fail(error: TransportError): void {
    if (this.isClosed) return;
    if (this.role === 'server') {
      try {
        this.send(errorFrame(error.code, error.message));
      } catch {
        // Best effort: the socket may already be gone.
      }
    }
    this.close(error);
  }

  /** @internal Bytes from the socket (its 'data' listener). */
  receive(chunk: Uint8Array): void {
    if (this.isClosed) return;
    const opened = this.opener.push(chunk);
    for (const plaintext of opened.plaintexts) {
      const decoded = this.decoder.push(plaintext);
      for (const frame of decoded.frames) {
        if (this.isClosed) return;
        this.emit('frame', frame);
      }
      if (decoded.error) return this.fail({ code: decoded.error.code, message: decoded.error.message });
    }
    if (opened.error) this.fail(opened.error);
  }

  /** @internal The peer ended its side (the socket's 'end' listener). */
  peerEnded(): void {
    if (this.isClosed) return;
    if (this.opener.bufferedBytes > 0) {
      this.close({ code: ResultCode.DECRYPT_FAILED, message: 'connection ended inside a record (truncated)' });
    } else if (this.decoder.bufferedBytes > 0) {
      this.close({ code: ResultCode.DECRYPT_FAILED, message: 'connection ended inside a frame (truncated at a record boundary)' });
    } else {
      this.close();
    }
  }

  /** @internal The socket's 'error' listener. */
  socketFailed(err: Error): void {
    if (this.isClosed) return;
    this.destroy(socketError(err));
  }

  /** @internal The socket's 'close' listener. */
  socketClosed(): void {
    if (this.isClosed) return;
    this.finish(undefined);
  }
}
