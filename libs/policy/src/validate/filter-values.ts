import type { ArgOperator, ArgType, FilterValue } from '../model';
import { join, type MapView } from '../reader';
import { hint, quote, refHint } from '../suggest';
import {
  ADDRESS_FAMILIES,
  CAPABILITIES,
  CAPABILITY_TYPES,
  INT_TYPES,
  IP_PROTOCOLS,
  LIMITS,
  SOCKET_TYPES,
  STRING_TYPES,
  TCP_STATES,
} from '../tables';
import { parseAddress, parseGoInt, parseRange, utf8Length } from '../values';
import type { PolicyContext } from './context';

/**
 * Filter values checked the way Tetragon parses them (pkg/selectors/kernel.go): which operators an
 * argument type admits, how many values, and the syntax and range of each.
 */

const FILE_TYPES: ReadonlySet<ArgType> = new Set<ArgType>(['file', 'path', 'fd', 'dentry', 'filename', 'linux_binprm']);

export interface RawValue {
  text: string;
  offset: number;
  path: string;
}

/** Everything a value check needs to report against the filter. */
export interface Site {
  ctx: PolicyContext;
  view: MapView;
  path: string;
  op: ArgOperator;
  type: ArgType | undefined;
  values: RawValue[];
}

function needValues(site: Site, max?: number, why = ''): boolean {
  const { ctx, view, path, op, values } = site;
  if (values.length === 0) {
    ctx.r.missing(view, 'values', `needs at least one value for operator ${op}`);
    return false;
  }
  if (max !== undefined && values.length > max) {
    const extra = values[max];
    ctx.r.diag.error(
      extra?.offset ?? view.offset,
      extra?.path ?? join(path, 'values'),
      `operator ${op} takes at most ${max} values here (${values.length} given)${why}`,
    );
  }
  return true;
}

function typeError(site: Site, expected: string): FilterValue[] {
  const { ctx, view, path, op, type } = site;
  ctx.r.diag.error(
    ctx.r.where(view, 'operator'),
    join(path, 'operator'),
    `operator ${op} needs ${expected} argument, but the argument is ${type}`,
  );
  return [];
}

function intRange(
  type: ArgType | undefined,
  wide: boolean,
): { min: bigint; max: bigint; signed: boolean; name: string } {
  const info = type ? INT_TYPES[type] : undefined;
  if (!info) return { min: -(2n ** 63n), max: 2n ** 64n - 1n, signed: true, name: 'a 64-bit integer' };
  if (wide || type === 'size_t') {
    // Map and range operators read 64-bit keys; Tetragon parses them as int64 or uint64.
    return info.signed
      ? { min: -(2n ** 63n), max: 2n ** 63n - 1n, signed: true, name: `${type}` }
      : { ...info, name: `${type}` };
  }
  return { ...info, name: `${type}` };
}

function parseIntValue(
  site: Site,
  v: RawValue,
  base0: boolean,
  range: { min: bigint; max: bigint; signed: boolean; name: string },
): bigint | undefined {
  const n = parseGoInt(v.text, base0, range.signed || range.min < 0n);
  if (n === undefined) {
    const forms = base0 ? 'decimal, 0x hex, 0o or 0 octal, 0b binary' : 'decimal digits only';
    site.ctx.r.diag.error(v.offset, v.path, `${quote(v.text)} is not an integer (${forms})`);
    return undefined;
  }
  if (n < range.min || n > range.max) {
    site.ctx.r.diag.error(v.offset, v.path, `${n} is out of range for ${range.name} (${range.min}..${range.max})`);
    return undefined;
  }
  return n;
}

function ints(site: Site, base0: boolean, wide: boolean): FilterValue[] {
  const range = intRange(site.type, wide);
  const out: FilterValue[] = [];
  for (const v of site.values) {
    const n = parseIntValue(site, v, base0, range);
    if (n !== undefined) out.push({ kind: 'int', value: n, raw: v.text });
  }
  return out;
}

function strings(site: Site, maxBytes: number, what: string): FilterValue[] {
  const out: FilterValue[] = [];
  for (const v of site.values) {
    const bytes = utf8Length(v.text);
    if (bytes > maxBytes) {
      site.ctx.r.diag.error(v.offset, v.path, `${what} value is ${bytes} bytes; Tetragon matches at most ${maxBytes}`);
      continue;
    }
    out.push({ kind: 'string', value: v.text });
  }
  return out;
}

function capsMask(site: Site, v: RawValue): FilterValue | undefined {
  const n = parseGoInt(v.text, true, false);
  if (n !== undefined && n < 2n ** 64n) return { kind: 'caps', mask: n, raw: v.text };
  let mask = 0n;
  for (const part of v.text.split(',')) {
    const name = part.trim().toUpperCase();
    const bit = (CAPABILITIES as readonly string[]).indexOf(name);
    if (bit < 0) {
      site.ctx.r.diag.error(v.offset, v.path, `unknown capability ${quote(part.trim())} ${hint(name, CAPABILITIES)}`);
      return undefined;
    }
    mask |= 1n << BigInt(bit);
  }
  return { kind: 'caps', mask, raw: v.text };
}

function equality(site: Site): FilterValue[] {
  const { type } = site;
  if (!needValues(site)) return [];
  if (type === undefined || STRING_TYPES.has(type)) return strings(site, LIMITS.stringValueBytes, 'string');
  if (INT_TYPES[type]) {
    needValues(site, LIMITS.numericValuesPerFilter, '; use InMap for longer lists');
    return ints(site, true, false);
  }
  if (CAPABILITY_TYPES.has(type)) {
    needValues(site, LIMITS.numericValuesPerFilter);
    return site.values.map((v) => capsMask(site, v)).filter((v): v is FilterValue => v !== undefined);
  }
  if (SOCKET_TYPES.has(type)) {
    site.ctx.r.diag.error(
      site.ctx.r.where(site.view, 'operator'),
      join(site.path, 'operator'),
      `operator ${site.op} cannot compare ${type} arguments; use SAddr, DAddr, SPort, DPort, Protocol, Family or State`,
    );
    return [];
  }
  return typeError(site, 'a string-like, integer or capability');
}

function socketOnly(site: Site, sockaddrOk: boolean): boolean {
  const { type, op } = site;
  if (type === undefined) return true;
  if (!SOCKET_TYPES.has(type)) {
    typeError(site, 'a sock, skb, sockaddr or socket');
    return false;
  }
  if (type === 'sockaddr' && !sockaddrOk) {
    site.ctx.r.diag.error(
      site.ctx.r.where(site.view, 'operator'),
      join(site.path, 'operator'),
      `operator ${op} does not apply to sockaddr (it supports SAddr, NotSAddr, SPort, NotSPort, SPortPriv, NotSPortPriv and Family)`,
    );
    return false;
  }
  return true;
}

function ports(site: Site): FilterValue[] {
  const out: FilterValue[] = [];
  const port = { min: 0n, max: 65535n, signed: false, name: 'a port' };
  for (const v of site.values) {
    if (v.text.includes(':')) {
      const r = parseRange(v.text, false, false);
      if (!r || r.max > 65535n) {
        site.ctx.r.diag.error(
          v.offset,
          v.path,
          `${quote(v.text)} is not a port range (expected "min:max" with ports 0..65535)`,
        );
        continue;
      }
      out.push({ kind: 'range', min: r.min, max: r.max, raw: v.text });
      continue;
    }
    const n = parseIntValue(site, v, false, port);
    if (n !== undefined) out.push({ kind: 'int', value: n, raw: v.text });
  }
  return out;
}

function named(site: Site, names: Readonly<Record<string, number>>, what: string, max: bigint): FilterValue[] {
  const out: FilterValue[] = [];
  const range = { min: 0n, max, signed: false, name: what };
  for (const v of site.values) {
    const known = names[v.text];
    if (known !== undefined) {
      out.push({ kind: 'int', value: BigInt(known), raw: v.text, name: v.text });
      continue;
    }
    if (v.text.includes(':')) {
      const r = parseRange(v.text, false, false);
      if (!r || r.max > max) {
        site.ctx.r.diag.error(
          v.offset,
          v.path,
          `${quote(v.text)} is not a ${what} range (expected "min:max", 0..${max})`,
        );
      } else {
        out.push({ kind: 'range', min: r.min, max: r.max, raw: v.text });
      }
      continue;
    }
    if (/^[0-9]+$/.test(v.text)) {
      const n = parseIntValue(site, v, false, range);
      if (n !== undefined) out.push({ kind: 'int', value: n, raw: v.text });
      continue;
    }
    site.ctx.r.diag.error(v.offset, v.path, `unknown ${what} ${quote(v.text)} ${hint(v.text, Object.keys(names))}`);
  }
  return out;
}

function addresses(site: Site): FilterValue[] {
  const out: FilterValue[] = [];
  for (const v of site.values) {
    const cidr = parseAddress(v.text);
    if (!cidr) {
      site.ctx.r.diag.error(
        v.offset,
        v.path,
        `${quote(v.text)} is not an IPv4/IPv6 address or CIDR (e.g. 10.0.0.0/8, fd00::/8)`,
      );
      continue;
    }
    out.push({ kind: 'cidr', ...cidr, raw: v.text });
  }
  return out;
}

function inMap(site: Site): FilterValue[] {
  const { ctx, type } = site;
  if (type !== undefined && !INT_TYPES[type]) return typeError(site, 'an integer');
  if (!needValues(site)) return [];
  const range = intRange(type, true);
  const out: FilterValue[] = [];
  for (const v of site.values) {
    if (v.text.startsWith('list:')) {
      const name = v.text.slice('list:'.length);
      if (!ctx.lists.has(name)) {
        ctx.r.diag.error(
          v.offset,
          v.path,
          `list ${quote(name)} is not defined in spec.lists ${refHint(name, [...ctx.lists.keys()], 'spec.lists is empty')}`,
        );
        continue;
      }
      out.push({ kind: 'list', list: name, raw: v.text });
      continue;
    }
    if (v.text.includes(':')) {
      const r = parseRange(v.text, false, range.signed);
      if (!r || r.min < range.min || r.max > range.max) {
        ctx.r.diag.error(v.offset, v.path, `${quote(v.text)} is not a decimal range "min:max" within ${range.name}`);
        continue;
      }
      if (r.max - r.min > 65535n) {
        ctx.r.diag.warn(
          v.offset,
          v.path,
          `range ${v.text} spans ${r.max - r.min + 1n} values; Tetragon inserts each one into a BPF map`,
        );
      }
      out.push({ kind: 'range', min: r.min, max: r.max, raw: v.text });
      continue;
    }
    // Tetragon parses InMap values in base 10 (strconv.ParseInt(v, 10, 64)).
    const n = parseIntValue(site, v, false, range);
    if (n !== undefined) out.push({ kind: 'int', value: n, raw: v.text });
  }
  return out;
}

function inRange(site: Site): FilterValue[] {
  const { type } = site;
  const narrow = type === 'int' || type === 'int32' || type === 'size_t' || type === 'uint32';
  const wide = type === 'int64' || type === 'syscall64' || type === 'uint64';
  if (type !== undefined && !narrow && !wide) {
    return typeError(site, 'an int, int32, uint32, size_t, int64, uint64 or syscall64');
  }
  if (!needValues(site, LIMITS.numericValuesPerFilter)) return [];
  const out: FilterValue[] = [];
  for (const v of site.values) {
    const r = parseRange(v.text, true, true);
    if (!r || (narrow && (r.min < -(2n ** 31n) || r.max > 0xffffffffn)) || r.min < -(2n ** 63n) || r.max >= 2n ** 63n) {
      site.ctx.r.diag.error(
        v.offset,
        v.path,
        `${quote(v.text)} is not a range "min:max" of ${narrow ? '32' : '64'}-bit integers`,
      );
      continue;
    }
    out.push({ kind: 'range', min: r.min, max: r.max, raw: v.text });
  }
  return out;
}

export function checkValues(site: Site): FilterValue[] {
  const { op, type } = site;
  switch (op) {
    case 'Equal':
    case 'NotEqual':
      return equality(site);
    case 'Prefix':
    case 'NotPrefix':
    case 'Postfix':
    case 'NotPostfix': {
      if (type !== undefined && !STRING_TYPES.has(type))
        return typeError(site, 'a string-like (string, char_buf, file, path, fd, ...)');
      if (!needValues(site)) return [];
      const prefix = op === 'Prefix' || op === 'NotPrefix';
      return strings(site, prefix ? LIMITS.prefixBytes : LIMITS.postfixBytes, prefix ? 'Prefix' : 'Postfix');
    }
    case 'GT':
    case 'LT':
    case 'Mask':
      if (type !== undefined && !INT_TYPES[type]) return typeError(site, 'an integer');
      if (!needValues(site, LIMITS.numericValuesPerFilter)) return [];
      return ints(site, true, false);
    case 'InMap':
    case 'NotInMap':
      return inMap(site);
    case 'InRange':
    case 'NotInRange':
      return inRange(site);
    case 'SPort':
    case 'NotSPort':
    case 'DPort':
    case 'NotDPort':
      if (!socketOnly(site, op === 'SPort' || op === 'NotSPort') || !needValues(site)) return [];
      return ports(site);
    case 'SPortPriv':
    case 'NotSPortPriv':
    case 'DPortPriv':
    case 'NotDPortPriv':
      socketOnly(site, op === 'SPortPriv' || op === 'NotSPortPriv');
      if (site.values.length > 0) {
        site.ctx.r.diag.warn(
          site.ctx.r.where(site.view, 'values'),
          join(site.path, 'values'),
          `operator ${op} takes no values; they are ignored`,
        );
      }
      return [];
    case 'SAddr':
    case 'NotSAddr':
    case 'DAddr':
    case 'NotDAddr':
      if (!socketOnly(site, op === 'SAddr' || op === 'NotSAddr') || !needValues(site)) return [];
      return addresses(site);
    case 'Protocol':
      if (!socketOnly(site, false) || !needValues(site)) return [];
      return named(site, IP_PROTOCOLS, 'protocol', 65535n);
    case 'Family':
      if (!socketOnly(site, true) || !needValues(site)) return [];
      return named(site, ADDRESS_FAMILIES, 'address family', 65535n);
    case 'State':
      if (!socketOnly(site, false) || !needValues(site)) return [];
      return named(site, TCP_STATES, 'TCP state', 255n);
    case 'SubString':
    case 'SubStringIgnCase':
      if (type !== undefined && !STRING_TYPES.has(type)) return typeError(site, 'a string-like');
      if (!needValues(site)) return [];
      return strings(site, LIMITS.stringValueBytes, op);
    case 'FileType':
    case 'NotFileType':
      if (type !== undefined && !FILE_TYPES.has(type)) return typeError(site, 'a file, path, fd or dentry');
      if (!needValues(site)) return [];
      return strings(site, LIMITS.stringValueBytes, op);
    case 'CelExpr':
      site.ctx.r.diag.warn(
        site.ctx.r.where(site.view, 'operator'),
        join(site.path, 'operator'),
        'the CelExpr operator is deprecated (removed in Tetragon 1.9); use matchCEL',
      );
      if (!needValues(site)) return [];
      return strings(site, LIMITS.stringValueBytes, op);
    case 'CapabilitiesGained':
      return [];
  }
}
