/** One thing wrong with a request, pinned where possible (policy YAML: file:line:col). */
export interface Problem {
  /** Field path ("spec.kprobes[0].call", "nodeSelector.matchLabels", "(body)"). */
  path: string;
  reason: string;
  line?: number;
  column?: number;
  /** "file:line:col: path: reason" for policy diagnostics, "path: reason" otherwise. */
  text: string;
}

/**
 * A refused request: the HTTP status it maps to and every problem found. Domain code throws it;
 * the HTTP layer turns it into a JSON body. Nothing has changed when it is thrown.
 */
export class RequestError extends Error {
  override name = 'RequestError';

  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 503,
    message: string,
    readonly problems: Problem[] = [],
  ) {
    super(message);
  }
}

export function problem(path: string, reason: string): Problem {
  return { path, reason, text: `${path}: ${reason}` };
}

export function badRequest(message: string, problems: Problem[]): RequestError {
  return new RequestError(400, message, problems);
}
