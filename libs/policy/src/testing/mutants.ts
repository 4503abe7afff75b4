/**
 * Test support (not used by Vigil itself): deterministic mutants of policy YAML for fuzzing the
 * parser and the loader. Import it from "@vigil/policy/dist/testing/mutants".
 */
import { isMap, isScalar, isSeq, parseDocument, visit, type Document } from 'yaml';
import { ACTIONS, ARG_OPERATORS, ARG_TYPES } from '../tables';

/** mulberry32: a tiny seeded PRNG, so every run mutates the same way. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;
const int = (rng: Rng, max: number): number => Math.floor(rng() * max);

/** Tokens a mutant may swap in: real names (so mutants often stay valid) and near misses. */
const TOKENS = [
  ...ARG_OPERATORS,
  ...ACTIONS,
  ...ARG_TYPES,
  'In',
  'NotIn',
  'GreaterThan',
  'Equals',
  'gt',
  'sigkill',
  'inte',
  'Effective',
  'host_ns',
  'list:dups',
  '0x40',
  '-1',
  '65536',
  '10.0.0.0/8',
  '::1/129',
  'CAP_SYS_ADMIN',
  'IPPROTO_TCP',
  '',
  'true',
  '~',
  '{}',
  '[]',
];

/** Edits the YAML tree and prints it back; texts the library cannot round-trip are left to text mutations. */
function withDoc(text: string, edit: (doc: Document, rng: Rng) => boolean, rng: Rng): string | undefined {
  // Deeply nested mutants are slow to re-parse and add nothing to tree edits.
  if (/\[{8}|(\{a: ){8}/.test(text)) return undefined;
  try {
    const doc = parseDocument(text);
    if (doc.errors.length > 0) return undefined;
    return edit(doc, rng) ? doc.toString() : undefined;
  } catch {
    return undefined;
  }
}

function deleteKey(doc: Document, rng: Rng): boolean {
  let count = 0;
  visit(doc, { Pair: () => void count++ });
  if (count === 0) return false;
  const target = int(rng, count);
  let i = 0;
  visit(doc, { Pair: () => (i++ === target ? visit.REMOVE : undefined) });
  return true;
}

function replaceScalar(doc: Document, rng: Rng, make: (rng: Rng) => unknown): boolean {
  let count = 0;
  visit(doc, { Scalar: (key) => void (key !== 'key' && count++) });
  if (count === 0) return false;
  const target = int(rng, count);
  let i = 0;
  let replaced = false;
  visit(doc, {
    Scalar: (key) => {
      if (key === 'key' || i++ !== target) return undefined;
      replaced = true;
      return doc.createNode(make(rng));
    },
  });
  return replaced;
}

/** Replaces the value of a random "key: value" line, in the text, so huge values cost no re-serialization. */
function replaceLineValue(text: string, rng: Rng, value: string): string | undefined {
  const lines = text.split('\n');
  const candidates = lines.flatMap((line, i) => (/^\s*-?\s*[A-Za-z]+: *\S/.test(line) ? [i] : []));
  if (candidates.length === 0) return undefined;
  const i = pick(rng, candidates);
  lines[i] = (lines[i] ?? '').replace(/^(\s*-?\s*[A-Za-z]+: *).*$/, (_m, head: string) => head + value);
  return lines.join('\n');
}

function changeType(rng: Rng): unknown {
  return pick(rng, [null, 0, -7, 3.5, true, 'text', [], ['a', 1], {}, { index: 0 }, 2n ** 70n]);
}

const MUTATIONS: Record<string, (text: string, rng: Rng) => string | undefined> = {
  deleteKey: (t, rng) => withDoc(t, deleteKey, rng),
  changeType: (t, rng) => withDoc(t, (d, r) => replaceScalar(d, r, changeType), rng),
  swapToken: (t, rng) => withDoc(t, (d, r) => replaceScalar(d, r, (rr) => pick(rr, TOKENS)), rng),
  renameKey: (t, rng) =>
    withDoc(
      t,
      (doc, r) => {
        let done = false;
        visit(doc, {
          Pair: (_k, pair) => {
            if (done || !isScalar(pair.key) || r() > 0.05) return undefined;
            const key = String(pair.key.value);
            pair.key.value = pick(r, [key.toLowerCase(), `${key}s`, key.slice(0, -1), 'unknownField', `${key}_`]);
            done = true;
            return undefined;
          },
        });
        return done;
      },
      rng,
    ),
  duplicateItem: (t, rng) =>
    withDoc(
      t,
      (doc, r) => {
        const seqs: unknown[] = [];
        visit(doc, { Seq: (_k, node) => void seqs.push(node) });
        const seq = seqs.length > 0 ? pick(r, seqs) : undefined;
        if (!isSeq(seq) || seq.items.length === 0) return false;
        const item = pick(r, seq.items);
        const copies = 1 + int(r, 6);
        for (let i = 0; i < copies; i++)
          seq.items.push(isMap(item) || isSeq(item) || isScalar(item) ? item.clone() : item);
        return true;
      },
      rng,
    ),
  insertGarbage: (t, rng) => {
    const at = int(rng, t.length + 1);
    const garbage = Array.from({ length: 1 + int(rng, 12) }, () => String.fromCharCode(int(rng, 128))).join('');
    return t.slice(0, at) + garbage + t.slice(at);
  },
  binaryGarbage: (t, rng) => {
    const at = int(rng, t.length + 1);
    const bytes = Array.from({ length: 1 + int(rng, 64) }, () => String.fromCharCode(int(rng, 0x10000))).join('');
    return t.slice(0, at) + bytes + t.slice(at);
  },
  truncate: (t, rng) => t.slice(0, int(rng, t.length)),
  duplicateLine: (t, rng) => {
    const lines = t.split('\n');
    const i = int(rng, lines.length);
    lines.splice(i, 0, lines[i] ?? '');
    return lines.join('\n');
  },
  swapLines: (t, rng) => {
    const lines = t.split('\n');
    const a = int(rng, lines.length);
    const b = int(rng, lines.length);
    [lines[a], lines[b]] = [lines[b] ?? '', lines[a] ?? ''];
    return lines.join('\n');
  },
  reindent: (t, rng) => {
    const lines = t.split('\n');
    const i = int(rng, lines.length);
    const line = lines[i] ?? '';
    lines[i] = rng() < 0.5 ? ` ${line}` : line.replace(/^ {1,2}/, '');
    return lines.join('\n');
  },
  deepNesting: (t, rng) => {
    const depth = 10 + int(rng, 3000);
    const nest =
      rng() < 0.5 ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`;
    return replaceLineValue(t, rng, nest);
  },
  hugeValue: (t, rng) => {
    const size = 1000 + int(rng, 300_000);
    return replaceLineValue(t, rng, pick(rng, ['x', '/', '9']).repeat(size));
  },
  aliasBomb: (t) =>
    `${t}\n---\nx: &a [1,1,1,1,1,1,1,1,1,1]\n${Array.from(
      { length: 9 },
      (_, i) =>
        `y${i}: &a${i} [${Array(10)
          .fill(i === 0 ? '*a' : `*a${i - 1}`)
          .join(',')}]`,
    ).join('\n')}\n`,
};

const MUTATION_NAMES = Object.keys(MUTATIONS);

export interface Mutant {
  index: number;
  /** The mutations applied, in order, e.g. "deleteKey+truncate". */
  applied: string[];
  text: string;
}

/** Deterministic mutants of the seed texts: one to three stacked mutations each. */
export function* mutants(seeds: readonly string[], total: number, seed = 0x5eed_2024): Generator<Mutant> {
  const rng = prng(seed);
  for (let i = 0; i < total; i++) {
    const original = seeds[i % seeds.length] ?? '';
    let text: string | undefined = original;
    const applied: string[] = [];
    for (let n = 1 + int(rng, 3); n > 0 && text !== undefined; n--) {
      const name = pick(rng, MUTATION_NAMES);
      const next: string | undefined = MUTATIONS[name]?.(text, rng);
      if (next !== undefined) {
        text = next;
        applied.push(name);
      }
    }
    if (text === undefined || applied.length === 0) {
      text = original.slice(0, int(rng, original.length));
      applied.push('truncate');
    }
    yield { index: i, applied, text };
  }
}
