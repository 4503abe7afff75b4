import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  visit,
  type Alias,
  type Document,
  type Scalar,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import { AbortValidation, type Diagnostics } from './diagnostics';
import { hint, quote } from './suggest';

/** A YAML node with aliases resolved. */
export type YamlValue = Scalar | YAMLMap | YAMLSeq;

/**
 * Nodes visited while reading one document, aliases included. Anchors let a small text name an
 * exponential tree (the "billion laughs"); the walk stops here instead of trying to expand it.
 */
export const MAX_VISITS = 100_000;

/** A key/value pair of a mapping, with where each part starts. */
export interface Field {
  key: string;
  keyOffset: number;
  /** The value with aliases resolved; null for an explicit null or a missing value. */
  node: YamlValue | null;
  /** Where to point at the value (the key when the value is empty). */
  offset: number;
  path: string;
}

/** A mapping read from YAML: fields by key, duplicates and non-string keys already reported. */
export interface MapView {
  node: YAMLMap;
  path: string;
  offset: number;
  fields: Map<string, Field>;
}

/** `a.b` for plain keys, `a["app.kubernetes.io/name"]` for the others, so a path reads back unambiguously. */
export function join(path: string, key: string): string {
  if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key.length > 80 ? `${key.slice(0, 77)}...` : key)}]`;
}

export function at(path: string, index: number): string {
  return `${path}[${index}]`;
}

export function offsetOf(node: unknown, fallback = 0): number {
  const range = (node as { range?: [number, number, number] | null } | null)?.range;
  return range ? range[0] : fallback;
}

/** How a value looks, for "expected X, got Y" messages. */
export function describe(node: YamlValue | null): string {
  if (node === null) return 'null';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  const v = node.value;
  if (v === null) return 'null';
  if (typeof v === 'string') return `string ${quote(v)}`;
  if (typeof v === 'boolean') return `boolean ${v}`;
  if (typeof v === 'number' || typeof v === 'bigint') return `number ${String(v)}`;
  return 'a value of unknown type';
}

const YAML11_TRUE = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON']);
const YAML11_FALSE = new Set(['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF']);

export interface IntOptions {
  required?: boolean;
  min?: bigint;
  max?: bigint;
}

/**
 * Typed access to one YAML document with every problem reported against its source position.
 * Readers return `undefined` for a missing or invalid value after reporting it, so callers carry
 * on and the whole document is checked in one pass.
 */
export class Reader {
  private readonly aliasTargets = new Map<Alias, YamlValue | undefined>();
  private readonly mergeCache = new Map<YAMLMap, Field[]>();
  private readonly merging = new Set<YAMLMap>();
  private visits = 0;

  constructor(
    readonly doc: Document,
    readonly diag: Diagnostics,
  ) {
    // One pass in document order: an alias refers to the last anchor of that name before it.
    const anchors = new Map<string, YamlValue>();
    visit(doc, {
      Node: (_key, node) => {
        if (isAlias(node)) {
          this.aliasTargets.set(node, anchors.get(node.source));
        } else if ((isScalar(node) || isMap(node) || isSeq(node)) && node.anchor) {
          anchors.set(node.anchor, node);
        }
      },
    });
  }

  /** Counts a visited node; past the budget the document is abandoned with one error. */
  tick(offset: number): void {
    this.visits += 1;
    if (this.visits > MAX_VISITS) {
      this.diag.error(
        offset,
        '(document)',
        `the document expands to more than ${MAX_VISITS} nodes through aliases; refusing to expand it further`,
      );
      throw new AbortValidation();
    }
  }

  /** Resolves aliases; explicit nulls become null. */
  value(node: unknown, path: string): YamlValue | null {
    let current = node;
    for (let hops = 0; isAlias(current); hops++) {
      const target = this.aliasTargets.get(current);
      if (target === undefined || hops > 100) {
        this.diag.error(
          offsetOf(current),
          path,
          `alias *${current.source} does not refer to an anchor defined before it`,
        );
        return null;
      }
      current = target;
    }
    if (current === null || current === undefined) return null;
    if (isScalar(current) && current.value === null) return null;
    if (isScalar(current) || isMap(current) || isSeq(current)) return current;
    return null;
  }

  /** The text of a scalar as written, for fields Kubernetes would read as strings. */
  scalarText(node: Scalar): string {
    const v = node.value;
    if (typeof v === 'string') return v;
    if (typeof node.source === 'string') return node.source;
    return String(v);
  }

  /** Reads a mapping: keys must be scalars and unique; `<<` merge keys pull in the referenced mappings. */
  map(node: YamlValue | null, path: string, fallbackOffset: number): MapView | undefined {
    if (node === null) return undefined;
    if (!isMap(node)) {
      this.diag.error(offsetOf(node, fallbackOffset), path, `expected a mapping, got ${describe(node)}`);
      return undefined;
    }
    const view: MapView = { node, path, offset: offsetOf(node, fallbackOffset), fields: new Map() };
    const merged: Field[] = [];
    for (const pair of node.items) {
      this.tick(offsetOf(pair.key, view.offset));
      const keyOffset = offsetOf(pair.key, view.offset);
      const keyNode = this.value(pair.key, path);
      if (keyNode === null || !isScalar(keyNode)) {
        this.diag.error(keyOffset, path, `mapping keys must be strings, got ${describe(keyNode)}`);
        continue;
      }
      const key = this.scalarText(keyNode);
      const fieldPath = join(path, key);
      const valueNode = this.value(pair.value, fieldPath);
      const offset = valueNode ? offsetOf(valueNode, keyOffset) : keyOffset;
      if (key === '<<' && keyNode.type === 'PLAIN') {
        merged.push(...this.mergeSources(valueNode, fieldPath, offset));
        continue;
      }
      const previous = view.fields.get(key);
      if (previous) {
        const line = this.diag.source.position(previous.keyOffset).line;
        this.diag.error(keyOffset, fieldPath, `duplicate key ${quote(key)} (first defined on line ${line})`);
        continue;
      }
      view.fields.set(key, { key, keyOffset, node: valueNode, offset, path: fieldPath });
    }
    // Merged fields have lower precedence than the mapping's own keys (YAML merge-key semantics).
    for (const field of merged) {
      if (!view.fields.has(field.key)) view.fields.set(field.key, { ...field, path: join(path, field.key) });
    }
    return view;
  }

  /**
   * Fields merged in by `<<`. Each merged mapping is read once and cached, so chains of merges stay
   * linear however often they are referenced; a mapping merging itself is reported.
   */
  private mergeSources(node: YamlValue | null, path: string, offset: number): Field[] {
    const sources = node && isSeq(node) ? node.items.map((item) => this.value(item, path)) : [node];
    const fields: Field[] = [];
    for (const source of sources) {
      if (!source || !isMap(source)) {
        this.diag.error(offset, path, 'a merge key (<<) must refer to a mapping or a list of mappings');
        continue;
      }
      let merged = this.mergeCache.get(source);
      if (!merged) {
        if (this.merging.has(source)) {
          this.diag.error(offset, path, 'a merge key (<<) refers to the mapping that contains it');
          continue;
        }
        this.merging.add(source);
        const view = this.map(source, path, offset);
        this.merging.delete(source);
        merged = view ? [...view.fields.values()] : [];
        this.mergeCache.set(source, merged);
      }
      for (const field of merged) if (!fields.some((f) => f.key === field.key)) fields.push(field);
    }
    return fields;
  }

  /** Reports every key of the mapping that is not a known field, with a suggestion when one is close. */
  checkKeys(view: MapView, known: readonly string[]): void {
    for (const field of view.fields.values()) {
      if (known.includes(field.key)) continue;
      const near = hint(field.key, known);
      const text = near.startsWith('(did') ? near : `(known fields: ${known.join(', ')})`;
      this.diag.error(field.keyOffset, field.path, `unknown field ${quote(field.key)} ${text}`);
    }
  }

  /** Reports a required field as missing: at its key when written with no value, else at the mapping. */
  missing(view: MapView, key: string, what = 'is required'): void {
    this.diag.error(view.fields.get(key)?.keyOffset ?? view.offset, join(view.path, key), `${key} ${what}`);
  }

  /** A string field; numbers and booleans are taken as written, as Kubernetes does for string fields. */
  str(view: MapView, key: string, required = false): string | undefined {
    const field = view.fields.get(key);
    if (!field || field.node === null) {
      if (required) this.missing(view, key);
      return undefined;
    }
    return this.strValue(field.node, field.path, field.offset);
  }

  strValue(node: YamlValue | null, path: string, offset: number): string | undefined {
    if (node === null || !isScalar(node)) {
      this.diag.error(offsetOf(node, offset), path, `expected a string, got ${describe(node)}`);
      return undefined;
    }
    return this.scalarText(node);
  }

  bool(view: MapView, key: string): boolean | undefined {
    const field = view.fields.get(key);
    if (!field || field.node === null) return undefined;
    const node = field.node;
    if (isScalar(node)) {
      if (typeof node.value === 'boolean') return node.value;
      if (typeof node.value === 'string' && node.type === 'PLAIN') {
        // YAML 1.1 (what kubectl and Tetragon's Go decoder speak) reads these as booleans.
        const yes = YAML11_TRUE.has(node.value);
        if (yes || YAML11_FALSE.has(node.value)) {
          this.diag.warn(
            field.offset,
            field.path,
            `${quote(node.value)} is a YAML 1.1 boolean; write ${yes ? 'true' : 'false'} to be unambiguous`,
          );
          return yes;
        }
      }
    }
    this.diag.error(field.offset, field.path, `expected a boolean (true or false), got ${describe(node)}`);
    return undefined;
  }

  /** An integer field as bigint; floats and quoted numbers are rejected as a Go decoder would. */
  intValue(node: YamlValue | null, path: string, offset: number, opts: IntOptions = {}): bigint | undefined {
    if (node === null || !isScalar(node) || (typeof node.value !== 'bigint' && typeof node.value !== 'number')) {
      this.diag.error(offsetOf(node, offset), path, `expected an integer, got ${describe(node)}`);
      return undefined;
    }
    const v = node.value;
    if (typeof v === 'number' && !Number.isInteger(v)) {
      this.diag.error(offsetOf(node, offset), path, `expected an integer, got ${describe(node)}`);
      return undefined;
    }
    const n = BigInt(v);
    if ((opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max)) {
      this.diag.error(
        offsetOf(node, offset),
        path,
        `${n} is out of range (${opts.min ?? '-inf'}..${opts.max ?? 'inf'})`,
      );
      return undefined;
    }
    return n;
  }

  int(view: MapView, key: string, opts: IntOptions = {}): number | undefined {
    const n = this.int64(view, key, opts);
    return n === undefined ? undefined : Number(n);
  }

  int64(view: MapView, key: string, opts: IntOptions = {}): bigint | undefined {
    const field = view.fields.get(key);
    if (!field || field.node === null) {
      if (opts.required) this.missing(view, key);
      return undefined;
    }
    return this.intValue(field.node, field.path, field.offset, opts);
  }

  /** A list field; null or missing is an empty list. `each` gets every item with its path. */
  list<T>(
    view: MapView,
    key: string,
    each: (node: YamlValue | null, path: string, offset: number, index: number) => T | undefined,
  ): T[] {
    const field = view.fields.get(key);
    if (!field || field.node === null) return [];
    return this.listValue(field.node, field.path, field.offset, each);
  }

  listValue<T>(
    node: YamlValue,
    path: string,
    offset: number,
    each: (node: YamlValue | null, path: string, offset: number, index: number) => T | undefined,
  ): T[] {
    if (!isSeq(node)) {
      this.diag.error(offsetOf(node, offset), path, `expected a list, got ${describe(node)}`);
      return [];
    }
    const out: T[] = [];
    node.items.forEach((item, i) => {
      const itemOffset = offsetOf(item, offset);
      this.tick(itemOffset);
      const itemPath = at(path, i);
      const v = each(this.value(item, itemPath), itemPath, itemOffset, i);
      if (v !== undefined) out.push(v);
    });
    return out;
  }

  strList(view: MapView, key: string): string[] {
    return this.list(view, key, (node, path, offset) => this.strValue(node, path, offset));
  }

  /** A nested mapping field, with its known keys checked. */
  sub(view: MapView, key: string, known: readonly string[]): MapView | undefined {
    const field = view.fields.get(key);
    if (!field || field.node === null) return undefined;
    const sub = this.map(field.node, field.path, field.offset);
    if (sub) this.checkKeys(sub, known);
    return sub;
  }

  /** Where to point for a field: its value, else the mapping itself. */
  where(view: MapView, key: string): number {
    return view.fields.get(key)?.offset ?? view.offset;
  }
}
