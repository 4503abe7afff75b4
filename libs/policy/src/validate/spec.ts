import type { CallRef, EnforcerSpec, KnownOptions, ListSpec, PolicyOption, PolicySpec, StateSpec } from '../model';
import { join, type MapView } from '../reader';
import { hint, quote, refHint } from '../suggest';
import { KNOWN_OPTIONS, LIMITS, LIST_TYPES, type ListType } from '../tables';
import { parseGoBool } from '../values';
import type { PolicyContext } from './context';
import { readFunctionHook, readLsmHook, readTracepoint, readUprobe, readUsdt } from './hooks';
import { readLabelSelector } from './labels';
import { readMacros } from './macros';
import { readHostSelector, readSelector } from './selectors';

export const SPEC_FIELDS = [
  'kprobes',
  'fentries',
  'tracepoints',
  'uprobes',
  'lsmhooks',
  'usdts',
  'lists',
  'enforcers',
  'options',
  'loader',
  'state',
  'selectorsMacros',
  'podSelector',
  'containerSelector',
  'nodeSelector',
  'hostSelector',
] as const;

function lists(ctx: PolicyContext, view: MapView): ListSpec[] {
  const { r } = ctx;
  return r.list(view, 'lists', (node, path, offset) => {
    const l = r.map(node, path, offset);
    if (!l) return undefined;
    r.checkKeys(l, ['name', 'type', 'values', 'pattern', 'validated']);
    const name = r.str(l, 'name', true);
    const typeText = r.str(l, 'type');
    let type: ListType | undefined;
    if (typeText !== undefined && typeText !== '') {
      if ((LIST_TYPES as readonly string[]).includes(typeText)) type = typeText as ListType;
      else
        r.diag.error(
          r.where(l, 'type'),
          join(path, 'type'),
          `unknown list type ${quote(typeText)} ${hint(typeText, LIST_TYPES)}`,
        );
    }
    const list: ListSpec = {
      name: name ?? '',
      values: r.strList(l, 'values'),
      validated: r.bool(l, 'validated') ?? false,
    };
    if (type) list.type = type;
    const pattern = r.str(l, 'pattern');
    if (pattern !== undefined) list.pattern = pattern;
    const generated = type === 'generated_syscalls' || type === 'generated_ftrace';
    if (type === 'generated_ftrace' && !pattern) r.missing(l, 'pattern', 'is required for generated_ftrace lists');
    if (generated && list.values.length > 0) {
      r.diag.warn(r.where(l, 'values'), join(path, 'values'), `values are ignored: ${type} lists are generated`);
    }
    if (!generated && pattern !== undefined) {
      r.diag.warn(
        r.where(l, 'pattern'),
        join(path, 'pattern'),
        'pattern is only used by generated_syscalls and generated_ftrace lists',
      );
    }
    if (!generated && list.values.length === 0) r.diag.warn(l.offset, path, 'the list has no values');
    if (name === undefined) return undefined;
    if (name === '') {
      r.diag.error(r.where(l, 'name'), join(path, 'name'), 'name must not be empty');
    } else if (ctx.lists.has(name)) {
      r.diag.error(r.where(l, 'name'), join(path, 'name'), `list ${quote(name)} is already defined`);
    } else {
      ctx.lists.set(name, list);
    }
    return list;
  });
}

function states(ctx: PolicyContext, view: MapView): StateSpec[] {
  const { r } = ctx;
  return r.list(view, 'state', (node, path, offset, i) => {
    if (i === LIMITS.states) r.diag.error(offset, path, `too many state objects: at most ${LIMITS.states}`);
    const s = r.map(node, path, offset);
    if (!s) return undefined;
    r.checkKeys(s, ['name']);
    const name = r.str(s, 'name', true);
    if (name === undefined) return undefined;
    if (name.length < 1 || name.length > LIMITS.stateNameLength) {
      r.diag.error(r.where(s, 'name'), join(path, 'name'), `name must be 1 to ${LIMITS.stateNameLength} characters`);
    } else if (ctx.states.has(name)) {
      r.diag.error(
        r.where(s, 'name'),
        join(path, 'name'),
        `state ${quote(name)} is already defined (names must be unique)`,
      );
    }
    ctx.states.add(name);
    return { name };
  });
}

function enforcers(ctx: PolicyContext, view: MapView): EnforcerSpec[] {
  const { r } = ctx;
  const out = r.list(view, 'enforcers', (node, path, offset, i) => {
    if (i === LIMITS.enforcers) r.diag.error(offset, path, 'Tetragon supports a single enforcer per policy');
    const e = r.map(node, path, offset);
    if (!e) return undefined;
    r.checkKeys(e, ['calls']);
    if (!e.fields.get('calls')?.node) r.missing(e, 'calls');
    const calls = r.list(e, 'calls', (item, p, o): CallRef | undefined => {
      const call = r.strValue(item, p, o);
      if (call === undefined) return undefined;
      if (!call.startsWith('list:')) return { kind: 'symbol', name: call };
      const name = call.slice('list:'.length);
      if (!ctx.lists.has(name))
        r.diag.error(
          o,
          p,
          `list ${quote(name)} is not defined in spec.lists ${refHint(name, [...ctx.lists.keys()], 'spec.lists is empty')}`,
        );
      return { kind: 'list', name };
    });
    return { calls };
  });
  ctx.enforcers = out.length;
  return out;
}

function options(ctx: PolicyContext, view: MapView): { options: PolicyOption[]; values: KnownOptions } {
  const { r } = ctx;
  const values: KnownOptions = {};
  const seen = new Set<string>();
  const list = r.list(view, 'options', (node, path, offset) => {
    const o = r.map(node, path, offset);
    if (!o) return undefined;
    r.checkKeys(o, ['name', 'value']);
    const name = r.str(o, 'name', true);
    const value = r.str(o, 'value') ?? '';
    if (name === undefined) return undefined;
    const at: [number, string] = [r.where(o, 'value'), join(path, 'value')];
    if (seen.has(name))
      r.diag.warn(
        r.where(o, 'name'),
        join(path, 'name'),
        `option ${quote(name)} is set more than once; the last one wins`,
      );
    seen.add(name);
    switch (name) {
      case 'disable-kprobe-multi':
      case 'disable-uprobe-multi': {
        const b = parseGoBool(value);
        if (b === undefined)
          r.diag.error(...at, `${name} takes a boolean ("1", "true", "0", "false"), got ${quote(value)}`);
        else if (name === 'disable-kprobe-multi') values.disableKprobeMulti = b;
        else values.disableUprobeMulti = b;
        break;
      }
      case 'uprobe-heap-size':
        if (/^[1-9][0-9]{0,9}$/.test(value) && Number(value) <= 0xffffffff) values.uprobeHeapSize = Number(value);
        else r.diag.error(...at, `uprobe-heap-size takes a positive integer, got ${quote(value)}`);
        break;
      case 'policy-mode':
        if (value === 'monitor' || value === 'enforce') values.policyMode = value;
        else r.diag.error(...at, `policy-mode is "monitor" or "enforce", got ${quote(value)}`);
        break;
      default:
        r.diag.warn(
          r.where(o, 'name'),
          join(path, 'name'),
          `unknown option ${quote(name)} ${hint(name, KNOWN_OPTIONS)}; Tetragon ignores it`,
        );
    }
    return { name, value };
  });
  return { options: list, values };
}

/** spec: the hooks and everything they refer to (lists, state, enforcers, macros). */
export function readSpec(ctx: PolicyContext, view: MapView): PolicySpec {
  const { r } = ctx;
  r.checkKeys(view, SPEC_FIELDS);
  // Declarations first: hooks and selectors refer to lists, state objects, enforcers and macros.
  const specLists = lists(ctx, view);
  const state = states(ctx, view);
  const specEnforcers = enforcers(ctx, view);
  const specOptions = options(ctx, view);
  readMacros(ctx, view.fields.get('selectorsMacros'));
  const spec: PolicySpec = {
    kprobes: r.list(view, 'kprobes', (n, p, o) => readFunctionHook(ctx, n, p, o, 'kprobe')),
    fentries: r.list(view, 'fentries', (n, p, o) => readFunctionHook(ctx, n, p, o, 'fentry')),
    tracepoints: r.list(view, 'tracepoints', (n, p, o) => readTracepoint(ctx, n, p, o)),
    uprobes: r.list(view, 'uprobes', (n, p, o) => readUprobe(ctx, n, p, o)),
    lsmhooks: r.list(view, 'lsmhooks', (n, p, o) => readLsmHook(ctx, n, p, o)),
    usdts: r.list(view, 'usdts', (n, p, o) => readUsdt(ctx, n, p, o)),
    lists: specLists,
    enforcers: specEnforcers,
    options: specOptions.options,
    optionValues: specOptions.values,
    loader: r.bool(view, 'loader') ?? false,
    state,
  };
  const pod = readLabelSelector(ctx, view, 'podSelector');
  if (pod) spec.podSelector = pod;
  const container = readLabelSelector(ctx, view, 'containerSelector');
  if (container) {
    spec.containerSelector = container;
    const keys = [...Object.keys(container.matchLabels), ...container.matchExpressions.map((e) => e.key)];
    if (keys.some((k) => k !== 'name')) {
      r.diag.warn(
        r.where(view, 'containerSelector'),
        join(view.path, 'containerSelector'),
        'Tetragon matches containers by the "name" field only',
      );
    }
  }
  const node = readLabelSelector(ctx, view, 'nodeSelector');
  if (node) spec.nodeSelector = node;
  const host = readHostSelector(ctx, view);
  if (host) {
    spec.hostSelector = host;
    if (ctx.kind === 'TracingPolicyNamespaced') {
      r.diag.error(
        r.where(view, 'hostSelector'),
        join(view.path, 'hostSelector'),
        'TracingPolicyNamespaced must not set hostSelector',
      );
    }
  }
  unusedMacros(ctx);
  if (spec.enforcers.length > 0 && !ctx.notifyEnforcerUsed) {
    r.diag.warn(
      r.where(view, 'enforcers'),
      join(view.path, 'enforcers'),
      'no selector uses the NotifyEnforcer action, so the enforcer never acts',
    );
  }
  const hooks =
    spec.kprobes.length +
    spec.fentries.length +
    spec.tracepoints.length +
    spec.uprobes.length +
    spec.lsmhooks.length +
    spec.usdts.length;
  const declared = ['kprobes', 'fentries', 'tracepoints', 'uprobes', 'lsmhooks', 'usdts'].some(
    (k) => view.fields.get(k)?.node,
  );
  if (hooks === 0 && !declared && !spec.loader)
    r.diag.warn(view.offset, view.path, 'the policy defines no hooks and does not enable loader events');
  return spec;
}

/** Macros nobody uses are still checked (with no hook to resolve arg indexes against) and flagged. */
function unusedMacros(ctx: PolicyContext): void {
  for (const [name, macro] of ctx.macros) {
    if (ctx.usedMacros.has(name)) continue;
    ctx.r.diag.warn(macro.draft.offset, macro.draft.path, `selector macro ${quote(name)} is never used`);
    readSelector(
      ctx,
      { kind: 'kprobe', path: macro.draft.path, args: [], data: [], hasReturn: true, argsKnown: false },
      {
        ...macro.draft,
        macros: [],
      },
    );
  }
}
