import fs from 'node:fs';
import { isMap, isScalar, parseAllDocuments, type Document } from 'yaml';
import { AbortValidation, Diagnostics, PolicyError, SourceText, type PolicyDiagnostic } from './diagnostics';
import { checkLimits, MAX_TEXT_BYTES } from './limits';
import type { TracingPolicy } from './model';
import { offsetOf, Reader } from './reader';
import { closest, quote } from './suggest';
import { POLICY_KINDS } from './tables';
import { readPolicy } from './validate/policy';

export type PolicyParseResult =
  | { ok: true; policy: TracingPolicy; warnings: PolicyDiagnostic[] }
  | { ok: false; errors: PolicyDiagnostic[]; warnings: PolicyDiagnostic[] };

export type PolicyListParseResult =
  | { ok: true; policies: TracingPolicy[]; warnings: PolicyDiagnostic[] }
  | { ok: false; errors: PolicyDiagnostic[]; warnings: PolicyDiagnostic[] };

const DEFAULT_FILE = '<input>';

export interface ParseOptions {
  /** Values for "${NAME}" placeholders in filter values, as envsubst would substitute them. */
  variables?: Readonly<Record<string, string>>;
}

interface Found {
  policy: TracingPolicy;
  offset: number;
  index: number;
}

/** Parses the YAML stream; documents with syntax errors are reported and not validated. */
function documents(text: string, diag: Diagnostics): Document[] {
  let docs: Document[];
  try {
    const parsed: Iterable<Document> = parseAllDocuments(text, {
      prettyErrors: false,
      // Duplicate keys are detected while reading (the library's own check is quadratic).
      uniqueKeys: false,
      intAsBigInt: true,
      strict: true,
      version: '1.2',
    });
    docs = Array.from(parsed);
  } catch (err) {
    // The parser recovers from deep recursion itself; anything else escaping it is reported, not thrown.
    diag.error(0, '(syntax)', `the YAML parser failed: ${(err as Error).message}`);
    return [];
  }
  const ok: Document[] = [];
  for (const doc of docs) {
    for (const w of doc.warnings) diag.warn(w.pos[0], '(syntax)', firstLine(w.message));
    if (doc.errors.length > 0) {
      for (const e of doc.errors) diag.error(e.pos[0], '(syntax)', firstLine(e.message));
      continue;
    }
    ok.push(doc);
  }
  return ok;
}

function firstLine(message: string): string {
  const line = message.split('\n')[0] ?? message;
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

function scalarString(node: unknown): string | undefined {
  return isScalar(node) && typeof node.value === 'string' ? node.value : undefined;
}

/**
 * A multi-document file (as `kubectl apply -f` takes) may hold other Kubernetes objects next to
 * the policy; those are skipped with a warning. A document counts as a policy when its kind is a
 * tracing policy kind, its apiVersion is cilium.io, its kind is a near miss, or it is the only one.
 */
function isPolicyCandidate(doc: Document, only: boolean): boolean {
  if (only) return true;
  const root = doc.contents;
  if (!isMap(root)) return false;
  const kind = scalarString(root.get('kind', true));
  const apiVersion = scalarString(root.get('apiVersion', true));
  if (kind !== undefined && (POLICY_KINDS as readonly string[]).includes(kind)) return true;
  if (apiVersion?.startsWith('cilium.io/')) return true;
  return kind !== undefined && closest(kind, POLICY_KINDS) !== undefined;
}

function collect(text: string, file: string, options: ParseOptions): { diag: Diagnostics; found: Found[] } {
  const source = new SourceText(file, text);
  const diag = new Diagnostics(source);
  const found: Found[] = [];
  const problem = checkLimits(text);
  if (problem) {
    diag.error(problem.offset, '(document)', `${problem.reason}; refusing to parse`);
    return { diag, found };
  }
  const docs = documents(text, diag).filter((d) => d.contents !== null);
  docs.forEach((doc, index) => {
    const root = doc.contents;
    const offset = offsetOf(root);
    if (!isPolicyCandidate(doc, docs.length === 1)) {
      const kind = isMap(root) ? scalarString(root.get('kind', true)) : undefined;
      const kindNode = isMap(root) ? root.get('kind', true) : undefined;
      diag.warn(
        offsetOf(kindNode, offset),
        'kind',
        `skipping document ${index + 1}: ${kind === undefined ? 'it has no kind' : `kind ${quote(kind)}`} is not a Tetragon tracing policy`,
      );
      return;
    }
    const reader = new Reader(doc, diag);
    try {
      const view = reader.map(reader.value(root, ''), '', offset);
      if (!view) return;
      const errorsBefore = diag.errors.length;
      const policy = readPolicy(reader, view, options.variables);
      if (policy && diag.errors.length === errorsBefore) found.push({ policy, offset, index });
    } catch (err) {
      if (err instanceof AbortValidation) return;
      if (err instanceof RangeError) {
        diag.error(offset, '(document)', 'the document is too deeply nested to validate');
        return;
      }
      throw err;
    }
  });
  return { diag, found };
}

/**
 * Parses and validates every TracingPolicy / TracingPolicyNamespaced document of a YAML stream.
 * Never throws on input; all problems of all documents come back at once.
 */
export function parsePolicies(
  text: string,
  file: string = DEFAULT_FILE,
  options: ParseOptions = {},
): PolicyListParseResult {
  const { diag, found } = collect(text, file, options);
  if (diag.errors.length === 0 && found.length === 0) {
    diag.error(0, '(document)', 'no TracingPolicy or TracingPolicyNamespaced document found');
  }
  if (diag.errors.length > 0) return { ok: false, errors: diag.errors, warnings: diag.warnings };
  return { ok: true, policies: found.map((f) => f.policy), warnings: diag.warnings };
}

/**
 * Parses and validates exactly one tracing policy (other Kubernetes objects in the same file are
 * skipped with a warning). Never throws on input.
 */
export function parsePolicy(text: string, file: string = DEFAULT_FILE, options: ParseOptions = {}): PolicyParseResult {
  const { diag, found } = collect(text, file, options);
  if (diag.errors.length === 0 && found.length === 0) {
    diag.error(0, '(document)', 'no TracingPolicy or TracingPolicyNamespaced document found');
  }
  const second = found[1];
  if (second) {
    diag.error(
      second.offset,
      `(document ${second.index + 1})`,
      `the file holds ${found.length} tracing policies; parsePolicy takes exactly one (use parsePolicies)`,
    );
  }
  const first = found[0];
  if (diag.errors.length > 0 || !first) return { ok: false, errors: diag.errors, warnings: diag.warnings };
  return { ok: true, policy: first.policy, warnings: diag.warnings };
}

/** Reads a policy file; a missing, unreadable or oversized file is reported like any other error. */
export function parsePolicyFile(path: string, options: ParseOptions = {}): PolicyParseResult {
  const fail = (reason: string): PolicyParseResult => ({
    ok: false,
    errors: [{ file: path, line: 1, column: 1, path: '(file)', reason, severity: 'error' }],
    warnings: [],
  });
  let text: string;
  try {
    const stat = fs.statSync(path);
    if (!stat.isFile()) return fail('not a regular file');
    if (stat.size > MAX_TEXT_BYTES)
      return fail(`the file is ${stat.size} bytes; the limit is ${MAX_TEXT_BYTES} (1 MiB)`);
    text = fs.readFileSync(path, 'utf8');
  } catch (err) {
    return fail(`cannot read: ${(err as Error).message}`);
  }
  return parsePolicy(text, path, options);
}

/** For callers that prefer exceptions: the policy, or a PolicyError listing every error. */
export function assertPolicy(result: PolicyParseResult): TracingPolicy {
  if (!result.ok) throw new PolicyError([...result.errors, ...result.warnings]);
  return result.policy;
}
