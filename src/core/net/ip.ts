// IPv4 and IPv6 addresses and prefixes, parsed without Node's net module so the core stays pure.
// Addresses are kept as bigints, which makes subnet arithmetic the same for both families.

export interface IpAddress {
  readonly family: 4 | 6;
  readonly value: bigint;
  /** Canonical text: dotted quad, or RFC 5952 compressed IPv6. */
  readonly text: string;
}

export interface Cidr {
  readonly address: IpAddress;
  readonly prefix: number;
}

function parseV4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseV6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.length > 45) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0] ?? '');
  const tail = halves.length === 2 ? groups(halves[1] ?? '') : [];
  // An embedded IPv4 tail (::ffff:10.0.0.1) counts as two groups.
  const last = tail.length ? tail : head;
  const lastGroup = last[last.length - 1];
  let v4: bigint | undefined;
  if (lastGroup?.includes('.')) {
    v4 = parseV4(lastGroup);
    if (v4 === undefined) return undefined;
    last.pop();
  }
  const width = head.length + tail.length + (v4 === undefined ? 0 : 2);
  if (halves.length === 1 ? width !== 8 : width > 7) return undefined;
  const all = [...head, ...Array<string>(8 - width).fill('0'), ...tail];
  let v = 0n;
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  if (v4 !== undefined) v = (v << 32n) | v4;
  return v;
}

function formatV6(value: bigint): string {
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  // Compress the longest run (length >= 2) of zero groups, leftmost on ties.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

export function parseIp(text: string): IpAddress | undefined {
  const v4 = parseV4(text);
  if (v4 !== undefined) return { family: 4, value: v4, text };
  const v6 = parseV6(text);
  if (v6 !== undefined) return { family: 6, value: v6, text: formatV6(v6) };
  return undefined;
}

/** "10.0.1.5/24" or "fd00::5/64". The prefix is required. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = parseIp(text.slice(0, slash));
  const p = text.slice(slash + 1);
  if (!address || !/^[0-9]{1,3}$/.test(p)) return undefined;
  const prefix = Number(p);
  if (prefix > (address.family === 4 ? 32 : 128)) return undefined;
  return { address, prefix };
}

function bits(family: 4 | 6): bigint {
  return family === 4 ? 32n : 128n;
}

/** The network part of an address under a prefix. */
export function networkOf(c: Cidr): bigint {
  const host = bits(c.address.family) - BigInt(c.prefix);
  return (c.address.value >> host) << host;
}

/** True when the two prefixes are the same subnet (same family, prefix and network). */
export function sameSubnet(a: Cidr, b: Cidr): boolean {
  return (
    a.address.family === b.address.family && a.prefix === b.prefix && networkOf(a) === networkOf(b)
  );
}

/** True when the two subnets share any address (one contains the other). */
export function subnetsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.address.family !== b.address.family) return false;
  const p = Math.min(a.prefix, b.prefix);
  return (
    networkOf({ address: a.address, prefix: p }) === networkOf({ address: b.address, prefix: p })
  );
}

export function formatCidr(c: Cidr): string {
  return `${c.address.text}/${c.prefix}`;
}

/** The subnet in CIDR form, e.g. 10.0.1.0/24. */
export function subnetText(c: Cidr): string {
  const n = networkOf(c);
  const text =
    c.address.family === 4
      ? [24n, 16n, 8n, 0n].map((s) => ((n >> s) & 255n).toString()).join('.')
      : formatV6(n);
  return `${text}/${c.prefix}`;
}
