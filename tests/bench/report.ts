/**
 * `npm run bench:report [-- IN.json [OUT.html]]`: one HTML page from the
 * side-by-side benchmark's JSON (default bench-results/peer.json ->
 * bench-results/peer.html): latency against throughput for ours and
 * Mosquitto in each configuration (inline SVG, no scripts, no network), the
 * saturation figures, the idle memory, and the machine, date and commit the
 * figures came from.
 */
import { readFileSync, writeFileSync } from 'node:fs';

interface Stat {
  median: number;
  min: number;
  max: number;
}

interface LatencyPoint {
  offeredRate: number;
  achievedRate: number;
  p50Ms: Stat;
  p99Ms: Stat;
  p999Ms: Stat;
}

interface Side {
  name: string;
  summary: Record<string, Stat> & { latency: LatencyPoint[] };
}

interface PeerReport {
  startedAt: string;
  machine: { node: string; platform: string; cpus: number; cpu: string };
  results: {
    commit?: string;
    mosquittoVersion?: string;
    loadAverage?: number[];
    loadAverageAfter?: number[];
    configs: Record<string, { ours: Side; mosquitto: Side; ratio_msgs_per_s: number }>;
    idle?: Record<'ours' | 'mosquitto', { connections: number; rssBytesPerConnection: number; marginalRssBytesPerConnection?: number }>;
  };
}

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const fmt = (n: number) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: 2 }) : '—');
const COLORS = { ours: '#1f6feb', mosquitto: '#d1242f' } as const;

/** p50 and p99 ack latency (log scale) against achieved msg/s, one line per broker. */
function chart(title: string, sides: Record<'ours' | 'mosquitto', Side>): string {
  const w = 560;
  const h = 320;
  const m = { l: 78, r: 20, t: 30, b: 40 };
  const points = Object.values(sides).flatMap((s) => s.summary.latency);
  const maxX = Math.max(1, ...points.map((p) => p.achievedRate)) * 1.1;
  const ys = points.flatMap((p) => [p.p50Ms.median, p.p99Ms.median]).filter((y) => y > 0);
  const minY = Math.max(0.1, Math.min(...ys) / 1.5);
  const maxY = Math.max(...ys) * 1.5;
  const x = (v: number) => m.l + (v / maxX) * (w - m.l - m.r);
  const y = (v: number) => h - m.b - ((Math.log10(Math.max(v, minY)) - Math.log10(minY)) / (Math.log10(maxY) - Math.log10(minY))) * (h - m.t - m.b);
  const parts: string[] = [];
  parts.push(`<text x="${w / 2}" y="18" text-anchor="middle" font-weight="bold">${escape(title)}</text>`);
  parts.push(`<line x1="${m.l}" y1="${h - m.b}" x2="${w - m.r}" y2="${h - m.b}" stroke="#888"/><line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${h - m.b}" stroke="#888"/>`);
  for (let d = Math.ceil(Math.log10(minY)); d <= Math.floor(Math.log10(maxY)); d++) {
    parts.push(`<text x="${m.l - 6}" y="${y(10 ** d) + 4}" text-anchor="end" font-size="11">${fmt(10 ** d)} ms</text>`);
    parts.push(`<line x1="${m.l}" y1="${y(10 ** d)}" x2="${w - m.r}" y2="${y(10 ** d)}" stroke="#eee"/>`);
  }
  for (let i = 0; i <= 4; i++) {
    const v = (maxX / 4) * i;
    parts.push(`<text x="${x(v)}" y="${h - m.b + 16}" text-anchor="middle" font-size="11">${fmt(Math.round(v))}</text>`);
  }
  parts.push(`<text x="${w / 2}" y="${h - 6}" text-anchor="middle" font-size="12">acknowledged msg/s (achieved at the offered rate)</text>`);
  for (const [who, side] of Object.entries(sides) as Array<['ours' | 'mosquitto', Side]>) {
    for (const [key, dash] of [['p50Ms', ''], ['p99Ms', '6 4']] as const) {
      const pts = side.summary.latency.map((p) => `${x(p.achievedRate).toFixed(1)},${y(p[key].median).toFixed(1)}`).join(' ');
      parts.push(`<polyline points="${pts}" fill="none" stroke="${COLORS[who]}" stroke-width="2" stroke-dasharray="${dash}"/>`);
      for (const p of side.summary.latency) parts.push(`<circle cx="${x(p.achievedRate)}" cy="${y(p[key].median)}" r="3" fill="${COLORS[who]}"/>`);
    }
  }
  parts.push(`<text x="${w - m.r}" y="${m.t + 12}" text-anchor="end" font-size="11" fill="${COLORS.ours}">ours (solid p50, dashed p99)</text>`);
  parts.push(`<text x="${w - m.r}" y="${m.t + 26}" text-anchor="end" font-size="11" fill="${COLORS.mosquitto}">Mosquitto</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif">${parts.join('')}</svg>`;
}

function table(sides: Record<'ours' | 'mosquitto', Side>): string {
  const rows: Array<[string, string]> = [
    ['deliveries per server CPU-second', 'deliveriesPerServerCpuSecond'],
    ['server CPU µs per message', 'serverMicrosPerMessage'],
    ['wall deliveries/s', 'deliveriesPerSecond'],
    ['server core share', 'serverCpuShare'],
    ['4 KiB pages written per message', 'pagesWrittenPerMessage'],
    ['bytes passed to write() per message', 'wcharPerMessage'],
  ];
  const cell = (s: Stat | undefined) => (s ? `${fmt(s.median)} <small>(${fmt(s.min)}–${fmt(s.max)})</small>` : '—');
  return `<table><tr><th></th><th>${escape(sides.ours.name)}</th><th>${escape(sides.mosquitto.name)}</th></tr>${rows
    .map(([label, key]) => `<tr><td>${label}</td><td>${cell(sides.ours.summary[key])}</td><td>${cell(sides.mosquitto.summary[key])}</td></tr>`)
    .join('')}</table>`;
}

export function render(report: PeerReport): string {
  const r = report.results;
  const sections = Object.entries(r.configs).map(
    ([name, c]) => {
      const sides = { ours: c.ours, mosquitto: c.mosquitto };
      return `<h2>${escape(name)}: ratio ${fmt(c.ratio_msgs_per_s)} (ours per CPU-second / Mosquitto's)</h2>${table(sides)}${chart(`${name}: ack latency against throughput`, sides)}`;
    },
  );
  const idle = r.idle
    ? `<h2>Idle connections</h2><p>RSS per connection (average; marginal over the second half): ours ${fmt(r.idle.ours.rssBytesPerConnection)} B; ${fmt(r.idle.ours.marginalRssBytesPerConnection ?? NaN)} B at ${fmt(r.idle.ours.connections)} (encrypted); Mosquitto ${fmt(r.idle.mosquitto.rssBytesPerConnection)} B; ${fmt(r.idle.mosquitto.marginalRssBytesPerConnection ?? NaN)} B at ${fmt(r.idle.mosquitto.connections)} (plaintext)</p>`
    : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tern vs Mosquitto</title>
<style>body{font-family:sans-serif;max-width:900px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child{text-align:left}small{color:#666}</style></head><body>
<h1>Tern server against Mosquitto ${escape(r.mosquittoVersion ?? '')}</h1>
<p>${escape(report.startedAt)} · commit ${escape(r.commit ?? 'unknown')} · ${escape(report.machine.cpu)}, ${report.machine.cpus} CPUs, ${escape(report.machine.platform)}, Node ${escape(report.machine.node)} · load average ${escape(String(r.loadAverage ?? '?'))} → ${escape(String(r.loadAverageAfter ?? '?'))}</p>
<p>Medians of alternating runs (min–max in brackets); CPU from /proc, latency from each send's scheduled time. Method: docs/PERFORMANCE.md.</p>
${sections.join('\n')}
${idle}
</body></html>
`;
}

function main(): void {
  const [input = 'bench-results/peer.json', output = input.replace(/\.json$/, '') + '.html'] = process.argv.slice(2);
  const report = JSON.parse(readFileSync(input, 'utf8')) as PeerReport;
  if (!report.results?.configs) throw new Error(`${input} is not a peer benchmark result (npm run bench -- peer)`);
  for (const [name, c] of Object.entries(report.results.configs)) {
    if (!c.ours || !c.mosquitto) throw new Error(`${input}: configuration ${name} lacks a broker (a --brokers run); the report compares both`);
  }
  if (report.results.idle && (!report.results.idle.ours || !report.results.idle.mosquitto)) throw new Error(`${input}: idle figures for one broker only (a --brokers run); the report compares both`);
  writeFileSync(output, render(report));
  console.log(`report written to ${output}`);
}

main();
