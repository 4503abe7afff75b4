/**
 * `docker` on raw events: the real ProcessPipeline and ProcessCache, fed raw kernel records in the
 * shapes the BPF side produces (the kernel itself cannot run in the unit lane: test/kernel/ and
 * test/integration/ do this on the real one).
 */
import type { RawProcessEvent } from '@vigil/bpf-native';
import { InProcessBus, Topic } from '@vigil/bus';
import type { GetEventsResponse, Process } from '@vigil/events';
import { ProcessCache } from '@vigil/process-cache';
import { parseCgroupPath } from '@vigil/policy-kernel';
import { describe, expect, it } from 'vitest';
import { clock, exec, exit, fork, MS, NODE } from '../../../libs/process-cache/test/raw';
import { ContainerTagger } from '../src/container-tagger';
import { ProcessPipeline } from '../src/process-pipeline';

const ID = 'a'.repeat(64);
const POD = '/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0f3c2a1e_4b5d_4c6e_8f90_123456789abc.slice';
const CONTAINER = `${POD}/cri-containerd-${ID}.scope`;

/** The pipeline with a stand-in for the kernel source: the test hands it raw records. */
function pipeline(ancestors = true) {
  const bus = new InProcessBus();
  const events: GetEventsResponse[] = [];
  bus.subscribe<GetEventsResponse>(Topic.eventsRaw, 'test', (b) => void events.push(...b.map((m) => m.value)));
  const cache = new ProcessCache({ nodeName: NODE, clock, ancestors });
  const tagger = new ContainerTagger((id) => cache.get(id));
  let deliver: (raws: RawProcessEvent[]) => void = () => {};
  const p = new ProcessPipeline({
    cache,
    bus,
    containers: tagger,
    openSource: (onEvents) => {
      deliver = onEvents;
      return {
        stats: () => ({
          received: 0,
          lostKernel: 0,
          lostKernelByKind: { exec: 0, fork: 0, exit: 0 },
          droppedUserspace: 0,
          batches: 0,
          malformed: 0,
          procMapFull: 0,
        }),
        close: () => {},
        sharedMaps: () => {
          throw new Error('no policies in this test');
        },
      };
    },
    readProc: () => ({ processes: [exec(1, 1n * MS, 0, 0n, { binary: '/sbin/init' })], vanished: 0, failed: 0 }),
  });
  p.start();
  const settle = async () => {
    await p.close();
    await new Promise((r) => setTimeout(r, 0));
  };
  return { events, deliver: (raws: RawProcessEvent[]) => deliver(raws), settle, tagger, pipeline: p };
}

const processes = (e: GetEventsResponse | undefined): Process[] => {
  const h = e?.process_exec ?? e?.process_exit;
  return h ? [h.process!, ...(h.parent ? [h.parent] : []), ...(h.ancestors ?? [])] : [];
};

describe('ContainerTagger: process.docker on vigil.events.raw', () => {
  it('gives process, parent and ancestors the container id of their cgroup; host processes get none', async () => {
    const t = pipeline();
    t.deliver([
      exec(100, 10n * MS, 1, 1n * MS, { cgroupPath: '/system.slice/containerd.service' }), // the runtime: host
      exec(200, 20n * MS, 100, 10n * MS, { cgroupPath: CONTAINER }), // the container's init
      exec(300, 30n * MS, 200, 20n * MS, { cgroupPath: CONTAINER }), // a process it started
      exit(300, 30n * MS),
    ]);
    await t.settle();
    const byPid = (kind: 'process_exec' | 'process_exit', pid: number) =>
      t.events.find((e) => e[kind]?.process?.pid === pid);
    const exec300 = processes(byPid('process_exec', 300));
    expect(exec300.map((p) => [p.pid, p.docker])).toEqual([
      [300, ID],
      [200, ID],
      [100, undefined],
      [1, undefined],
    ]);
    expect(processes(byPid('process_exit', 300)).map((p) => p.docker)).toEqual([ID, ID, undefined, undefined]);
    expect(processes(byPid('process_exec', 100)).map((p) => p.docker)).toEqual([undefined, undefined]);
    expect(t.pipeline.stats().containers).toEqual({ tagged: 5, unresolved: 0 });
  });

  it("a forked child (no exec of its own) is in its parent's container", async () => {
    const t = pipeline(false);
    t.deliver([
      exec(200, 20n * MS, 1, 1n * MS, { cgroupPath: CONTAINER }),
      fork(201, 21n * MS, 200, 20n * MS),
      fork(202, 22n * MS, 201, 21n * MS),
      exit(202, 22n * MS),
    ]);
    await t.settle();
    const ev = t.events.find((e) => e.process_exit?.process?.pid === 202);
    expect(processes(ev).map((p) => [p.pid, p.docker])).toEqual([
      [202, ID],
      [201, ID],
    ]);
  });

  it('a pod-level cgroup gives its path (the enricher reads the pod uid from it); cgroupfs and Docker naming give the id', async () => {
    const t = pipeline(false);
    const docker = 'b'.repeat(64);
    t.deliver([
      exec(400, 40n * MS, 1, 1n * MS, { cgroupPath: POD }),
      exec(500, 50n * MS, 1, 1n * MS, { cgroupPath: `/docker/${docker}` }),
      exec(600, 60n * MS, 1, 1n * MS, { cgroupPath: `/system.slice/docker-${docker}.scope` }),
    ]);
    await t.settle();
    const dockerOf = (pid: number) =>
      t.events.find((e) => e.process_exec?.process?.pid === pid)?.process_exec?.process?.docker;
    expect(dockerOf(400)).toBe(POD);
    expect(parseCgroupPath(dockerOf(400)!).podUid).toBe('0f3c2a1e-4b5d-4c6e-8f90-123456789abc');
    expect(dockerOf(500)).toBe(docker);
    expect(dockerOf(600)).toBe(docker);
  });

  it('counts processes the cache cannot tell (an exit of a process never seen) and leaves them without docker', async () => {
    const t = pipeline(false);
    t.deliver([exit(700, 70n * MS)]);
    await t.settle();
    const ev = t.events.find((e) => e.process_exit?.process?.pid === 700);
    expect(ev?.process_exit?.process?.docker).toBeUndefined();
    expect(t.tagger.stats()).toEqual({ tagged: 0, unresolved: 1 });
  });
});
