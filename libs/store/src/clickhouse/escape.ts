/**
 * The one place that turns values into ClickHouse SQL text. ClickHouse 18.16 has no query
 * parameters, so every value in a query goes through here; nothing else builds literals.
 *
 * String literals: ClickHouse parses '…' with C-style backslash escapes, so a backslash and a
 * quote must be escaped (doubling '' also works, backslash-quote is used for both). Control
 * characters are escaped as well so that a literal never spans lines in logs and a NUL byte
 * survives the HTTP body; everything else (UTF-8) goes through verbatim. The integration tests
 * round-trip hostile strings through the real server to check this.
 */

export type SqlValue = string | number | bigint | boolean | readonly SqlValue[];

/** Thrown for a value that has no safe literal (never silently coerced). */
export class SqlValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SqlValueError';
  }
}

const NAMED_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '\0': '\\0',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[\\'\u0000-\u001f\u007f]/g;

export function stringLiteral(value: string): string {
  if (typeof value !== 'string') throw new SqlValueError(`expected a string, got ${typeof value}`);
  return `'${value.replace(NEEDS_ESCAPE, (c) => NAMED_ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}'`;
}

const UINT64_MAX = (1n << 64n) - 1n;
const INT64_MIN = -(1n << 63n);

/** Integers only: a float in a filter is a bug upstream, not something to round. */
export function integerLiteral(value: number | bigint): string {
  if (typeof value === 'bigint') {
    if (value < INT64_MIN || value > UINT64_MAX) throw new SqlValueError(`${value} is outside Int64/UInt64`);
    return value.toString();
  }
  if (!Number.isSafeInteger(value)) throw new SqlValueError(`${value} is not a safe integer`);
  return String(value);
}

export function literal(value: SqlValue): string {
  if (typeof value === 'string') return stringLiteral(value);
  if (typeof value === 'number' || typeof value === 'bigint') return integerLiteral(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  throw new SqlValueError(`no SQL literal for ${typeof value}`);
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/**
 * Database and table names. Restricted to [A-Za-z_][A-Za-z0-9_]* instead of escaped: a name that
 * needs quoting is a configuration mistake worth an error, and the result is valid unquoted SQL
 * in ClickHouse and DuckDB alike.
 */
export function identifier(name: string): string {
  if (!IDENTIFIER.test(name))
    throw new SqlValueError(`${JSON.stringify(name)} is not a valid name: use letters, digits and _ (not first)`);
  return name;
}
