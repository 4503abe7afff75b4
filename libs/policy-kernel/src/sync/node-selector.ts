import type { LabelSelector } from '@vigil/contracts';
import type { LabelOperator } from '@vigil/policy';
import { labelsMatch } from '../workloads';

const OPERATORS: readonly string[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/**
 * Whether a record's nodeSelector selects this node (absent: every node). An operator this node
 * does not know is an error rather than a guess: the caller reports it in the policy's status.
 */
export function nodeSelects(
  selector: LabelSelector | undefined,
  labels: Record<string, string>,
): { selected: boolean; error?: string } {
  if (!selector) return { selected: true };
  const bad = selector.match_expressions.find((e) => !OPERATORS.includes(e.operator));
  if (bad)
    return {
      selected: false,
      error: `nodeSelector: operator "${bad.operator}" of key "${bad.key}" is not one of ${OPERATORS.join(', ')}`,
    };
  const selected = labelsMatch(
    {
      matchLabels: selector.match_labels,
      matchExpressions: selector.match_expressions.map((e) => ({
        key: e.key,
        operator: e.operator as LabelOperator,
        values: e.values,
      })),
    },
    labels,
  );
  return { selected };
}
