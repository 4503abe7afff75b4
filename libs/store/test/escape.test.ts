import { describe, expect, it } from 'vitest';
import { identifier, integerLiteral, literal, SqlValueError, stringLiteral } from '../src';

describe('ClickHouse literals', () => {
  it('escapes quote, backslash and control characters; leaves UTF-8 alone', () => {
    expect(stringLiteral("it's")).toBe("'it\\'s'");
    expect(stringLiteral('a\\b')).toBe("'a\\\\b'");
    expect(stringLiteral("\\'")).toBe("'\\\\\\''");
    expect(stringLiteral('l1\nl2\r\t\0')).toBe("'l1\\nl2\\r\\t\\0'");
    expect(stringLiteral('\u0001\u001f\u007f')).toBe("'\\x01\\x1f\\x7f'");
    expect(stringLiteral('κόσμε 🐝')).toBe("'κόσμε 🐝'");
    expect(stringLiteral('')).toBe("''");
  });

  it('leaves no unescaped quote that could end the literal early', () => {
    for (const s of ["'", "\\'", "x' OR 1=1 --", "\\\\'", "''"]) {
      const body = stringLiteral(s).slice(1, -1);
      // Every quote in the body is preceded by an odd number of backslashes.
      for (let i = body.indexOf("'"); i >= 0; i = body.indexOf("'", i + 1)) {
        let slashes = 0;
        while (body[i - 1 - slashes] === '\\') slashes++;
        expect(slashes % 2).toBe(1);
      }
    }
  });

  it('writes integers exactly and refuses what is not one', () => {
    expect(integerLiteral(42)).toBe('42');
    expect(integerLiteral(-7)).toBe('-7');
    expect(integerLiteral((1n << 64n) - 1n)).toBe('18446744073709551615');
    expect(() => integerLiteral(1n << 64n)).toThrow(SqlValueError);
    expect(() => integerLiteral(-(1n << 63n) - 1n)).toThrow('outside Int64/UInt64');
    expect(() => integerLiteral(1.5)).toThrow('not a safe integer');
    expect(() => integerLiteral(Number.NaN)).toThrow(SqlValueError);
    expect(() => integerLiteral(2 ** 53)).toThrow(SqlValueError);
  });

  it('writes arrays and booleans, refuses other types', () => {
    expect(literal(['a', "b'"])).toBe("['a', 'b\\'']");
    expect(literal([1, 2n])).toBe('[1, 2]');
    expect(literal(true)).toBe('1');
    expect(() => literal(null as unknown as string)).toThrow('no SQL literal for object');
    expect(() => literal(undefined as unknown as string)).toThrow(SqlValueError);
  });

  it('accepts plain identifiers only', () => {
    expect(identifier('vigil_it_01')).toBe('vigil_it_01');
    for (const bad of ['', '1db', 'a-b', 'a.b', 'a`b', 'db; DROP', 'x'.repeat(129)])
      expect(() => identifier(bad)).toThrow(SqlValueError);
  });
});
