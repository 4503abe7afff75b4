import type { WorkloadPod } from '@vigil/contracts';
import type { PodRecord } from './kubernetes/pod-record';

/*
 * The per-node workload map on vigil.workloads: contract vigil.v1.WorkloadMap in
 * proto/vigil/v1/workloads.proto, TypeScript types generated into @vigil/contracts. Its pods carry
 * what @vigil/policy-kernel's PodInfo holds (uid, namespace, name, labels, containers), which the
 * collector's WorkloadSource takes.
 */

/** The pods of every node they run on, sorted by namespace/name for stable output. */
export function workloadMaps(pods: PodRecord[]): Map<string, WorkloadPod[]> {
  const byNode = new Map<string, WorkloadPod[]>();
  const sorted = [...pods].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  for (const pod of sorted) {
    // Pods not scheduled yet have no node and no cgroups anywhere.
    if (!pod.nodeName) continue;
    let list = byNode.get(pod.nodeName);
    if (!list) byNode.set(pod.nodeName, (list = []));
    list.push({
      uid: pod.uid,
      namespace: pod.namespace,
      name: pod.name,
      labels: { ...pod.labels },
      workload: pod.workload,
      workload_kind: pod.workloadKind,
      containers: pod.containers.map((c) => ({ id: c.id, name: c.name, image: c.image, runtime: c.runtime })),
    });
  }
  return byNode;
}
