import type { LabelExpression, LabelSelector } from '../model';
import { join, type Field, type MapView } from '../reader';
import { hint, quote } from '../suggest';
import { LABEL_OPERATORS, type LabelOperator } from '../tables';
import type { PolicyContext } from './context';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Kubernetes object names (metadata.name): a DNS-1123 subdomain. Returns why not, or undefined. */
export function dnsSubdomainProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.length > 253) return `is ${name.length} characters; at most 253`;
  if (!name.split('.').every((part) => DNS_LABEL.test(part))) {
    return 'must be a DNS-1123 subdomain: lowercase letters, digits, "-" and ".", starting and ending with a letter or digit';
  }
  return undefined;
}

/** Kubernetes namespace names: a DNS-1123 label. */
export function dnsLabelProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.length > 63) return `is ${name.length} characters; at most 63`;
  if (!DNS_LABEL.test(name)) {
    return 'must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit';
  }
  return undefined;
}

/** Label and annotation keys: an optional DNS subdomain prefix and "/", then a name of at most 63 characters. */
export function qualifiedNameProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined) {
    const p = dnsSubdomainProblem(prefix);
    if (p) return `prefix ${quote(prefix)} ${p}`;
  }
  if (name.length === 0 || name.length > 63) return 'the name part must be 1 to 63 characters';
  if (!NAME_PART.test(name)) {
    return 'the name part must be letters, digits, "-", "_" and ".", starting and ending with a letter or digit';
  }
  return undefined;
}

export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63) return `is ${value.length} characters; at most 63`;
  if (!LABEL_VALUE.test(value)) {
    return 'must be letters, digits, "-", "_" and ".", starting and ending with a letter or digit (or empty)';
  }
  return undefined;
}

/** A string-to-string map (labels, annotations, matchLabels), with keys and optionally values checked. */
export function readStringMap(
  ctx: PolicyContext,
  field: Field | undefined,
  checkValues: boolean,
): Record<string, string> {
  const { r } = ctx;
  const out: Record<string, string> = {};
  if (!field || field.node === null) return out;
  const view = r.map(field.node, field.path, field.offset);
  if (!view) return out;
  for (const entry of view.fields.values()) {
    const keyProblem = qualifiedNameProblem(entry.key);
    if (keyProblem) r.diag.error(entry.keyOffset, entry.path, `key ${quote(entry.key)}: ${keyProblem}`);
    const value = entry.node === null ? '' : r.strValue(entry.node, entry.path, entry.offset);
    if (value === undefined) continue;
    if (checkValues) {
      const valueProblem = labelValueProblem(value);
      if (valueProblem) r.diag.error(entry.offset, entry.path, `value ${quote(value)} ${valueProblem}`);
    }
    Object.defineProperty(out, entry.key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** A Kubernetes LabelSelector (podSelector, containerSelector, nodeSelector, hostSelector). */
export function readLabelSelector(ctx: PolicyContext, view: MapView, key: string): LabelSelector | undefined {
  const { r } = ctx;
  const sub = r.sub(view, key, ['matchLabels', 'matchExpressions']);
  if (!sub) return undefined;
  const matchLabels = readStringMap(ctx, sub.fields.get('matchLabels'), true);
  const matchExpressions = r.list(sub, 'matchExpressions', (node, path, offset): LabelExpression | undefined => {
    const e = r.map(node, path, offset);
    if (!e) return undefined;
    r.checkKeys(e, ['key', 'operator', 'values']);
    const k = r.str(e, 'key', true);
    if (k !== undefined) {
      const problem = qualifiedNameProblem(k);
      if (problem) r.diag.error(r.where(e, 'key'), join(path, 'key'), `key ${quote(k)}: ${problem}`);
    }
    const opText = r.str(e, 'operator', true);
    let operator: LabelOperator | undefined;
    if (opText !== undefined) {
      if ((LABEL_OPERATORS as readonly string[]).includes(opText)) operator = opText as LabelOperator;
      else
        r.diag.error(
          r.where(e, 'operator'),
          join(path, 'operator'),
          `unknown operator ${quote(opText)} ${hint(opText, LABEL_OPERATORS)}`,
        );
    }
    const values = r.strList(e, 'values');
    if ((operator === 'In' || operator === 'NotIn') && values.length === 0) {
      r.missing(e, 'values', `must not be empty for operator ${operator}`);
    }
    if ((operator === 'Exists' || operator === 'DoesNotExist') && values.length > 0) {
      r.diag.error(r.where(e, 'values'), join(path, 'values'), `values must be empty for operator ${operator}`);
    }
    return k === undefined || operator === undefined ? undefined : { key: k, operator, values };
  });
  return { matchLabels, matchExpressions };
}
