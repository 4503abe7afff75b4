/**
 * Go regular expressions (RE2 syntax, what Tetragon's filters compile with regexp.Compile) as
 * JavaScript RegExps with the same matches.
 *
 * The pattern is parsed as Go's regexp/syntax parses it (Perl flags) and written out again for a
 * `u`-flag RegExp, so:
 * - what Go rejects is rejected with Go's message ("missing closing ): `(`"), including what
 *   JavaScript would accept: backreferences (\1), lookahead and lookbehind ((?=, (?<=...);
 * - RE2 syntax JavaScript lacks is translated: \A \z, \Q...\E, [[:alpha:]], (?P<name>...),
 *   \x{10FFFF}, \pL and \p{Greek}, (?s) (?m) (?U) anywhere, (?i) for the whole pattern;
 * - classes keep Go's meaning where JavaScript's differs: `.` excludes only \n (not \r, U+2028,
 *   U+2029), \s is [\t\n\f\r ] (no \v, no Unicode spaces), multi-line ^ and $ break only at \n;
 * - what has no JavaScript equivalent is rejected, saying so: \C (one byte), and (?i) applied to
 *   part of a pattern (a JavaScript RegExp is case-insensitive as a whole or not at all).
 * Matching is by code point (the `u` flag), as Go matches runes. What is left: Unicode scripts and
 * categories follow Node's Unicode tables, not Go's; under (?i) JavaScript's \b also counts
 * U+017F and U+212A (the long s and the Kelvin sign) as word characters, Go's does not.
 */

export class Re2SyntaxError extends Error {
  override readonly name = 'Re2SyntaxError';
}

export interface TranslatedRegex {
  source: string;
  /** Always "u", plus "i" when the whole pattern is case-insensitive. */
  flags: string;
}

/** `pattern` (RE2) compiled to a JavaScript RegExp; throws Re2SyntaxError. */
export function compileRe2(pattern: string, extraFlags = ''): RegExp {
  const { source, flags } = translateRe2(pattern);
  try {
    return new RegExp(source, flags + extraFlags);
  } catch (e) {
    throw new Re2SyntaxError(`has no JavaScript equivalent (${(e as Error).message})`);
  }
}

export function translateRe2(pattern: string): TranslatedRegex {
  return new Translator(pattern).translate();
}

interface Flags {
  /** (?i) case-insensitive */
  i: boolean;
  /** (?m) ^ and $ match at line boundaries */
  m: boolean;
  /** (?s) . matches \n */
  s: boolean;
  /** (?U) ungreedy: x* is lazy, x*? greedy */
  U: boolean;
}

type Range = readonly [number, number];

interface Item {
  text: string;
  /** An assertion needs a group around it to take a quantifier in JavaScript. */
  assertion: boolean;
  /** The quantifier already applied, for Go's "invalid nested repetition operator". */
  repeat?: string;
}

const MAX_RUNE = 0x10ffff;
const MAX_REPEAT = 1000;
const MAX_DEPTH = 1000;

const DIGIT: Range[] = [[0x30, 0x39]];
const SPACE: Range[] = [
  [0x09, 0x0a],
  [0x0c, 0x0d],
  [0x20, 0x20],
];
const WORD: Range[] = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
];
const PERL_CLASSES: Readonly<Record<string, Range[]>> = { d: DIGIT, s: SPACE, w: WORD };

const POSIX_CLASSES: Readonly<Record<string, Range[]>> = {
  alnum: [
    [0x30, 0x39],
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  alpha: [
    [0x41, 0x5a],
    [0x61, 0x7a],
  ],
  ascii: [[0x00, 0x7f]],
  blank: [
    [0x09, 0x09],
    [0x20, 0x20],
  ],
  cntrl: [
    [0x00, 0x1f],
    [0x7f, 0x7f],
  ],
  digit: [[0x30, 0x39]],
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: [
    [0x21, 0x2f],
    [0x3a, 0x40],
    [0x5b, 0x60],
    [0x7b, 0x7e],
  ],
  space: [
    [0x09, 0x0d],
    [0x20, 0x20],
  ],
  upper: [[0x41, 0x5a]],
  word: WORD,
  xdigit: [
    [0x30, 0x39],
    [0x41, 0x46],
    [0x61, 0x66],
  ],
};

/** Go's unicode.Categories; any other \p name is a script. */
const UNICODE_CATEGORIES = new Set(
  'C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs'.split(' '),
);

class Translator {
  private pos = 0;
  /** Whether case-sensitive atoms were seen with (?i) on, and with it off. */
  private readonly caseSeen = { on: false, off: false };

  constructor(private readonly src: string) {}

  translate(): TranslatedRegex {
    const source = this.alternation({ i: false, m: false, s: false, U: false }, 0);
    if (this.pos < this.src.length) throw this.error('unexpected )', this.src);
    if (this.caseSeen.on && this.caseSeen.off) {
      throw new Re2SyntaxError(
        '(?i) applies to only part of the pattern, which JavaScript cannot express: a RegExp is case-insensitive as a whole (put (?i) at the start)',
      );
    }
    return { source, flags: this.caseSeen.on ? 'ui' : 'u' };
  }

  private error(code: string, expr: string): Re2SyntaxError {
    return new Re2SyntaxError(`${code}: \`${expr}\``);
  }

  /** Branches separated by | up to the closing ) of the group (left unread) or the end. */
  private alternation(flags: Flags, depth: number): string {
    if (depth > MAX_DEPTH) throw this.error('expression nests too deeply', this.src);
    const branches = [this.sequence(flags, depth)];
    while (this.src[this.pos] === '|') {
      this.pos++;
      branches.push(this.sequence(flags, depth));
    }
    return branches.join('|');
  }

  private sequence(flags: Flags, depth: number): string {
    const items: Item[] = [];
    const src = this.src;
    while (this.pos < src.length) {
      const c = src[this.pos]!;
      if (c === '|' || c === ')') break;
      switch (c) {
        case '(': {
          const item = this.group(flags, depth);
          if (item) items.push(item);
          break;
        }
        case '[':
          items.push({ text: this.charClass(flags), assertion: false });
          break;
        case '.':
          this.pos++;
          items.push({ text: flags.s ? '[\\u{0}-\\u{10FFFF}]' : '[^\\n]', assertion: false });
          break;
        case '^':
          this.pos++;
          items.push({ text: flags.m ? '(?<![^\\n])' : '^', assertion: true });
          break;
        case '$':
          this.pos++;
          items.push({ text: flags.m ? '(?![^\\n])' : '$', assertion: true });
          break;
        case '*':
        case '+':
        case '?':
          this.pos++;
          this.repeat(items, c, flags);
          break;
        case '{': {
          const braces = this.repeatBraces();
          if (braces === undefined) {
            this.pos++;
            items.push({ text: literal('{'.codePointAt(0)!), assertion: false });
          } else {
            this.repeat(items, braces, flags);
          }
          break;
        }
        case '\\':
          this.escapeAtom(items, flags);
          break;
        default: {
          const cp = src.codePointAt(this.pos)!;
          this.pos += cp > 0xffff ? 2 : 1;
          items.push({ text: this.literalCased(cp, flags), assertion: false });
        }
      }
    }
    return items.map((item) => item.text).join('');
  }

  /** Applies *, +, ?, {n,m} (and a following ? for laziness) to the last item. */
  private repeat(items: Item[], op: string, flags: Flags): void {
    let lazy = flags.U;
    let written = op;
    if (this.src[this.pos] === '?') {
      this.pos++;
      lazy = !lazy;
      written += '?';
    }
    const last = items[items.length - 1];
    if (!last) throw this.error('missing argument to repetition operator', written);
    if (last.repeat !== undefined) throw this.error('invalid nested repetition operator', last.repeat + written);
    const base = last.assertion ? `(?:${last.text})` : last.text;
    last.text = base + op + (lazy ? '?' : '');
    last.assertion = false;
    last.repeat = written;
  }

  /** {n}, {n,} or {n,m} at pos, consumed; undefined (nothing consumed) when not one: then { is a literal. */
  private repeatBraces(): string | undefined {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos));
    if (!m) return undefined;
    // Go: a leading zero makes { a literal; 8 digits or more are "too big", an invalid count.
    const number = (s: string): number | undefined =>
      s.length >= 2 && s.startsWith('0') ? undefined : s.length >= 8 ? Infinity : Number(s);
    const min = number(m[1]!);
    const max = m[2] === undefined ? min : m[3] === '' ? -1 : number(m[3]!);
    if (min === undefined || max === undefined) return undefined;
    if (min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && min > max)) {
      throw this.error('invalid repeat count', m[0]);
    }
    this.pos += m[0].length;
    return m[0];
  }

  /** ( ... ): a capture, a named capture, a non-capturing group with flags, or a flag change. */
  private group(flags: Flags, depth: number): Item | undefined {
    const src = this.src;
    const start = this.pos;
    let capture = true;
    let inner: Flags = { ...flags };
    if (src[start + 1] === '?') {
      const rest = src.slice(start + 2);
      if (rest.startsWith('P<') || (rest.startsWith('<') && !rest.startsWith('<=') && !rest.startsWith('<!'))) {
        const open = start + 2 + (rest.startsWith('P') ? 2 : 1);
        const close = src.indexOf('>', open);
        if (close < 0) throw this.error('invalid named capture', src.slice(start));
        const name = src.slice(open, close);
        if (!/^[A-Za-z0-9_]+$/.test(name)) throw this.error('invalid named capture', src.slice(start, close + 1));
        // The name does not change what matches; JavaScript's name rules differ, so drop it.
        this.pos = close + 1;
      } else {
        const parsed = this.flagGroup(flags);
        if (parsed.kind === 'set') {
          Object.assign(flags, parsed.flags);
          return undefined;
        }
        capture = false;
        inner = parsed.flags;
      }
    } else {
      this.pos++;
    }
    const body = this.alternation(inner, depth + 1);
    if (src[this.pos] !== ')') throw this.error('missing closing )', src);
    this.pos++;
    return { text: capture ? `(${body})` : `(?:${body})`, assertion: false };
  }

  /** (?flags) or (?flags: with pos on "(": Go's parsePerlFlags. */
  private flagGroup(current: Flags): { kind: 'set' | 'group'; flags: Flags } {
    const src = this.src;
    const start = this.pos;
    const unsupported = /^\(\?(<?[=!]|P[=>])/.exec(src.slice(start));
    if (unsupported) {
      const hint = unsupported[1]!.startsWith('P') ? 'named backreferences' : 'lookahead and lookbehind';
      throw new Re2SyntaxError(
        `invalid or unsupported Perl syntax: \`${unsupported[0]}\` (${hint} are not RE2 syntax)`,
      );
    }
    const flags = { ...current };
    let negate = false;
    let sawFlag = false;
    for (let p = start + 2; p < src.length; p++) {
      const c = src[p]!;
      if (c === 'i' || c === 'm' || c === 's' || c === 'U') {
        flags[c] = !negate;
        sawFlag = true;
      } else if (c === '-' && !negate) {
        negate = true;
        sawFlag = false;
      } else if ((c === ':' || c === ')') && (!negate || sawFlag)) {
        this.pos = p + 1;
        return { kind: c === ':' ? 'group' : 'set', flags };
      } else {
        throw this.error('invalid or unsupported Perl syntax', src.slice(start, p + 1));
      }
    }
    throw this.error('invalid or unsupported Perl syntax', src.slice(start));
  }

  /** An escape outside a class: an assertion, a class, \Q...\E, or one character. */
  private escapeAtom(items: Item[], flags: Flags): void {
    const src = this.src;
    const c = src[this.pos + 1];
    if (c === undefined) throw this.error('trailing backslash at end of expression', '');
    switch (c) {
      case 'A':
        this.pos += 2;
        items.push({ text: '^', assertion: true });
        return;
      case 'z':
        this.pos += 2;
        items.push({ text: '$', assertion: true });
        return;
      case 'b':
      case 'B':
        this.pos += 2;
        items.push({ text: `\\${c}`, assertion: true });
        return;
      case 'C':
        throw new Re2SyntaxError('\\C (any single byte) has no JavaScript equivalent');
      case 'Q': {
        const end = src.indexOf('\\E', this.pos + 2);
        const text = src.slice(this.pos + 2, end < 0 ? src.length : end);
        this.pos = end < 0 ? src.length : end + 2;
        for (const ch of text) items.push({ text: this.literalCased(ch.codePointAt(0)!, flags), assertion: false });
        return;
      }
      case 'p':
      case 'P': {
        this.noteCase(flags);
        items.push({ text: this.unicodeClass(), assertion: false });
        return;
      }
    }
    const perl = PERL_CLASSES[c.toLowerCase()];
    if (perl) {
      this.pos += 2;
      const ranges = c === c.toLowerCase() ? perl : complement(perl);
      if (caseRelevant(ranges)) this.noteCase(flags);
      items.push({ text: classText(ranges, [], false), assertion: false });
      return;
    }
    items.push({ text: this.literalCased(this.escapeChar(), flags), assertion: false });
  }

  /** \ and one escaped character at pos (Go's parseEscape), consumed; its code point. */
  private escapeChar(): number {
    const src = this.src;
    const start = this.pos;
    const c = src[start + 1];
    if (c === undefined) throw this.error('trailing backslash at end of expression', '');
    this.pos += 2;
    const isOctal = (ch: string | undefined): boolean => ch !== undefined && ch >= '0' && ch <= '7';
    if (c >= '1' && c <= '7' && !isOctal(src[this.pos])) {
      throw new Re2SyntaxError(
        `invalid escape sequence: \`${src.slice(start, this.pos)}\` (backreferences are not RE2 syntax)`,
      );
    }
    if (c >= '0' && c <= '7') {
      let value = c.charCodeAt(0) - 0x30;
      for (let n = 1; n < 3 && isOctal(src[this.pos]); n++) value = value * 8 + src.charCodeAt(this.pos++) - 0x30;
      return value;
    }
    if (c === 'x') {
      if (src[this.pos] === '{') {
        const m = /^\{([0-9A-Fa-f]+)\}/.exec(src.slice(this.pos));
        const value = m ? parseInt(m[1]!, 16) : NaN;
        if (!m || value > MAX_RUNE) {
          const close = src.indexOf('}', this.pos);
          throw this.error('invalid escape sequence', src.slice(start, close < 0 ? src.length : close + 1));
        }
        this.pos += m[0].length;
        return value;
      }
      const hex = src.slice(this.pos, this.pos + 2);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw this.error('invalid escape sequence', src.slice(start, this.pos + 2));
      this.pos += 2;
      return parseInt(hex, 16);
    }
    const simple: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };
    if (simple[c] !== undefined) return simple[c];
    const cp = src.codePointAt(start + 1)!;
    if (cp < 0x80 && !/[0-9A-Za-z]/.test(c)) return cp;
    throw this.error('invalid escape sequence', String.fromCodePoint(0x5c, cp));
  }

  /** \pX, \p{Name}, \p{^Name} or \P... at pos, consumed; the JavaScript class escape. */
  private unicodeClass(): string {
    const src = this.src;
    const start = this.pos;
    let negate = src[start + 1] === 'P';
    let name: string;
    if (src[start + 2] === '{') {
      const close = src.indexOf('}', start + 3);
      if (close < 0) throw this.error('invalid character class range', src.slice(start));
      name = src.slice(start + 3, close);
      this.pos = close + 1;
    } else {
      const cp = src.codePointAt(start + 2);
      if (cp === undefined) throw this.error('invalid character class range', src.slice(start));
      name = String.fromCodePoint(cp);
      this.pos = start + 2 + name.length;
    }
    const written = src.slice(start, this.pos);
    if (name.startsWith('^')) {
      negate = !negate;
      name = name.slice(1);
    }
    if (name === 'Any') return negate ? '[^\\u{0}-\\u{10FFFF}]' : '[\\u{0}-\\u{10FFFF}]';
    const property = UNICODE_CATEGORIES.has(name) ? `gc=${name}` : `sc=${name}`;
    const text = `\\${negate ? 'P' : 'p'}{${property}}`;
    if (!/^[A-Za-z_]+$/.test(name) || !validJs(text)) throw this.error('invalid character class range', written);
    return text;
  }

  /** [...] at pos, consumed (Go's parseClass); the JavaScript class. */
  private charClass(flags: Flags): string {
    const src = this.src;
    const start = this.pos;
    this.pos++;
    let negated = false;
    if (src[this.pos] === '^') {
      negated = true;
      this.pos++;
    }
    const ranges: Range[] = [];
    const properties: string[] = [];
    let first = true;
    for (;;) {
      if (this.pos >= src.length) throw this.error('missing closing ]', src.slice(start));
      if (src[this.pos] === ']' && !first) break;
      first = false;
      if (src.startsWith('[:', this.pos)) {
        const close = src.indexOf(':]', this.pos + 2);
        if (close >= 0) {
          const written = src.slice(this.pos, close + 2);
          let name = src.slice(this.pos + 2, close);
          const negate = name.startsWith('^');
          if (negate) name = name.slice(1);
          const posix = POSIX_CLASSES[name];
          if (!posix) throw this.error('invalid character class range', written);
          ranges.push(...(negate ? complement(posix) : posix));
          this.pos = close + 2;
          continue;
        }
      }
      if (src[this.pos] === '\\') {
        const c = src[this.pos + 1];
        if (c === 'p' || c === 'P') {
          properties.push(this.unicodeClass());
          continue;
        }
        const perl = c === undefined ? undefined : PERL_CLASSES[c.toLowerCase()];
        if (perl) {
          ranges.push(...(c === c!.toLowerCase() ? perl : complement(perl)));
          this.pos += 2;
          continue;
        }
      }
      const rangeStart = this.pos;
      const lo = this.classChar(start);
      let hi = lo;
      if (src[this.pos] === '-' && this.pos + 1 < src.length && src[this.pos + 1] !== ']') {
        this.pos++;
        hi = this.classChar(start);
        if (hi < lo) throw this.error('invalid character class range', src.slice(rangeStart, this.pos));
      }
      ranges.push([lo, hi]);
    }
    this.pos++;
    if (properties.length || caseRelevant(ranges)) this.noteCase(flags);
    return classText(ranges, properties, negated);
  }

  private classChar(classStart: number): number {
    const src = this.src;
    if (this.pos >= src.length) throw this.error('missing closing ]', src.slice(classStart));
    if (src[this.pos] === '\\') return this.escapeChar();
    const cp = src.codePointAt(this.pos)!;
    this.pos += cp > 0xffff ? 2 : 1;
    return cp;
  }

  private literalCased(cp: number, flags: Flags): string {
    const ch = String.fromCodePoint(cp);
    if (ch.toLowerCase() !== ch.toUpperCase()) this.noteCase(flags);
    return literal(cp);
  }

  private noteCase(flags: Flags): void {
    if (flags.i) this.caseSeen.on = true;
    else this.caseSeen.off = true;
  }
}

/** One character for a `u`-flag RegExp: letters, digits, _ and space as is, the rest escaped. */
function literal(cp: number): string {
  return /^[0-9A-Za-z_ ]$/.test(String.fromCodePoint(cp)) ? String.fromCodePoint(cp) : `\\u{${cp.toString(16)}}`;
}

function classText(ranges: readonly Range[], properties: readonly string[], negated: boolean): string {
  const parts = ranges.map(([lo, hi]) => (lo === hi ? literal(lo) : `${literal(lo)}-${literal(hi)}`));
  const body = parts.join('') + properties.join('');
  // An empty class matches nothing, an empty negated class everything.
  if (body === '') return negated ? '[\\u{0}-\\u{10FFFF}]' : '[^\\u{0}-\\u{10FFFF}]';
  return `[${negated ? '^' : ''}${body}]`;
}

/** Whether (?i) can change what a class of these ranges matches: ASCII letters or anything beyond ASCII. */
function caseRelevant(ranges: readonly Range[]): boolean {
  return ranges.some(([lo, hi]) => hi > 0x7f || (lo <= 0x5a && hi >= 0x41) || (lo <= 0x7a && hi >= 0x61));
}

/** The code points not in `ranges` (sorted, non-overlapping). */
function complement(ranges: readonly Range[]): Range[] {
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of [...ranges].sort((a, b) => a[0] - b[0])) {
    if (lo > next) out.push([next, lo - 1]);
    next = Math.max(next, hi + 1);
  }
  if (next <= MAX_RUNE) out.push([next, MAX_RUNE]);
  return out;
}

function validJs(source: string): boolean {
  try {
    new RegExp(source, 'u');
    return true;
  } catch {
    return false;
  }
}
