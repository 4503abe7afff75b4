/**
 * Kubernetes label selectors (k8s.io/apimachinery pkg/labels Parse, which Tetragon's labels
 * filter uses through its slim copy), with the same grammar, validation and matching:
 *
 *   selector    := requirement ("," requirement)*   (empty: matches every label set)
 *   requirement := ["!"] KEY
 *                | KEY ("=" | "==" | "!=") VALUE
 *                | KEY ("in" | "notin") "(" VALUE ("," VALUE)* ")"
 *                | KEY (">" | "<") INTEGER
 *
 * KEY is a qualified name ([DNS subdomain "/"] name, name at most 63 characters of
 * [A-Za-z0-9._-] starting and ending alphanumeric); VALUE is empty or such a name. `!=` and
 * `notin` also match when the label is absent; `in`, `=`, `>` and `<` need it present.
 */

export class LabelSelectorError extends Error {
  override readonly name = 'LabelSelectorError';
}

export type LabelOperator = 'exists' | '!' | '=' | '==' | '!=' | 'in' | 'notin' | '>' | '<';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

export interface LabelSelector {
  requirements: LabelRequirement[];
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
}

type TokenKind = 'identifier' | 'end' | '(' | ')' | ',' | '!' | '=' | '==' | '!=' | '>' | '<' | 'in' | 'notin';

interface Token {
  kind: TokenKind;
  text: string;
  /** Offset in the selector, for error messages. */
  at: number;
}

const SPECIAL = new Set(['=', '!', '(', ')', ',', '>', '<']);
const WHITESPACE = new Set([' ', '\t', '\r', '\n']);
const TWO_CHAR = new Set(['!=', '==']);

function lex(selector: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  for (;;) {
    while (pos < selector.length && WHITESPACE.has(selector[pos]!)) pos++;
    if (pos >= selector.length) {
      tokens.push({ kind: 'end', text: '', at: pos });
      return tokens;
    }
    const at = pos;
    const c = selector[pos]!;
    if (SPECIAL.has(c)) {
      const two = selector.slice(pos, pos + 2);
      const text = TWO_CHAR.has(two) ? two : c;
      pos += text.length;
      tokens.push({ kind: text as TokenKind, text, at });
      continue;
    }
    while (pos < selector.length && !SPECIAL.has(selector[pos]!) && !WHITESPACE.has(selector[pos]!)) pos++;
    const text = selector.slice(at, pos);
    tokens.push({ kind: text === 'in' || text === 'notin' ? text : 'identifier', text, at });
  }
}

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Problems of a label key (validation.IsQualifiedName), empty when valid. */
function keyProblems(key: string): string[] {
  const parts = key.split('/');
  let name: string;
  const problems: string[] = [];
  if (parts.length === 1) {
    name = parts[0]!;
  } else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix === '') problems.push('prefix part must be non-empty');
    else if (prefix.length > 253) problems.push('prefix part must be no more than 253 characters');
    else if (!DNS_SUBDOMAIN.test(prefix)) {
      problems.push(
        'prefix part must be a lowercase DNS subdomain: alphanumeric characters, "-" or ".", starting and ending alphanumeric',
      );
    }
  } else {
    return [
      'a qualified name is an optional DNS subdomain prefix and "/" followed by a name (e.g. "example.com/MyName")',
    ];
  }
  if (name === '') problems.push('name part must be non-empty');
  else if (name.length > 63) problems.push('name part must be no more than 63 characters');
  else if (!NAME.test(name)) {
    problems.push(
      'name part must consist of alphanumeric characters, "-", "_" or ".", and must start and end with an alphanumeric character',
    );
  }
  return problems;
}

/** Problems of a label value (validation.IsValidLabelValue), empty when valid. */
function valueProblems(value: string): string[] {
  if (value === '') return [];
  if (value.length > 63) return ['must be no more than 63 characters'];
  if (!NAME.test(value)) {
    return [
      'must be empty or consist of alphanumeric characters, "-", "_" or ".", and start and end with an alphanumeric character',
    ];
  }
  return [];
}

const INT64 = /^[+-]?\d+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** strconv.ParseInt(s, 10, 64), undefined when it fails. */
function parseInt64(s: string): bigint | undefined {
  if (!INT64.test(s)) return undefined;
  const value = BigInt(s);
  return value < INT64_MIN || value > INT64_MAX ? undefined : value;
}

class Parser {
  private readonly tokens: Token[];
  private index = 0;

  constructor(private readonly selector: string) {
    this.tokens = lex(selector);
  }

  parse(): LabelRequirement[] {
    const requirements: LabelRequirement[] = [];
    for (;;) {
      const next = this.peek(true);
      if (next.kind === 'end') return requirements;
      if (next.kind !== 'identifier' && next.kind !== '!') {
        throw this.error(next, 'expected "!", a label key, or the end of the selector');
      }
      requirements.push(this.requirement());
      const after = this.take(true);
      if (after.kind === 'end') return requirements;
      if (after.kind !== ',') throw this.error(after, 'expected "," or the end of the selector');
      const following = this.peek(true);
      if (following.kind !== 'identifier' && following.kind !== '!') {
        throw this.error(following, 'expected a label key after ","');
      }
    }
  }

  /** In value position the keywords in and notin are plain identifiers, as in Kubernetes. */
  private peek(values: boolean): Token {
    return this.asValue(this.tokens[this.index]!, values);
  }

  private take(values: boolean): Token {
    const token = this.tokens[this.index]!;
    if (token.kind !== 'end') this.index++;
    return this.asValue(token, values);
  }

  private asValue(token: Token, values: boolean): Token {
    return values && (token.kind === 'in' || token.kind === 'notin') ? { ...token, kind: 'identifier' } : token;
  }

  private requirement(): LabelRequirement {
    let token = this.take(true);
    let negated = false;
    if (token.kind === '!') {
      negated = true;
      token = this.take(true);
    }
    if (token.kind !== 'identifier') throw this.error(token, 'expected a label key');
    const key = token.text;
    const problems = keyProblems(key);
    if (problems.length) throw this.error(token, `invalid label key "${key}": ${problems.join('; ')}`, false);
    const next = this.peek(true);
    if (negated || next.kind === 'end' || next.kind === ',') {
      return { key, operator: negated ? '!' : 'exists', values: [] };
    }
    const op = this.take(false);
    switch (op.kind) {
      case 'in':
      case 'notin':
        return this.validated(key, op.kind, this.valueSet());
      case '=':
      case '==':
      case '!=':
      case '>':
      case '<':
        return this.validated(key, op.kind, [this.exactValue()]);
      default:
        throw this.error(op, 'expected one of in, notin, =, ==, !=, >, <');
    }
  }

  private validated(key: string, operator: LabelOperator, values: string[]): LabelRequirement {
    for (const value of values) {
      const problems = valueProblems(value);
      if (problems.length) throw new LabelSelectorError(`invalid value "${value}" for key "${key}": ${problems[0]}`);
      if ((operator === '>' || operator === '<') && parseInt64(value) === undefined) {
        throw new LabelSelectorError(`"${key}${operator}${value}": the value of ${operator} must be an integer`);
      }
    }
    return { key, operator, values };
  }

  /** ( v1, v2, ... ): empty entries are the empty value, "()" is the set of the empty value. */
  private valueSet(): string[] {
    const open = this.take(true);
    if (open.kind !== '(') throw this.error(open, 'expected "("');
    const values = new Set<string>();
    let expectValue = true;
    for (;;) {
      const token = this.take(true);
      if (token.kind === ')') {
        if (expectValue) values.add('');
        return [...values];
      }
      if (token.kind === ',') {
        if (expectValue) values.add('');
        expectValue = true;
        continue;
      }
      if (token.kind === 'identifier' && expectValue) {
        values.add(token.text);
        expectValue = false;
        continue;
      }
      throw this.error(token, expectValue ? 'expected a value, "," or ")"' : 'expected "," or ")"');
    }
  }

  /** The one value after =, ==, !=, > or <; empty at "," or the end. */
  private exactValue(): string {
    const next = this.peek(true);
    if (next.kind === 'end' || next.kind === ',') return '';
    const token = this.take(true);
    if (token.kind !== 'identifier') throw this.error(token, 'expected a value');
    return token.text;
  }

  private error(token: Token, expected: string, found = true): LabelSelectorError {
    const what = token.kind === 'end' ? 'end of selector' : `"${token.text}"`;
    return new LabelSelectorError(found ? `found ${what} at offset ${token.at}, ${expected}` : expected);
  }
}

/** Parses a selector; throws LabelSelectorError naming what is wrong and where. */
export function parseLabelSelector(selector: string): LabelSelector {
  const requirements = new Parser(selector).parse();
  return {
    requirements,
    matches: (labels) => requirements.every((r) => requirementMatches(r, labels ?? {})),
  };
}

function requirementMatches(r: LabelRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = has ? labels[r.key]! : undefined;
  switch (r.operator) {
    case 'exists':
      return has;
    case '!':
      return !has;
    case '=':
    case '==':
    case 'in':
      return has && r.values.includes(value!);
    case '!=':
    case 'notin':
      return !has || !r.values.includes(value!);
    case '>':
    case '<': {
      if (!has) return false;
      const actual = parseInt64(value!);
      const wanted = parseInt64(r.values[0]!);
      if (actual === undefined || wanted === undefined) return false;
      return r.operator === '>' ? actual > wanted : actual < wanted;
    }
  }
}
