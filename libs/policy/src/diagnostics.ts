export type Severity = 'error' | 'warning';

/** One problem found in a policy, pinned to a line and column of the source text. */
export interface PolicyDiagnostic {
  file: string;
  /** 1-based line of the offending node (or of the enclosing node when a field is missing). */
  line: number;
  /** 1-based column. */
  column: number;
  /** Field path in the policy, e.g. "spec.kprobes[0].selectors[1].matchArgs[0].operator". */
  path: string;
  reason: string;
  severity: Severity;
}

/** "file.yaml:12:9: spec.kprobes[0].args[1].type: unknown arg type ..." */
export function formatDiagnostic(d: PolicyDiagnostic): string {
  const tag = d.severity === 'warning' ? 'warning: ' : '';
  return `${d.file}:${d.line}:${d.column}: ${tag}${d.path}: ${d.reason}`;
}

/** Thrown by callers that prefer exceptions (see `assertPolicy`); parsePolicy itself never throws. */
export class PolicyError extends Error {
  constructor(readonly diagnostics: PolicyDiagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    super(
      `invalid tracing policy (${errors.length} error(s)):\n${errors.map((d) => `  ${formatDiagnostic(d)}`).join('\n')}`,
    );
    this.name = 'PolicyError';
  }
}

/**
 * A runaway document (alias bomb, millions of errors) must not turn validation into a resource
 * problem, so collection stops at these caps and says so.
 */
export const MAX_DIAGNOSTICS = 500;

/** Thrown internally to stop walking a document whose expansion exceeded the node budget. */
export class AbortValidation extends Error {
  constructor() {
    super('validation aborted');
  }
}

/**
 * The source text a diagnostic points into. Lines are counted here, on "\n", rather than taken from
 * the YAML parser's line counter, which misses line breaks inside multi-line flow scalars.
 */
export class SourceText {
  private readonly lineStarts: number[] = [0];

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
  }

  /** Line and column of an offset, clamped into the text so every diagnostic points at a real character. */
  position(offset: number): { line: number; column: number } {
    const max = Math.max(0, this.text.length - 1);
    const clamped = Math.min(Math.max(0, Number.isFinite(offset) ? offset : 0), max);
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.lineStarts[mid] ?? 0) <= clamped) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: clamped - (this.lineStarts[low] ?? 0) + 1 };
  }
}

/** Collects errors and warnings in document order, without duplicates (a macro used twice reports once). */
export class Diagnostics {
  readonly errors: PolicyDiagnostic[] = [];
  readonly warnings: PolicyDiagnostic[] = [];
  private readonly seen = new Set<string>();
  private suffix = '';

  constructor(readonly source: SourceText) {}

  /**
   * Runs `fn` with `suffix` appended to every reason it reports: a macro's filters are checked once
   * per hook using them, and the suffix says which hook an error is about.
   */
  within<T>(suffix: string, fn: () => T): T {
    const previous = this.suffix;
    this.suffix = suffix;
    try {
      return fn();
    } finally {
      this.suffix = previous;
    }
  }

  error(offset: number, path: string, reason: string): void {
    this.add('error', offset, path, reason);
  }

  warn(offset: number, path: string, reason: string): void {
    this.add('warning', offset, path, reason);
  }

  private add(severity: Severity, offset: number, path: string, text: string): void {
    const reason = text + this.suffix;
    const list = severity === 'error' ? this.errors : this.warnings;
    if (list.length > MAX_DIAGNOSTICS) return;
    const { line, column } = this.source.position(offset);
    const key = `${severity}\0${line}\0${column}\0${path}\0${reason}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    if (list.length === MAX_DIAGNOSTICS) {
      list.push({
        file: this.source.file,
        line,
        column,
        path,
        reason: `more than ${MAX_DIAGNOSTICS} ${severity}s; stopped reporting`,
        severity,
      });
      return;
    }
    list.push({ file: this.source.file, line, column, path: path || '(root)', reason, severity });
  }
}
