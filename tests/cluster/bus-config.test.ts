// The --bus option: NATS URLs with and without credentials, refused shapes (never echoing a password), and the rule
// that nodes on a bus share one PostgreSQL (two embedded stores on one bus would hand one user's pushes to another).
import { describe, expect, it } from 'vitest';
import { parseBusUrl } from '../../server/cluster/bus-url';
import { ConfigError, loadConfig } from '../../server/config';

function problems(load: () => unknown): string[] {
  try {
    load();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

const pg = 'postgres://tern@127.0.0.1:5432/tern';

describe('--bus', () => {
  it('takes NATS URLs: several servers, user and password, a token, TLS', () => {
    expect(parseBusUrl('nats://127.0.0.1:4222')).toEqual({ servers: ['127.0.0.1:4222'], user: undefined, pass: undefined, tls: false });
    expect(parseBusUrl('nats://a:4222, nats://b')).toMatchObject({ servers: ['a:4222', 'b:4222'] });
    expect(parseBusUrl('nats://tern:s%40cret@a:4222')).toMatchObject({ user: 'tern', pass: 's@cret' });
    expect(parseBusUrl('nats://t0ken@a')).toEqual({ servers: ['a:4222'], token: 't0ken', tls: false });
    expect(parseBusUrl('tls://a:4443')).toMatchObject({ servers: ['a:4443'], tls: true });
    expect(loadConfig({ flags: { bus: 'nats://127.0.0.1:4222', store: pg } }).bus).toBe('nats://127.0.0.1:4222');
    expect(loadConfig({ env: { TERN_SERVER_BUS: 'nats://h:1', TERN_SERVER_STORE: pg } }).bus).toBe('nats://h:1');
  });

  it('refuses what is not a NATS URL, without repeating a password', () => {
    const [http] = problems(() => loadConfig({ flags: { bus: 'http://user:hunter2@h:4222', store: pg } }));
    expect(http).toMatch(/--bus: bus: expected nats:\/\/ or tls:\/\//);
    const [junk] = problems(() => loadConfig({ flags: { bus: 'user:hunter2@@:/', store: pg } }));
    expect(junk).toMatch(/--bus/);
    expect(`${http} ${junk}`).not.toContain('hunter2');
  });

  it('needs a store every node shares', () => {
    expect(problems(() => loadConfig({ flags: { bus: 'nats://127.0.0.1:4222' } }))).toEqual([
      'bus needs a shared store: every node on a bus must use the same PostgreSQL (--store postgres://…)',
    ]);
  });
});
