import { describe, expect, it } from 'vitest';
import { DisposableStore, toDisposable } from '../../shared/util/disposable';
import { Emitter } from '../../shared/util/emitter';

describe('DisposableStore', () => {
  it('disposes what it holds once, last added first', () => {
    const order: string[] = [];
    const store = new DisposableStore();
    store.addCallback(() => order.push('a'));
    store.add(toDisposable(() => order.push('b')));
    store.dispose();
    store.dispose();
    expect(order).toEqual(['b', 'a']);
    expect(store.isDisposed).toBe(true);
  });

  it('disposes at once what is added after it was disposed (nothing outlives its owner)', () => {
    const store = new DisposableStore();
    store.dispose();
    let released = 0;
    store.addCallback(() => released++);
    expect(released).toBe(1);
  });

  it('disposes every item even when some throw, then reports the errors', () => {
    const store = new DisposableStore();
    let released = 0;
    store.addCallback(() => released++);
    store.addCallback(() => {
      throw new Error('first');
    });
    store.addCallback(() => {
      throw new Error('second');
    });
    expect(() => store.dispose()).toThrow(AggregateError);
    expect(released).toBe(1);
  });

  it('delete() disposes one item and forgets it; clear() keeps the store usable', () => {
    const store = new DisposableStore();
    let a = 0;
    let b = 0;
    const item = store.addCallback(() => a++);
    store.addCallback(() => b++);
    store.delete(item);
    expect(a).toBe(1);
    store.clear();
    expect(b).toBe(1);
    store.addCallback(() => b++);
    store.dispose();
    expect([a, b]).toEqual([1, 2]);
  });
});

describe('Emitter', () => {
  it('runs every listener even when one throws, and reports the error to its owner', () => {
    const reported: Array<[unknown, PropertyKey]> = [];
    const emitter = new Emitter<{ ping: number }>({ onListenerError: (error, event) => reported.push([error, event]) });
    const seen: number[] = [];
    emitter.on('ping', () => {
      throw new Error('faulty listener');
    });
    emitter.on('ping', (n) => seen.push(n));
    emitter.emit('ping', 7);
    expect(seen).toEqual([7]);
    expect(reported).toHaveLength(1);
    expect((reported[0]![0] as Error).message).toBe('faulty listener');
    expect(reported[0]![1]).toBe('ping');
  });

  it('without an error handler, throws after all listeners ran (never swallows)', () => {
    const emitter = new Emitter<{ ping: number }>();
    const seen: number[] = [];
    emitter.on('ping', () => {
      throw new Error('faulty listener');
    });
    emitter.on('ping', (n) => seen.push(n));
    expect(() => emitter.emit('ping', 1)).toThrow('faulty listener');
    expect(seen).toEqual([1]);
  });

  it('unsubscribes', () => {
    const emitter = new Emitter<{ ping: number }>();
    const seen: number[] = [];
    const off = emitter.on('ping', (n) => seen.push(n));
    emitter.emit('ping', 1);
    off();
    emitter.emit('ping', 2);
    expect(seen).toEqual([1]);
    expect(emitter.listenerCount('ping')).toBe(0);
  });
});
