import fs from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { FieldError, type Field } from './fields';

/** A schema is a tree of sections whose leaves are fields. */
export interface Schema {
  [key: string]: Field<unknown> | Schema;
}

/** The typed configuration a schema describes. */
export type ConfigOf<S extends Schema> = {
  readonly [K in keyof S]: S[K] extends Field<infer T> ? T : S[K] extends Schema ? ConfigOf<S[K]> : never;
};

export interface ConfigProblem {
  /** Dotted field path, e.g. "kafka.brokers". */
  path: string;
  /** Where the bad value came from: "env VIGIL_KAFKA_BROKERS" or "vigil.yaml:12:5". */
  source: string;
  reason: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p.source}: ${p.path}: ${p.reason}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  /** Environment to read; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Config file (YAML or JSON). Defaults to $VIGIL_CONFIG when set. */
  file?: string;
}

function isField(x: Field<unknown> | Schema): x is Field<unknown> {
  return typeof (x as Field<unknown>).parse === 'function';
}

interface FileValues {
  name: string;
  root: Node | null;
  lines: LineCounter;
}

function readFile(file: string): FileValues {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([{ path: '(file)', source: file, reason: `cannot read: ${(err as Error).message}` }]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const name = path.basename(file);
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return {
          path: '(syntax)',
          source: `${file}:${pos.line}:${pos.col}`,
          reason: e.message.split('\n')[0] ?? e.message,
        };
      }),
    );
  }
  return { name: file || name, root: doc.contents as Node | null, lines };
}

function where(file: FileValues, node: Node): string {
  const pos = node.range ? file.lines.linePos(node.range[0]) : undefined;
  return pos ? `${file.name}:${pos.line}:${pos.col}` : file.name;
}

/**
 * Loads a configuration: field defaults, then the file, then environment variables (highest).
 * Every problem is collected, so one run reports them all; nothing partial is returned.
 */
export function loadConfig<S extends Schema>(schema: S, options: LoadOptions = {}): ConfigOf<S> {
  const env = options.env ?? process.env;
  const fileName = options.file ?? env['VIGIL_CONFIG'];
  const file = fileName ? readFile(fileName) : undefined;
  const problems: ConfigProblem[] = [];

  const walk = (section: Schema, node: Node | null | undefined, prefix: string): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    const fileMap = node && isMap(node) ? node : undefined;
    if (node && !fileMap && file)
      problems.push({ path: prefix || '(root)', source: where(file, node), reason: 'expected a mapping' });
    for (const pair of fileMap?.items ?? []) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (!(key in section) && file) {
        const known = Object.keys(section).join(', ');
        problems.push({
          path: prefix + key,
          source: where(file, pair.key as Node),
          reason: `unknown key (known here: ${known})`,
        });
      }
    }
    for (const [key, entry] of Object.entries(section)) {
      const fieldPath = prefix + key;
      const fileNode = fileMap?.get(key, true) as Node | undefined;
      if (!isField(entry)) {
        out[key] = walk(entry, fileNode, `${fieldPath}.`);
        continue;
      }
      let value: unknown = entry.default;
      const attempt = (raw: unknown, source: string) => {
        try {
          value = entry.parse(raw);
        } catch (err) {
          if (!(err instanceof FieldError)) throw err;
          problems.push({ path: fieldPath, source, reason: err.message });
        }
      };
      if (fileNode !== undefined && file) {
        const raw = isScalar(fileNode)
          ? fileNode.value
          : isSeq(fileNode) || isMap(fileNode)
            ? fileNode.toJSON()
            : fileNode;
        attempt(raw, where(file, fileNode));
      }
      const envRaw = entry.env ? env[entry.env] : undefined;
      // An empty variable counts as unset, except for a string field: there "" is a value (the
      // documented way to turn off a file or an address, e.g. VIGIL_EXPORT_FILE= or VIGIL_GRPC_ADDRESS=).
      if (entry.env && envRaw !== undefined && (envRaw !== '' || entry.kind === 'string'))
        attempt(envRaw, `env ${entry.env}`);
      out[key] = value;
    }
    return out;
  };

  const config = walk(schema, file?.root, '');
  if (problems.length > 0) throw new ConfigError(problems);
  return config as ConfigOf<S>;
}

/** Every field of a schema with its path, env var, default and doc: for --help and docs. */
export function describeSchema(
  schema: Schema,
  prefix = '',
): Array<{ path: string; env?: string; kind: string; default: unknown; doc: string }> {
  return Object.entries(schema).flatMap(([key, entry]) =>
    isField(entry)
      ? [{ path: prefix + key, env: entry.env, kind: entry.kind, default: entry.default, doc: entry.doc }]
      : describeSchema(entry, `${prefix}${key}.`),
  );
}
