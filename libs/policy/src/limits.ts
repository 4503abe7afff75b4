/**
 * Cheap checks before the YAML parser runs. The parser's cost grows with nesting and node count
 * (a few megabytes of "[[[[" or "- - - -" take seconds, and deep block nesting can exhaust its
 * memory), so text no real policy resembles is refused up front, in one linear pass.
 */

/** Kubernetes stores objects up to ~1.5 MiB; the largest Tetragon example policy is under 10 KiB. */
export const MAX_TEXT_BYTES = 1024 * 1024;
/** Lines plus flow-collection commas: a bound on the node count the parser has to build. */
export const MAX_SEPARATORS = 20_000;
/** Nesting of [ and { outside quoted strings; TracingPolicies nest about 8 levels. */
export const MAX_FLOW_DEPTH = 64;
/** The same nesting counted without regard to quotes, which a crafted quote cannot hide. */
export const MAX_RAW_FLOW_DEPTH = 512;
/** Indentation plus compact "- - -" indicators at the start of a line. */
export const MAX_INDENT = 256;

export interface LimitProblem {
  offset: number;
  reason: string;
}

function isTokenStart(prev: string | undefined): boolean {
  return (
    prev === undefined ||
    prev === ' ' ||
    prev === '\t' ||
    prev === '\n' ||
    prev === '\r' ||
    prev === '[' ||
    prev === '{' ||
    prev === ',' ||
    prev === ':'
  );
}

export function checkLimits(text: string): LimitProblem | undefined {
  if (text.length > MAX_TEXT_BYTES || Buffer.byteLength(text, 'utf8') > MAX_TEXT_BYTES) {
    return {
      offset: 0,
      reason: `the policy text is ${Buffer.byteLength(text, 'utf8')} bytes; the limit is ${MAX_TEXT_BYTES} (1 MiB)`,
    };
  }
  let depth = 0;
  let rawDepth = 0;
  let separators = 0;
  let quote: '"' | "'" | undefined;
  let lineStart = true;
  let indent = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '[' || c === '{') {
      rawDepth += 1;
      if (rawDepth > MAX_RAW_FLOW_DEPTH)
        return { offset: i, reason: `brackets nest deeper than ${MAX_RAW_FLOW_DEPTH} levels` };
    } else if ((c === ']' || c === '}') && rawDepth > 0) {
      rawDepth -= 1;
    }
    if (c === '\n' || c === ',') {
      separators += 1;
      if (separators > MAX_SEPARATORS) {
        return {
          offset: i,
          reason: `more than ${MAX_SEPARATORS} lines and list separators; no tracing policy is this large`,
        };
      }
    }
    if (quote === '"') {
      if (c === '\\') i += 1;
      else if (c === '"') quote = undefined;
      continue;
    }
    if (quote === "'") {
      if (c === "'" && text[i + 1] === "'") i += 1;
      else if (c === "'") quote = undefined;
      continue;
    }
    if (c === '\n') {
      lineStart = true;
      indent = 0;
      continue;
    }
    if (lineStart) {
      if (c === ' ') {
        indent += 1;
        continue;
      }
      lineStart = false;
      // "- - - x" nests one level per indicator on a single line.
      let j = i;
      while ((text[j] === '-' || text[j] === '?') && (text[j + 1] === ' ' || text[j + 1] === '\t')) {
        j += 2;
        indent += 2;
        while (text[j] === ' ') j += 1;
      }
      if (indent > MAX_INDENT)
        return { offset: i, reason: `a line is indented or nested deeper than ${MAX_INDENT} columns` };
    }
    const prev = i > 0 ? text[i - 1] : undefined;
    if (c === '#' && (prev === undefined || prev === ' ' || prev === '\t')) {
      const end = text.indexOf('\n', i);
      if (end < 0) break;
      i = end - 1;
      continue;
    }
    if ((c === '"' || c === "'") && isTokenStart(prev)) {
      quote = c;
    } else if (c === '[' || c === '{') {
      depth += 1;
      if (depth > MAX_FLOW_DEPTH) return { offset: i, reason: `collections nest deeper than ${MAX_FLOW_DEPTH} levels` };
    } else if ((c === ']' || c === '}') && depth > 0) {
      depth -= 1;
    }
  }
  return undefined;
}
