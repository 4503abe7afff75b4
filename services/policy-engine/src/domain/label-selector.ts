import type { LabelSelector } from '@vigil/contracts';
import type { LabelSelector as PolicyLabelSelector } from '@vigil/policy';
import { problem, type Problem } from './errors';

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];
// Kubernetes qualified names (optional DNS prefix "/" name) and label values.
const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** The YAML's spec.nodeSelector in the contract's shape. */
export function fromPolicySelector(sel: PolicyLabelSelector): LabelSelector {
  return {
    match_labels: { ...sel.matchLabels },
    match_expressions: sel.matchExpressions.map((e) => ({ key: e.key, operator: e.operator, values: [...e.values] })),
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * An API nodeSelector ({ matchLabels, matchExpressions } as in Kubernetes) checked field by field;
 * every problem is collected under `path`.
 */
export function readNodeSelector(raw: unknown, path: string, problems: Problem[]): LabelSelector | undefined {
  if (!isObject(raw)) {
    problems.push(problem(path, 'expected an object with matchLabels and/or matchExpressions'));
    return undefined;
  }
  const out: LabelSelector = { match_labels: {}, match_expressions: [] };
  for (const key of Object.keys(raw))
    if (key !== 'matchLabels' && key !== 'matchExpressions')
      problems.push(problem(`${path}.${key}`, 'unknown field (expected matchLabels, matchExpressions)'));
  const labels = raw['matchLabels'];
  if (labels !== undefined) {
    if (!isObject(labels)) problems.push(problem(`${path}.matchLabels`, 'expected an object of label: value'));
    else
      for (const [k, v] of Object.entries(labels)) {
        const at = `${path}.matchLabels.${k}`;
        if (!KEY.test(k) || k.length > 316) problems.push(problem(at, `"${k}" is not a Kubernetes label key`));
        if (typeof v !== 'string' || v.length > 63 || !VALUE.test(v))
          problems.push(problem(at, `${JSON.stringify(v)} is not a label value (a string of at most 63 characters)`));
        else out.match_labels[k] = v;
      }
  }
  const expressions = raw['matchExpressions'];
  if (expressions !== undefined) {
    if (!Array.isArray(expressions)) problems.push(problem(`${path}.matchExpressions`, 'expected a list'));
    else expressions.forEach((e, i) => readExpression(e, `${path}.matchExpressions[${i}]`, problems, out));
  }
  return out;
}

function readExpression(raw: unknown, at: string, problems: Problem[], out: LabelSelector): void {
  if (!isObject(raw)) {
    problems.push(problem(at, 'expected an object with key, operator and values'));
    return;
  }
  for (const k of Object.keys(raw))
    if (!['key', 'operator', 'values'].includes(k))
      problems.push(problem(`${at}.${k}`, 'unknown field (expected key, operator, values)'));
  const { key, operator, values = [] } = raw;
  const before = problems.length;
  if (typeof key !== 'string' || !KEY.test(key))
    problems.push(problem(`${at}.key`, `${JSON.stringify(key)} is not a Kubernetes label key`));
  if (typeof operator !== 'string' || !OPERATORS.includes(operator))
    problems.push(
      problem(`${at}.operator`, `expected one of ${OPERATORS.join(', ')}, got ${JSON.stringify(operator)}`),
    );
  if (!Array.isArray(values) || values.some((v) => typeof v !== 'string'))
    problems.push(problem(`${at}.values`, 'expected a list of strings'));
  else if ((operator === 'In' || operator === 'NotIn') && values.length === 0)
    problems.push(problem(`${at}.values`, `${operator} needs at least one value`));
  else if ((operator === 'Exists' || operator === 'DoesNotExist') && values.length > 0)
    problems.push(problem(`${at}.values`, `${operator} takes no values`));
  if (problems.length === before)
    out.match_expressions.push({ key: key as string, operator: operator as string, values: values as string[] });
}
