import { describe, expect, it } from 'vitest';
import { compileRe2, Re2SyntaxError } from '../../src/filters';

const matches = (pattern: string, s: string): boolean => compileRe2(pattern).test(s);
const match = (pattern: string, s: string): string | undefined => compileRe2(pattern).exec(s)?.[0];
const syntaxError = (pattern: string): string => {
  try {
    compileRe2(pattern);
  } catch (e) {
    expect(e).toBeInstanceOf(Re2SyntaxError);
    return (e as Error).message;
  }
  throw new Error(`${pattern} compiled`);
};

describe('RE2 patterns keep their Go meaning', () => {
  it('match anywhere in the string, as Go MatchString', () => {
    expect(matches('sbin', '/usr/sbin/nginx')).toBe(true);
    expect(matches('^sbin', '/usr/sbin/nginx')).toBe(false);
  });

  it('. matches everything but \\n, including \\r and U+2028 that JavaScript excludes', () => {
    expect(matches('^a.b$', 'a\rb')).toBe(true);
    expect(matches('^a.b$', 'a\u2028b')).toBe(true);
    expect(matches('^a.b$', 'a\nb')).toBe(false);
    expect(matches('(?s)^a.b$', 'a\nb')).toBe(true);
    expect(matches('^.$', '😀')).toBe(true);
  });

  it('\\s is [\\t\\n\\f\\r ] only: no \\v, no Unicode spaces', () => {
    expect(matches('^\\s$', ' ')).toBe(true);
    expect(matches('^\\s$', '\v')).toBe(false);
    expect(matches('^\\s$', '\u00a0')).toBe(false);
    expect(matches('^\\S$', '\u00a0')).toBe(true);
    expect(matches('^[\\S]$', '\v')).toBe(true);
    expect(matches('^[^\\s]$', '\t')).toBe(false);
  });

  it('$ is the end of the text, (?m) makes ^ and $ line boundaries at \\n only', () => {
    expect(matches('abc$', 'abc\n')).toBe(false);
    expect(matches('(?m)abc$', 'abc\nxyz')).toBe(true);
    expect(matches('(?m)^xyz', 'abc\nxyz')).toBe(true);
    expect(matches('(?m)^xyz', 'abc\rxyz')).toBe(false);
    expect(matches('(?m:^b)', 'a\nb')).toBe(true);
    expect(matches('^b', 'a\nb')).toBe(false);
  });

  it('\\A and \\z anchor the text, also under (?m)', () => {
    expect(matches('\\Afoo\\z', 'foo')).toBe(true);
    expect(matches('(?m)\\Abar', 'foo\nbar')).toBe(false);
    expect(matches('(?m)foo\\z', 'foo\nbar')).toBe(false);
  });

  it('translate \\Q...\\E, POSIX classes, named groups and \\x{...}', () => {
    expect(matches('^\\Q/usr/bin/c++\\E$', '/usr/bin/c++')).toBe(true);
    expect(matches('^\\Qa.b', 'axb')).toBe(false);
    expect(matches('^[[:alpha:]_]+$', 'CONFIG_x')).toBe(true);
    expect(matches('^[[:^digit:]]+$', 'abc1')).toBe(false);
    expect(matches('[[:punct:]]', 'abc')).toBe(false);
    expect(match('(?P<dir>/[a-z]+)(?<base>/[a-z]+)', '/usr/bin')).toBe('/usr/bin');
    expect(matches('^\\x{263a}\\x41$', '☺A')).toBe(true);
    expect(matches('^\\101\\0$', 'A\0')).toBe(true);
  });

  it('translate Unicode classes: categories and scripts', () => {
    expect(matches('^\\pL+$', 'héllo')).toBe(true);
    expect(matches('^\\p{Greek}+$', 'αβγ')).toBe(true);
    expect(matches('^\\p{Greek}+$', 'abc')).toBe(false);
    expect(matches('^\\PL$', '1')).toBe(true);
    expect(matches('^\\p{^Lu}$', 'a')).toBe(true);
    expect(matches('^[\\p{Greek}\\d]+$', 'α1')).toBe(true);
  });

  it('(?i) for the whole pattern becomes a case-insensitive RegExp', () => {
    expect(matches('(?i)^/USR/BIN/', '/usr/bin/bash')).toBe(true);
    expect(matches('(?i:bash)$', '/bin/BASH')).toBe(true);
    expect(matches('bash', 'BASH')).toBe(false);
    expect(matches('^[0-9]+\\s(?i)ERROR', '42 error')).toBe(true);
  });

  it('(?U) swaps greedy and lazy repetition', () => {
    expect(match('a+', 'aaa')).toBe('aaa');
    expect(match('(?U)a+', 'aaa')).toBe('a');
    expect(match('(?U)a+?', 'aaa')).toBe('aaa');
    expect(match('a{2,}?', 'aaaa')).toBe('aa');
  });

  it('read a { that starts no repeat count as a literal, as Go', () => {
    expect(matches('^a{,3}$', 'a{,3}')).toBe(true);
    expect(matches('^x{$', 'x{')).toBe(true);
    expect(matches('^a{02}$', 'a{02}')).toBe(true);
    expect(matches('^a{2}$', 'aa')).toBe(true);
  });

  it('read ] first in a class and - at its ends as literals', () => {
    expect(matches('^[]a]+$', ']a')).toBe(true);
    expect(matches('^[^]a]$', 'b')).toBe(true);
    expect(matches('^[a-]+$', '-a')).toBe(true);
    expect(matches('^[\\]\\-]+$', ']-')).toBe(true);
  });

  it('accept repeated assertions, as Go does', () => {
    expect(matches('^*a', 'a')).toBe(true);
    expect(matches('\\b+a', 'a')).toBe(true);
  });
});

describe('patterns Go rejects are rejected with Go messages', () => {
  it.each([
    ['(', 'missing closing ): `(`'],
    ['a)', 'unexpected ): `a)`'],
    ['[a', 'missing closing ]: `[a`'],
    ['*a', 'missing argument to repetition operator: `*`'],
    ['a|*', 'missing argument to repetition operator: `*`'],
    ['a**', 'invalid nested repetition operator: `**`'],
    ['a{2}{3}', 'invalid nested repetition operator: `{2}{3}`'],
    ['a{1001}', 'invalid repeat count: `{1001}`'],
    ['a{3,2}', 'invalid repeat count: `{3,2}`'],
    ['[z-a]', 'invalid character class range: `z-a`'],
    ['[[:word2:]]', 'invalid character class range: `[:word2:]`'],
    ['\\p{Klingon}', 'invalid character class range: `\\p{Klingon}`'],
    ['\\Z', 'invalid escape sequence: `\\Z`'],
    ['\\8', 'invalid escape sequence: `\\8`'],
    ['[\\b]', 'invalid escape sequence: `\\b`'],
    ['\\x{110000}', 'invalid escape sequence: `\\x{110000}`'],
    ['a\\', 'trailing backslash at end of expression: ``'],
    ['(?P<a-b>x)', 'invalid named capture: `(?P<a-b>`'],
    ['(?i', 'invalid or unsupported Perl syntax: `(?i`'],
    ['(?x)a', 'invalid or unsupported Perl syntax: `(?x`'],
  ])('%s', (pattern, message) => {
    expect(syntaxError(pattern)).toBe(message);
  });

  it('backreferences and lookaround, which JavaScript would accept', () => {
    expect(syntaxError('(a)\\1')).toBe('invalid escape sequence: `\\1` (backreferences are not RE2 syntax)');
    expect(syntaxError('foo(?=bar)')).toBe(
      'invalid or unsupported Perl syntax: `(?=` (lookahead and lookbehind are not RE2 syntax)',
    );
    expect(syntaxError('(?<!x)y')).toBe(
      'invalid or unsupported Perl syntax: `(?<!` (lookahead and lookbehind are not RE2 syntax)',
    );
  });
});

describe('RE2 that JavaScript cannot express is rejected, saying so', () => {
  it('\\C, one byte of UTF-8', () => {
    expect(syntaxError('a\\Cb')).toBe('\\C (any single byte) has no JavaScript equivalent');
  });

  it('(?i) over part of a pattern', () => {
    expect(syntaxError('^/bin/(?i)bash')).toContain('(?i) applies to only part of the pattern');
    expect(syntaxError('(?i:bash)_HISTORY')).toContain('(?i) applies to only part of the pattern');
  });
});
