/**
 * GET /status as the StatusController builds it, over the real ProcessPipeline (its kernel source
 * a stand-in the test feeds raw records to) and the real NodeWorkloads and NodePolicySync on the
 * in-process bus.
 */
import type { RawHookEvent, RawProcessEvent } from '@vigil/bpf-native';
import { InProcessBus } from '@vigil/bus';
import { loadConfig } from '@vigil/config';
import { ProcessCache } from '@vigil/process-cache';
import { describe, expect, it } from 'vitest';
import { clock, exec, MS, NODE } from '../../../libs/process-cache/test/raw';
import { CollectorBus } from '../src/collector-bus';
import { collectorSchema } from '../src/collector.config';
import { NodePolicySync } from '../src/node-policy-sync';
import { NodeWorkloads } from '../src/node-workloads';
import { ProcessPipeline } from '../src/process-pipeline';
import type { ProcessPipelineProvider } from '../src/process-pipeline.provider';
import { StatusController } from '../src/status.controller';

/** A hook event as the kernel side delivers it. */
const hookEvent = (hookId: number): RawHookEvent => ({
  kind: 'hook',
  time: 2n * MS,
  pid: 1,
  tid: 1,
  ktime: 1n * MS,
  hookId,
  action: 'Post',
  actionArg: 0,
  enforced: false,
  monitorOnly: false,
  actionError: false,
  truncated: false,
  args: [],
});

describe('GET /status', () => {
  it('counts hook events of a hook no longer loaded (its policy removed meanwhile) as hookEventsUnknown', async () => {
    const config = loadConfig(collectorSchema, { env: { VIGIL_NODE_NAME: NODE } });
    const transport = new CollectorBus(config, { bus: new InProcessBus() });
    let deliver: (raws: RawProcessEvent[]) => void = () => {};
    const pipeline = new ProcessPipeline({
      cache: new ProcessCache({ nodeName: NODE, clock, ancestors: false }),
      bus: transport.bus,
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
    pipeline.start();
    // The runtime knows no hook: every hook id is one whose policy is gone.
    pipeline.usePolicies({ lookup: () => undefined });
    deliver([hookEvent(7), hookEvent(7), hookEvent(9)]);
    await pipeline.close();

    const provider = {
      pipeline,
      policies: undefined,
      workloadRefreshFailures: 0,
    } as unknown as ProcessPipelineProvider;
    const controller = new StatusController(
      provider,
      transport,
      new NodePolicySync(config, transport),
      new NodeWorkloads(config, transport),
    );
    const status = controller.status();
    expect(status).toMatchObject({ hookEvents: 0, hookEventsUnknown: 3, failedEvents: 0 });
    expect(status.workloads).toEqual({
      following: false,
      node: NODE,
      received: 0,
      applied: 0,
      otherNodes: 0,
      cleared: 0,
      malformed: 0,
      deadLettered: 0,
      deadLetterFailures: 0,
      refreshFailures: 0,
    });
  });
});
