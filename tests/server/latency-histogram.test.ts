/** The request path's histogram renders exactly what prom-client's Histogram renders for the same observations. */
import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../server/latency-histogram';

const buckets = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];
const seconds = fc.oneof(fc.constantFrom(0, ...buckets, 10.5, 1e6), fc.double({ min: 0, max: 20, noNaN: true }));

describe('LatencyHistogram', () => {
  it('labelled: the same Prometheus text as prom-client for any observations', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom('MESSAGE_SEND', 'SYNC', 'PING'), seconds), { maxLength: 40 }), async (observations) => {
        const theirs = new Registry();
        const ours = new Registry();
        const reference = new Histogram({ name: 'h_seconds', help: 'help text', labelNames: ['command'], buckets, registers: [theirs] });
        const histogram = new LatencyHistogram('h_seconds', 'help text', buckets, 'command', ours);
        for (const [command, s] of observations) {
          reference.labels(command).observe(s);
          histogram.seriesOf(command).observe(s);
        }
        expect(await ours.metrics()).toBe(await theirs.metrics());
      }),
      { numRuns: 200 },
    );
  });

  it('unlabelled, its series taken at once: the same text, zeros before any observation', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(seconds, { maxLength: 20 }), async (observations) => {
        const theirs = new Registry();
        const ours = new Registry();
        const reference = new Histogram({ name: 'ack_seconds', help: 'acks', buckets, registers: [theirs] });
        const series = new LatencyHistogram('ack_seconds', 'acks', buckets, undefined, ours).seriesOf();
        for (const s of observations) {
          reference.observe(s);
          series.observe(s);
        }
        expect(await ours.metrics()).toBe(await theirs.metrics());
      }),
      { numRuns: 100 },
    );
  });
});
