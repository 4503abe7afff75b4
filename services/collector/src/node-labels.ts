import { FieldError, type Field } from '@vigil/config';

// Kubernetes label syntax: policies' nodeSelector is matched against these labels, so a label
// Kubernetes would refuse is refused here too instead of silently never matching.
const NAME = /^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)$/;
const PREFIX = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Why a label key is not valid, or undefined when it is. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !PREFIX.test(prefix)))
    return `label key "${key}": the prefix must be a DNS subdomain (lowercase, at most 253 characters)`;
  if (!NAME.test(name))
    return `label key "${key}": the name must be 1-63 characters of [A-Za-z0-9._-], starting and ending alphanumeric`;
  return undefined;
}

/** Why a label value is not valid, or undefined when it is (empty is valid). */
export function labelValueProblem(key: string, value: string): string | undefined {
  if (value === '' || NAME.test(value)) return undefined;
  return `label "${key}": the value "${value}" must be empty or 1-63 characters of [A-Za-z0-9._-], starting and ending alphanumeric`;
}

/** "k=v,k2=v2" (spaces around items allowed, empty = no labels). */
export function parseNodeLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of text.split(',').map((s) => s.trim())) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq < 0) throw new FieldError(`expected k=v items separated by commas, got "${item}" (no "=")`);
    const key = item.slice(0, eq).trim();
    if (key in out) throw new FieldError(`label key "${key}" given twice`);
    out[key] = item.slice(eq + 1).trim();
  }
  return checked(out);
}

function checked(labels: Record<string, string>): Record<string, string> {
  for (const [k, v] of Object.entries(labels)) {
    const problem = labelKeyProblem(k) ?? labelValueProblem(k, v);
    if (problem) throw new FieldError(problem);
  }
  return labels;
}

/** A configuration field for node labels: "k=v,k2=v2" from the environment, a mapping from the file. */
export function nodeLabelsField(opts: {
  env?: string;
  default: Record<string, string>;
  doc: string;
}): Field<Record<string, string>> {
  return {
    kind: 'labels',
    env: opts.env,
    default: opts.default,
    doc: opts.doc,
    parse(raw) {
      if (typeof raw === 'string') return parseNodeLabels(raw);
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
        throw new FieldError(`expected "k=v,k2=v2" or a mapping of label keys to values, got ${JSON.stringify(raw)}`);
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(raw)) {
        // YAML reads `zone: 1` or `gpu: true` as a number or a boolean: labels are strings.
        if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
          throw new FieldError(`label "${k}": expected a string value, got ${JSON.stringify(v)}`);
        out[k] = String(v);
      }
      return checked(out);
    },
  };
}
