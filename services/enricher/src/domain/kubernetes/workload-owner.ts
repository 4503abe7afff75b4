/**
 * A pod's workload — the object a person manages (Deployment, StatefulSet, CronJob, …) — from
 * its ownerReferences alone. Resolving through the API (reading the ReplicaSet or Job to find its
 * own owner) would cost a request per owner and read rights on apps/batch objects; the names
 * Kubernetes controllers generate already say it:
 *
 * - ReplicaSet → Deployment when the ReplicaSet's name is `<deployment>-<pod-template-hash>` and
 *   the pod carries that `pod-template-hash` label (the Deployment controller names them so);
 *   otherwise the ReplicaSet itself (created directly, or by another controller).
 * - Job → CronJob when the Job's name is `<cronjob>-<digits>` with at least 8 digits: the
 *   CronJob controller names each Job after its scheduled time in minutes since the epoch. A Job
 *   someone named that way by hand is reported as a CronJob too — the one guess in this file.
 * - StatefulSet, DaemonSet, ReplicationController and any other kind (custom controllers): the
 *   owner as it is.
 * - No controller, or a Node (static pods' mirror objects): the pod itself, kind "Pod".
 */
export interface OwnerReference {
  kind: string;
  name: string;
  controller: boolean;
}

export interface Workload {
  workload: string;
  kind: string;
}

const CRONJOB_JOB = /^(.+)-(\d{8,})$/;

export function resolveWorkload(podName: string, labels: Record<string, string>, owners: OwnerReference[]): Workload {
  // The controller owner decides; a pod with several owners but none marked controller is rare
  // enough that the first owner is as good a guess as any.
  const owner = owners.find((o) => o.controller) ?? owners[0];
  if (!owner || !owner.name || owner.kind === 'Node') return { workload: podName, kind: 'Pod' };
  if (owner.kind === 'ReplicaSet') {
    const hash = labels['pod-template-hash'];
    if (hash && owner.name.endsWith(`-${hash}`) && owner.name.length > hash.length + 1)
      return { workload: owner.name.slice(0, -(hash.length + 1)), kind: 'Deployment' };
    return { workload: owner.name, kind: 'ReplicaSet' };
  }
  if (owner.kind === 'Job') {
    const m = CRONJOB_JOB.exec(owner.name);
    if (m) return { workload: m[1]!, kind: 'CronJob' };
    return { workload: owner.name, kind: 'Job' };
  }
  return { workload: owner.name, kind: owner.kind };
}
