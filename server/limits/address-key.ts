/**
 * The key a client address is throttled under: an IPv4 address as is (also
 * when it arrives IPv4-mapped, `::ffff:1.2.3.4`), an IPv6 address by its /64
 * prefix, since one host or home network usually gets a whole /64 and could
 * otherwise take a fresh address for every attempt.
 */
import { isIPv4, isIPv6 } from 'node:net';

export function addressKey(address: string): string {
  const bare = address.replace(/%.*$/, ''); // zone id (fe80::1%eth0)
  const mapped = /^::ffff:([\d.]+)$/i.exec(bare);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (!isIPv6(bare)) return bare;
  return `${expandIPv6(bare).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, as lowercase hex without leading zeros. */
function expandIPv6(address: string): string[] {
  const groupsOf = (part: string): string[] => {
    if (part === '') return [];
    const pieces = part.split(':');
    const last = pieces[pieces.length - 1]!;
    if (isIPv4(last)) {
      // A trailing dotted quad is the last two groups.
      const [a, b, c, d] = last.split('.').map(Number) as [number, number, number, number];
      pieces.splice(-1, 1, ((a << 8) | b).toString(16), ((c << 8) | d).toString(16));
    }
    return pieces;
  };
  const gap = address.indexOf('::');
  const groups =
    gap === -1
      ? groupsOf(address)
      : (() => {
          const head = groupsOf(address.slice(0, gap));
          const tail = groupsOf(address.slice(gap + 2));
          return [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
        })();
  return groups.map((g) => parseInt(g, 16).toString(16));
}
