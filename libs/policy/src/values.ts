import { isIP } from 'node:net';

/**
 * Integer text the way Go's strconv parses it, because Tetragon decides which filter values are
 * valid with strconv: base 0 accepts 0x/0o/0b prefixes, a leading 0 for octal and underscores
 * between digits; base 10 accepts decimal digits only. No surrounding spaces in either.
 */
export function parseGoInt(text: string, base0: boolean, signed: boolean): bigint | undefined {
  let s = text;
  let negative = false;
  if (signed && (s.startsWith('-') || s.startsWith('+'))) {
    negative = s.startsWith('-');
    s = s.slice(1);
  }
  if (s.length === 0 || s.length > 80) return undefined;
  let digits: string;
  let radix: number;
  if (!base0) {
    if (!/^[0-9]+$/.test(s)) return undefined;
    digits = s;
    radix = 10;
  } else {
    const prefixed = /^0([xXoObB])(.*)$/.exec(s);
    if (prefixed) {
      const p = (prefixed[1] ?? '').toLowerCase();
      radix = p === 'x' ? 16 : p === 'o' ? 8 : 2;
      digits = prefixed[2] ?? '';
      // After a prefix Go allows an underscore right away ("0x_1f").
      digits = digits.startsWith('_') ? digits.slice(1) : digits;
    } else if (/^0[0-9_]/.test(s)) {
      radix = 8;
      digits = s.slice(1).replace(/^_/, '');
    } else {
      radix = 10;
      digits = s;
    }
    if (digits.length === 0 || digits.startsWith('_') || digits.endsWith('_') || digits.includes('__'))
      return undefined;
    digits = digits.replace(/_/g, '');
  }
  const alphabet = '0123456789abcdef'.slice(0, radix);
  let value = 0n;
  for (const ch of digits.toLowerCase()) {
    const d = alphabet.indexOf(ch);
    if (d < 0) return undefined;
    value = value * BigInt(radix) + BigInt(d);
  }
  return negative ? -value : value;
}

/** "min:max" with both ends parsed like parseGoInt; the ends may come in either order, as in Tetragon. */
export function parseRange(text: string, base0: boolean, signed: boolean): { min: bigint; max: bigint } | undefined {
  const parts = text.split(':');
  if (parts.length !== 2) return undefined;
  const a = parseGoInt(parts[0] ?? '', base0, signed);
  const b = parseGoInt(parts[1] ?? '', base0, signed);
  if (a === undefined || b === undefined) return undefined;
  return a <= b ? { min: a, max: b } : { min: b, max: a };
}

export interface Cidr {
  family: 4 | 6;
  address: string;
  prefixLength: number;
}

/** An IPv4/IPv6 address (a /32 or /128) or a CIDR block, as SAddr/DAddr accept. */
export function parseAddress(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const family = isIP(address);
  if (family !== 4 && family !== 6) return undefined;
  const maxLength = family === 4 ? 32 : 128;
  if (slash < 0) return { family, address, prefixLength: maxLength };
  const lengthText = text.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(lengthText)) return undefined;
  const prefixLength = Number(lengthText);
  if (prefixLength > maxLength) return undefined;
  return { family, address, prefixLength };
}

/**
 * Post's rateLimit: a number of seconds, or a number with an s/m/h suffix (Tetragon's
 * parseRateLimit). Stored in milliseconds, capped at 2^32-1 like Tetragon's u32.
 */
export function parseRateLimit(text: string): number | undefined {
  const m = /^([0-9]+)([sSmMhH]?)$/.exec(text);
  if (!m) return undefined;
  const n = BigInt(m[1] ?? '0');
  if (n > 0xffffffffn) return undefined;
  const unit = (m[2] ?? '').toLowerCase();
  const multiplier = unit === 'h' ? 3600n : unit === 'm' ? 60n : 1n;
  const ms = n * multiplier * 1000n;
  return Number(ms > 0xffffffffn ? 0xffffffffn : ms);
}

/** Go's strconv.ParseBool, which is how Tetragon reads boolean options. */
export function parseGoBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}

/** A fully qualified domain name (labels of letters, digits and hyphens; optional trailing dot). */
export function isFqdn(text: string): boolean {
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  if (name.length === 0 || name.length > 253) return false;
  return name.split('.').every((label) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
}

/** An absolute http(s) URL with a host, what GetUrl can fetch. */
export function isHttpUrl(text: string): boolean {
  if (text.length > 8192) return false;
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0;
  } catch {
    return false;
  }
}

export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
