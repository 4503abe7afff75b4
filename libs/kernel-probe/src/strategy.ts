/**
 * Hook strategies derived from the capability tries: what the collector should use on this
 * kernel for each kind of hook, and why. Pure: no kernel access here.
 */
import type { Capability, CapabilityName } from './capabilities';

export interface StrategyChoice<M extends string> {
  /** What to use here; 'unsupported' when nothing in the preference order works. */
  mechanism: M | 'unsupported';
  /** Every mechanism that works here, in preference order. */
  available: M[];
  /** Why this one: what failed before it (short reasons), or that it works. */
  why: string;
}

export interface HookStrategy {
  /** A hook on a kernel function's entry: kprobe, then fentry, then the nearest tracepoint. */
  kernelFunction: StrategyChoice<'kprobe' | 'fentry' | 'tracepoint'>;
  /** A hook on a kernel function's return: kretprobe, then fexit, then the nearest tracepoint. */
  kernelFunctionReturn: StrategyChoice<'kretprobe' | 'fexit' | 'tracepoint'>;
  /** Flavour for tracepoint hooks (the process events' attach mode): tp_btf, raw_tp, classic. */
  tracepoint: StrategyChoice<'tp_btf' | 'raw_tp' | 'tracepoint'>;
  enforcement: {
    /** Changing a kernel function's result (Tetragon's Override): fmod_ret, lsm, then bpf_override_return. */
    override: StrategyChoice<'fmod_ret' | 'lsm' | 'override_return'>;
    /** Denying connect()/bind() for a cgroup's processes (a cgroup program's verdict). */
    cgroupDeny: StrategyChoice<'cgroup'>;
    /** Killing (or signalling) the offending process from the hook (Tetragon's Sigkill). */
    sendSignal: StrategyChoice<'send_signal'>;
  };
}

type Lookup = (name: CapabilityName) => Capability | undefined;

/** "ENOENT at attach (CONFIG_KPROBES not set)": the capability rows carry the full reason. */
export function shortReason(c: Capability | undefined): string {
  if (!c) return 'not probed';
  if (c.works) return 'works';
  if (!c.code) return c.reason ?? 'does not work';
  return `${c.code} at ${c.stage ?? '?'}${c.hint ? ` (${c.hint})` : ''}`;
}

function choose<M extends string>(
  lookup: Lookup,
  order: Array<{ mechanism: M; needs: CapabilityName[]; label?: string; chosen?: string }>,
  what: string,
): StrategyChoice<M> {
  const works = (needs: CapabilityName[]) => needs.length > 0 && needs.every((n) => lookup(n)?.works === true);
  const available = order.filter((o) => works(o.needs)).map((o) => o.mechanism);
  const failures: string[] = [];
  for (const o of order) {
    if (works(o.needs)) {
      const how = o.chosen ?? (o.needs.length > 1 ? `${o.needs.join(' + ')} work` : `${o.needs[0]} works`);
      const why = failures.length ? `${failures.join('; ')}; ${how}` : how;
      return { mechanism: o.mechanism, available, why };
    }
    const failed = o.needs.map((n) => lookup(n)).filter((c) => !c?.works);
    const label = o.label ?? o.mechanism;
    const reason = failed
      .map((c) => shortReason(c))
      .filter((r, i, all) => all.indexOf(r) === i)
      .join('; ');
    failures.push(`${label}: ${reason}`);
  }
  return { mechanism: 'unsupported', available, why: `no way to ${what}: ${failures.join('; ')}` };
}

const TRACEPOINT_NEEDS: CapabilityName[][] = [['tp_btf'], ['raw_tp'], ['tracepoint']];

/** The tracepoint flavours that work, as one pseudo-need: any of them. */
function anyTracepoint(lookup: Lookup): CapabilityName | undefined {
  for (const [n] of TRACEPOINT_NEEDS) if (n && lookup(n)?.works) return n;
  return undefined;
}

export function deriveHookStrategy(capabilities: Capability[]): HookStrategy {
  const byName = new Map(capabilities.map((c) => [c.name, c]));
  const lookup: Lookup = (n) => byName.get(n);
  const tp = anyTracepoint(lookup);
  const tpNeeds: CapabilityName[] = tp ? [tp] : ['tp_btf'];
  // Last resort for function hooks, entry or return alike: the nearest tracepoint.
  const tracepointFallback = {
    mechanism: 'tracepoint' as const,
    needs: tpNeeds,
    label: 'tracepoint (tp_btf/raw_tp/tp)',
    chosen: `${tpNeeds[0]} works: hook the nearest tracepoint instead`,
  };

  const kernelFunction = choose(
    lookup,
    [{ mechanism: 'kprobe', needs: ['kprobe'] }, { mechanism: 'fentry', needs: ['fentry'] }, tracepointFallback],
    'hook a kernel function',
  );
  const kernelFunctionReturn = choose(
    lookup,
    [{ mechanism: 'kretprobe', needs: ['kretprobe'] }, { mechanism: 'fexit', needs: ['fexit'] }, tracepointFallback],
    "hook a kernel function's return",
  );
  const tracepoint = choose(
    lookup,
    [
      { mechanism: 'tp_btf', needs: ['tp_btf'] },
      { mechanism: 'raw_tp', needs: ['raw_tp'] },
      { mechanism: 'tracepoint', needs: ['tracepoint'] },
    ],
    'attach to tracepoints',
  );
  const override = choose(
    lookup,
    [
      { mechanism: 'fmod_ret', needs: ['fmod_ret'] },
      { mechanism: 'lsm', needs: ['lsm'] },
      { mechanism: 'override_return', needs: ['override_return'] },
    ],
    "override a kernel function's result",
  );
  const cgroupDeny = choose(lookup, [{ mechanism: 'cgroup', needs: ['cgroup'] }], 'deny through cgroup programs');
  const sendSignal = choose(
    lookup,
    [{ mechanism: 'send_signal', needs: ['send_signal'] }],
    'signal a process from a hook',
  );
  return { kernelFunction, kernelFunctionReturn, tracepoint, enforcement: { override, cgroupDeny, sendSignal } };
}
