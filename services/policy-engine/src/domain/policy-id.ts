import type { PolicyKind } from '@vigil/policy';

/**
 * Policy ids: "<name>" for TracingPolicy, "<namespace>:<name>" for TracingPolicyNamespaced. Names
 * are DNS-1123 subdomains and namespaces DNS-1123 labels, so ":" never appears in either and an
 * id maps back to exactly one (namespace, name). The id is a URL path segment and a Kafka key.
 */
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function policyId(kind: PolicyKind, name: string, namespace: string | undefined): string {
  return kind === 'TracingPolicyNamespaced' ? `${namespace ?? ''}:${name}` : name;
}

/** Why a path id cannot be a policy id, or undefined when it can. */
export function invalidPolicyId(id: string): string | undefined {
  if (id.length === 0) return 'the id is empty';
  if (id.length > 253 + 1 + 63) return `the id is ${id.length} characters; the longest is ${253 + 1 + 63}`;
  const parts = id.split(':');
  if (parts.length > 2) return `"${id}" has more than one ":" (ids are <name> or <namespace>:<name>)`;
  const [first, second] = parts as [string, string | undefined];
  const name = second ?? first;
  if (second !== undefined && (first.length > 63 || !NAMESPACE.test(first)))
    return `namespace "${first}" is not a DNS-1123 label (lower-case letters, digits, "-", at most 63)`;
  if (name.length > 253 || !NAME.test(name))
    return `name "${name}" is not a DNS-1123 subdomain (lower-case letters, digits, "-" and ".", at most 253)`;
  return undefined;
}

/** The namespace part of an id ("" for cluster-scoped policies). */
export function namespaceOfId(id: string): string {
  const i = id.indexOf(':');
  return i < 0 ? '' : id.slice(0, i);
}
