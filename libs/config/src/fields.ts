/**
 * Field types of the configuration schema. Each field parses a raw value (a string from the
 * environment, or any JSON/YAML value from a file) and either returns the typed value or throws
 * a FieldError saying what was expected — the loader adds where the value came from.
 */
export class FieldError extends Error {}

export interface Field<T> {
  readonly kind: string;
  readonly env?: string;
  readonly default: T;
  readonly doc: string;
  parse(raw: unknown): T;
}

interface FieldOptions<T> {
  env?: string;
  default: T;
  doc: string;
}

function describe(raw: unknown): string {
  return typeof raw === 'string' ? `"${raw}"` : JSON.stringify(raw);
}

function field<T>(kind: string, opts: FieldOptions<T>, parse: (raw: unknown) => T): Field<T> {
  return { kind, env: opts.env, default: opts.default, doc: opts.doc, parse };
}

export function string(opts: FieldOptions<string> & { pattern?: RegExp }): Field<string> {
  return field('string', opts, (raw) => {
    if (typeof raw !== 'string' && typeof raw !== 'number')
      throw new FieldError(`expected a string, got ${describe(raw)}`);
    const s = String(raw);
    if (opts.pattern && !opts.pattern.test(s))
      throw new FieldError(`expected a value matching ${opts.pattern}, got ${describe(raw)}`);
    return s;
  });
}

export function int(opts: FieldOptions<number> & { min?: number; max?: number }): Field<number> {
  const min = opts.min ?? Number.MIN_SAFE_INTEGER;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  return field('int', opts, (raw) => {
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n)) throw new FieldError(`expected an integer, got ${describe(raw)}`);
    if (n < min || n > max) throw new FieldError(`expected an integer in [${min}, ${max}], got ${n}`);
    return n;
  });
}

export function port(opts: FieldOptions<number>): Field<number> {
  return { ...int({ ...opts, min: 1, max: 65535 }), kind: 'port' };
}

export function bool(opts: FieldOptions<boolean>): Field<boolean> {
  return field('bool', opts, (raw) => {
    if (typeof raw === 'boolean') return raw;
    if (typeof raw === 'string') {
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off'].includes(v)) return false;
    }
    throw new FieldError(`expected true/false (or 1/0, yes/no, on/off), got ${describe(raw)}`);
  });
}

export function oneOf<const V extends string>(values: readonly V[], opts: FieldOptions<V>): Field<V> {
  return field('enum', opts, (raw) => {
    if (typeof raw === 'string' && (values as readonly string[]).includes(raw)) return raw as V;
    throw new FieldError(`expected one of ${values.join(', ')}, got ${describe(raw)}`);
  });
}

/** Byte sizes: a number of bytes or a string such as "64MiB", "512k", "1G". */
export function bytes(opts: FieldOptions<number> & { min?: number; powerOfTwo?: boolean }): Field<number> {
  const units: Record<string, number> = {
    '': 1,
    b: 1,
    k: 1024,
    kb: 1024,
    kib: 1024,
    m: 1024 ** 2,
    mb: 1024 ** 2,
    mib: 1024 ** 2,
    g: 1024 ** 3,
    gb: 1024 ** 3,
    gib: 1024 ** 3,
  };
  return field('bytes', opts, (raw) => {
    const m =
      typeof raw === 'number'
        ? [String(raw), String(raw), '']
        : typeof raw === 'string'
          ? /^\s*(\d+)\s*([a-zA-Z]*)\s*$/.exec(raw)
          : null;
    const unit = m ? units[(m[2] ?? '').toLowerCase()] : undefined;
    if (!m || unit === undefined)
      throw new FieldError(`expected a size such as 1048576, "512KiB" or "64MiB", got ${describe(raw)}`);
    const n = Number(m[1]) * unit;
    if (!Number.isSafeInteger(n) || n < (opts.min ?? 0))
      throw new FieldError(`expected a size of at least ${opts.min ?? 0} bytes, got ${describe(raw)}`);
    if (opts.powerOfTwo && (n & (n - 1)) !== 0)
      throw new FieldError(`expected a power of two (e.g. "16MiB"), got ${describe(raw)} = ${n} bytes`);
    return n;
  });
}

/** Comma-separated host:port list (env) or an array of "host:port" strings (file). */
export function hostPorts(opts: FieldOptions<string[]>): Field<string[]> {
  return field('host:port list', opts, (raw) => {
    const items =
      typeof raw === 'string'
        ? raw
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : Array.isArray(raw)
          ? raw
          : null;
    if (!items || items.length === 0)
      throw new FieldError(`expected a non-empty list of host:port, got ${describe(raw)}`);
    return items.map((item) => {
      const m = typeof item === 'string' ? /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(item) : null;
      if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535)
        throw new FieldError(`expected host:port, got ${describe(item)}`);
      return item as string;
    });
  });
}

export function url(opts: FieldOptions<string> & { protocols?: string[] }): Field<string> {
  const protocols = opts.protocols ?? ['http:', 'https:'];
  return field('url', opts, (raw) => {
    let u: URL;
    try {
      u = new URL(String(raw));
    } catch {
      throw new FieldError(`expected a URL, got ${describe(raw)}`);
    }
    if (typeof raw !== 'string' || !protocols.includes(u.protocol))
      throw new FieldError(`expected a ${protocols.join(' or ')} URL, got ${describe(raw)}`);
    return raw;
  });
}
