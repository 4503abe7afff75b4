/** Policies the tests apply: small, valid, one of each kind. */
export function clusterPolicy(name = 'block-nc', call = 'sys_connect'): string {
  return `apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: ${name}
spec:
  kprobes:
  - call: "${call}"
    syscall: true
    args:
    - index: 0
      type: "int"
`;
}

export function namespacedPolicy(namespace: string, name = 'watch-open', extra = ''): string {
  return `apiVersion: cilium.io/v1alpha1
kind: TracingPolicyNamespaced
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
  kprobes:
  - call: "sys_openat"
    syscall: true
    args:
    - index: 1
      type: "string"
${extra}`;
}

/** Two errors: an unknown arg type (line 11) and a bad operator (line 14). */
export const INVALID_POLICY = `apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: broken
spec:
  kprobes:
  - call: "sys_openat"
    syscall: true
    args:
    - index: 1
      type: "strang"
    selectors:
    - matchArgs:
      - operator: "Equalz"
        index: 1
        values: ["/etc/shadow"]
`;

export const ADMIN_TOKEN = 'admin-token-0123456789';
export const TEAM_A_TOKEN = 'team-a-token-0123456789';
export const TOKENS = JSON.stringify({
  tokens: [
    { subject: 'alice', token: ADMIN_TOKEN, admin: true },
    { subject: 'team-a-ci', token: TEAM_A_TOKEN, namespaces: ['team-a'] },
  ],
});
