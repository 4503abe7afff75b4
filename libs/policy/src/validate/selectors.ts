import type {
  BinaryFilter,
  CapabilityFilter,
  CmdArgFilter,
  NamespaceChangeFilter,
  NamespaceFilter,
  PidFilter,
  Selector,
  StateFilter,
  UserCallerFilter,
  WorkloadFilter,
} from '../model';
import { join, type Field, type MapView, type YamlValue } from '../reader';
import { hint, quote, refHint } from '../suggest';
import {
  BINARY_OPERATORS,
  CAPABILITIES,
  CAPABILITY_SETS,
  CMD_ARG_OPERATORS,
  LIMITS,
  NAMESPACE_KINDS,
  SET_OPERATORS,
  type BinaryOperator,
  type Capability,
  type CapabilitySet,
  type CmdArgOperator,
  type NamespaceKind,
  type SetOperator,
} from '../tables';
import { utf8Length } from '../values';
import { readAction } from './actions';
import type { HookInfo, PolicyContext, SelectorDraft } from './context';
import { readLabelSelector } from './labels';
import { expandMacros } from './macros';
import { readArgFilter } from './match-args';

function enumValue<T extends string>(
  ctx: PolicyContext,
  view: MapView,
  key: string,
  allowed: readonly T[],
  what: string,
  fallback?: T,
): T | undefined {
  const text = ctx.r.str(view, key, fallback === undefined);
  if (text === undefined) return fallback;
  if ((allowed as readonly string[]).includes(text)) return text as T;
  ctx.r.diag.error(
    ctx.r.where(view, key),
    join(view.path, key),
    `unknown ${what} ${quote(text)} ${hint(text, allowed)}`,
  );
  return undefined;
}

/** Reads a filter list field, reporting entries past Tetragon's per-selector limit. */
function filterList<T>(
  ctx: PolicyContext,
  hook: HookInfo,
  field: Field | undefined,
  max: number | undefined,
  each: (node: YamlValue | null, path: string, offset: number) => T | undefined,
): T[] {
  if (!field || field.node === null) return [];
  const node = field.node;
  const read = (): T[] =>
    ctx.r.listValue(node, field.path, field.offset, (item, path, offset, i) => {
      if (max !== undefined && i === max) {
        const name = field.path.slice(field.path.lastIndexOf('.') + 1);
        ctx.r.diag.error(offset, path, `too many ${name} entries: Tetragon supports at most ${max} per selector`);
      }
      return each(item, path, offset);
    });
  // A filter from a macro is checked against each hook using it; say which one.
  const fromMacro = hook.argsKnown && !field.path.startsWith(`${hook.path}.`);
  return fromMacro ? ctx.r.diag.within(` (in the macro as used by ${hook.path})`, read) : read();
}

function pids(ctx: PolicyContext, node: YamlValue | null, path: string, offset: number): PidFilter | undefined {
  const { r } = ctx;
  const view = r.map(node, path, offset);
  if (!view) return undefined;
  r.checkKeys(view, ['operator', 'values', 'isNamespacePID', 'followForks']);
  const operator = enumValue(ctx, view, 'operator', SET_OPERATORS, 'operator');
  const values = r.list(view, 'values', (item, p, o) => {
    const n = r.intValue(item, p, o, { min: 0n, max: 0xffffffffn });
    return n === undefined ? undefined : Number(n);
  });
  if (!view.fields.get('values')?.node) r.missing(view, 'values');
  else if (values.length === 0) r.missing(view, 'values', 'must list at least one PID');
  if (values.length > LIMITS.pidValuesPerFilter) {
    r.diag.error(
      r.where(view, 'values'),
      join(path, 'values'),
      `matchPIDs takes at most ${LIMITS.pidValuesPerFilter} values (the kernel checks only the first 4)`,
    );
  }
  if (operator === undefined) return undefined;
  return {
    operator,
    values,
    isNamespacePID: r.bool(view, 'isNamespacePID') ?? false,
    followForks: r.bool(view, 'followForks') ?? false,
  };
}

function binaries(ctx: PolicyContext, node: YamlValue | null, path: string, offset: number): BinaryFilter | undefined {
  const { r } = ctx;
  const view = r.map(node, path, offset);
  if (!view) return undefined;
  r.checkKeys(view, ['operator', 'values', 'followChildren']);
  const operator = enumValue<BinaryOperator>(ctx, view, 'operator', BINARY_OPERATORS, 'operator');
  const followChildren = r.bool(view, 'followChildren') ?? false;
  if (!view.fields.get('values')?.node) r.missing(view, 'values');
  const values = r.list(view, 'values', (item, p, o) => {
    const v = r.strValue(item, p, o);
    if (v === undefined) return undefined;
    const bytes = utf8Length(v);
    const limit =
      operator === 'Prefix' || operator === 'NotPrefix'
        ? LIMITS.prefixBytes
        : operator === 'Postfix' || operator === 'NotPostfix'
          ? LIMITS.postfixBytes
          : LIMITS.binaryPathBytes;
    if (bytes > limit)
      r.diag.error(o, p, `binary value is ${bytes} bytes; Tetragon matches at most ${limit} for ${operator}`);
    else if ((operator === 'In' || operator === 'NotIn') && !v.startsWith('/')) {
      r.diag.warn(
        o,
        p,
        `${quote(v)} is not an absolute path; ${operator} compares the full path of the executed binary`,
      );
    }
    return v;
  });
  if (view.fields.get('values')?.node && values.length === 0) {
    r.diag.warn(
      r.where(view, 'values'),
      join(path, 'values'),
      'an empty values list makes Tetragon ignore this filter',
    );
  }
  if (followChildren && operator !== undefined && operator !== 'In' && operator !== 'NotIn') {
    r.diag.error(
      r.where(view, 'followChildren'),
      join(path, 'followChildren'),
      `followChildren works with In and NotIn only, not ${operator}`,
    );
  }
  return operator === undefined ? undefined : { operator, values, followChildren };
}

function namespaces(
  ctx: PolicyContext,
  node: YamlValue | null,
  path: string,
  offset: number,
): NamespaceFilter | undefined {
  const { r } = ctx;
  const view = r.map(node, path, offset);
  if (!view) return undefined;
  r.checkKeys(view, ['namespace', 'operator', 'values']);
  const namespace = enumValue<NamespaceKind>(ctx, view, 'namespace', NAMESPACE_KINDS, 'namespace');
  const operator = enumValue<SetOperator>(ctx, view, 'operator', SET_OPERATORS, 'operator');
  if (!view.fields.get('values')?.node) r.missing(view, 'values');
  const values = r.list(view, 'values', (item, p, o): number | 'host_ns' | undefined => {
    const v = r.strValue(item, p, o);
    if (v === undefined) return undefined;
    if (v === 'host_ns') return v;
    if (/^[0-9]+$/.test(v) && BigInt(v) <= 0xffffffffn) return Number(v);
    r.diag.error(o, p, `${quote(v)} is not a namespace inode number (0..4294967295) or "host_ns"`);
    return undefined;
  });
  const count = view.fields.get('values');
  if (count?.node && 'items' in count.node && Array.isArray(count.node.items)) {
    if (count.node.items.length === 0) r.missing(view, 'values', 'must list at least one namespace');
    if (count.node.items.length > LIMITS.namespaceValuesPerFilter) {
      r.diag.error(
        count.offset,
        count.path,
        `matchNamespaces takes at most ${LIMITS.namespaceValuesPerFilter} values per namespace`,
      );
    }
  }
  return namespace === undefined || operator === undefined ? undefined : { namespace, operator, values };
}

function namespaceChanges(
  ctx: PolicyContext,
  node: YamlValue | null,
  path: string,
  offset: number,
): NamespaceChangeFilter | undefined {
  const { r } = ctx;
  const view = r.map(node, path, offset);
  if (!view) return undefined;
  r.checkKeys(view, ['operator', 'values']);
  const operator = enumValue<SetOperator>(ctx, view, 'operator', SET_OPERATORS, 'operator');
  if (!view.fields.get('values')?.node) r.missing(view, 'values');
  // Tetragon lowercases these, so "mnt" is as good as "Mnt"; the model keeps the canonical case.
  const values = r.list(view, 'values', (item, p, o) => {
    const v = r.strValue(item, p, o);
    if (v === undefined) return undefined;
    const kind = NAMESPACE_KINDS.find((k) => k.toLowerCase() === v.toLowerCase());
    if (!kind) r.diag.error(o, p, `unknown namespace type ${quote(v)} ${hint(v, NAMESPACE_KINDS)}`);
    return kind;
  });
  return operator === undefined ? undefined : { operator, values };
}

function capabilities(
  ctx: PolicyContext,
  node: YamlValue | null,
  path: string,
  offset: number,
): CapabilityFilter | undefined {
  const { r } = ctx;
  const view = r.map(node, path, offset);
  if (!view) return undefined;
  r.checkKeys(view, ['type', 'operator', 'isNamespaceCapability', 'values']);
  const type = enumValue<CapabilitySet>(ctx, view, 'type', CAPABILITY_SETS, 'capability set', 'Effective');
  const operator = enumValue<SetOperator>(ctx, view, 'operator', SET_OPERATORS, 'operator');
  if (!view.fields.get('values')?.node) r.missing(view, 'values');
  // Tetragon upper-cases and trims capability names before looking them up.
  const values = r.list(view, 'values', (item, p, o) => {
    const v = r.strValue(item, p, o);
    if (v === undefined) return undefined;
    const name = v.trim().toUpperCase();
    if (!(CAPABILITIES as readonly string[]).includes(name)) {
      r.diag.error(o, p, `unknown capability ${quote(v)} ${hint(name, CAPABILITIES)}`);
      return undefined;
    }
    return name as Capability;
  });
  if (type === undefined || operator === undefined) return undefined;
  return { type, operator, isNamespaceCapability: r.bool(view, 'isNamespaceCapability') ?? false, values };
}

function cmdArgs(ctx: PolicyContext, node: YamlValue | null, path: string, offset: number): CmdArgFilter | undefined {
  const { r } = ctx;
  const view = r.map(node, path, offset);
  if (!view) return undefined;
  r.checkKeys(view, ['index', 'operator', 'values']);
  const index = r.int(view, 'index', { required: true, min: 0n, max: BigInt(LIMITS.cmdArgIndex) });
  const operator = enumValue<CmdArgOperator>(ctx, view, 'operator', CMD_ARG_OPERATORS, 'operator');
  if (!view.fields.get('values')?.node) r.missing(view, 'values');
  const values = r.strList(view, 'values');
  return index === undefined || operator === undefined ? undefined : { index, operator, values };
}

function states(ctx: PolicyContext, node: YamlValue | null, path: string, offset: number): StateFilter | undefined {
  const { r } = ctx;
  const view = r.map(node, path, offset);
  if (!view) return undefined;
  r.checkKeys(view, ['name', 'operator', 'value']);
  const name = r.str(view, 'name', true);
  if (name !== undefined && !ctx.states.has(name)) {
    r.diag.error(
      r.where(view, 'name'),
      join(path, 'name'),
      `state ${quote(name)} is not defined in spec.state ${refHint(name, [...ctx.states], 'spec.state is empty')}`,
    );
  }
  const operator = enumValue<'Equal' | 'NotEqual'>(ctx, view, 'operator', ['Equal', 'NotEqual'], 'operator');
  const value = r.str(view, 'value', true);
  return name === undefined || operator === undefined || value === undefined ? undefined : { name, operator, value };
}

function userCallers(
  ctx: PolicyContext,
  node: YamlValue | null,
  path: string,
  offset: number,
): UserCallerFilter | undefined {
  const { r } = ctx;
  const view = r.map(node, path, offset);
  if (!view) return undefined;
  r.checkKeys(view, ['depth', 'path', 'symbol', 'startRange', 'endRange']);
  const depthText = r.str(view, 'depth', true);
  let depth: number | 'any' | undefined;
  if (depthText === 'any') depth = 'any';
  else if (depthText !== undefined && /^[1-9][0-9]{0,8}$/.test(depthText)) depth = Number(depthText);
  else if (depthText !== undefined) {
    r.diag.error(
      r.where(view, 'depth'),
      join(path, 'depth'),
      `depth must be "any" or a positive integer, got ${quote(depthText)}`,
    );
  }
  const filter: UserCallerFilter = { depth: depth ?? 'any' };
  const p = r.str(view, 'path');
  if (p) filter.path = p;
  const symbol = r.str(view, 'symbol');
  if (symbol) filter.symbol = symbol;
  const startRange = r.int64(view, 'startRange', { min: -(2n ** 63n), max: 2n ** 63n - 1n });
  const endRange = r.int64(view, 'endRange', { min: -(2n ** 63n), max: 2n ** 63n - 1n });
  if (startRange !== undefined) filter.startRange = startRange;
  if (endRange !== undefined) filter.endRange = endRange;
  if ((startRange === undefined) !== (endRange === undefined)) {
    r.diag.error(view.offset, path, 'startRange and endRange must be given together');
  }
  if (symbol === undefined && startRange === undefined && endRange === undefined) {
    r.diag.error(view.offset, path, 'give either symbol or startRange and endRange to name the caller');
  } else if (symbol !== undefined && (startRange !== undefined || endRange !== undefined)) {
    r.diag.error(view.offset, path, 'give either symbol or startRange/endRange, not both');
  }
  return depth === undefined ? undefined : filter;
}

function workloads(ctx: PolicyContext, field: Field): WorkloadFilter | undefined {
  const view = ctx.r.map(field.node, field.path, field.offset);
  if (!view) return undefined;
  ctx.r.checkKeys(view, ['podSelector', 'containerSelector', 'hostSelector']);
  const out: WorkloadFilter = {};
  const pod = readLabelSelector(ctx, view, 'podSelector');
  if (pod) out.podSelector = pod;
  const container = readLabelSelector(ctx, view, 'containerSelector');
  if (container) out.containerSelector = container;
  const host = readHostSelector(ctx, view);
  if (host) out.hostSelector = host;
  return out;
}

/** hostSelector: only {} (all host workloads) or null is supported. */
export function readHostSelector(ctx: PolicyContext, view: MapView) {
  const host = readLabelSelector(ctx, view, 'hostSelector');
  if (host && (Object.keys(host.matchLabels).length > 0 || host.matchExpressions.length > 0)) {
    ctx.r.diag.error(
      ctx.r.where(view, 'hostSelector'),
      join(view.path, 'hostSelector'),
      'hostSelector must be either null or {} (labels are not supported)',
    );
  }
  return host;
}

/** Checks a selector (macros merged) against the hook it belongs to and returns its normalized form. */
export function readSelector(ctx: PolicyContext, hook: HookInfo, draft: SelectorDraft): Selector {
  const { r } = ctx;
  const d = expandMacros(ctx, draft);
  const f = d.filters;
  const here = (field: Field | undefined, message: string): void => {
    if (field) r.diag.error(field.keyOffset, field.path, message);
  };
  const hasReturn = hook.kind === 'kprobe' || hook.kind === 'fentry' || hook.kind === 'uprobe';
  if (hook.argsKnown) {
    if (!hasReturn) {
      here(f.matchReturnArgs, `matchReturnArgs is not supported on ${hook.kind} hooks`);
      here(f.matchReturnActions, `matchReturnActions is not supported on ${hook.kind} hooks`);
    } else if (!hook.hasReturn && f.matchReturnActions) {
      r.diag.warn(
        f.matchReturnActions.keyOffset,
        f.matchReturnActions.path,
        'matchReturnActions only run when the hook sets return: true',
      );
    }
    if (hook.kind !== 'uprobe') here(f.matchUserCallers, 'matchUserCallers is only supported on uprobes');
  }
  const argFilters = (key: 'matchArgs' | 'matchData' | 'matchReturnArgs') =>
    filterList(ctx, hook, f[key], undefined, (node, path, offset) => readArgFilter(ctx, hook, key, node, path, offset));
  const selector: Selector = {
    macros: d.macros.map((m) => m.name),
    matchArgs: argFilters('matchArgs'),
    matchData: argFilters('matchData'),
    matchReturnArgs: argFilters('matchReturnArgs'),
    matchPIDs: filterList(ctx, hook, f.matchPIDs, undefined, (n, p, o) => pids(ctx, n, p, o)),
    matchBinaries: filterList(ctx, hook, f.matchBinaries, LIMITS.binariesFiltersPerSelector, (n, p, o) =>
      binaries(ctx, n, p, o),
    ),
    matchParentBinaries: filterList(ctx, hook, f.matchParentBinaries, LIMITS.binariesFiltersPerSelector, (n, p, o) =>
      binaries(ctx, n, p, o),
    ),
    matchNamespaces: filterList(ctx, hook, f.matchNamespaces, LIMITS.namespaceFiltersPerSelector, (n, p, o) =>
      namespaces(ctx, n, p, o),
    ),
    matchNamespaceChanges: filterList(
      ctx,
      hook,
      f.matchNamespaceChanges,
      LIMITS.namespaceChangeFiltersPerSelector,
      (n, p, o) => namespaceChanges(ctx, n, p, o),
    ),
    matchCapabilities: filterList(ctx, hook, f.matchCapabilities, undefined, (n, p, o) => capabilities(ctx, n, p, o)),
    matchCapabilityChanges: filterList(ctx, hook, f.matchCapabilityChanges, undefined, (n, p, o) =>
      capabilities(ctx, n, p, o),
    ),
    matchCmdArgs: filterList(ctx, hook, f.matchCmdArgs, undefined, (n, p, o) => cmdArgs(ctx, n, p, o)),
    matchStates: filterList(ctx, hook, f.matchStates, LIMITS.stateFiltersPerSelector, (n, p, o) =>
      states(ctx, n, p, o),
    ),
    matchUserCallers: filterList(ctx, hook, f.matchUserCallers, undefined, (n, p, o) => userCallers(ctx, n, p, o)),
    matchActions: filterList(ctx, hook, f.matchActions, LIMITS.actionsPerSelector, (n, p, o) =>
      readAction(ctx, hook, n, p, o),
    ),
    matchReturnActions: filterList(ctx, hook, f.matchReturnActions, LIMITS.actionsPerSelector, (n, p, o) =>
      readAction(ctx, hook, n, p, o),
    ),
  };
  if (d.label !== undefined && d.label !== '') selector.label = d.label;
  const argCount = selector.matchArgs.length + selector.matchData.length;
  if (argCount > LIMITS.argFiltersPerSelector) {
    const field = f.matchArgs ?? f.matchData;
    r.diag.error(
      field?.keyOffset ?? d.offset,
      field?.path ?? d.path,
      `${argCount} argument filters (matchArgs + matchData); Tetragon supports at most ${LIMITS.argFiltersPerSelector} per selector`,
    );
  }
  if (f.matchCEL) {
    const cel = r.map(f.matchCEL.node, f.matchCEL.path, f.matchCEL.offset);
    if (cel) {
      r.checkKeys(cel, ['expr']);
      const expr = r.str(cel, 'expr', true);
      if (expr === '') r.diag.error(r.where(cel, 'expr'), join(cel.path, 'expr'), 'expr must not be empty');
      else if (expr !== undefined) selector.matchCEL = { expr };
    }
  }
  if (f.matchWorkloads) {
    const w = workloads(ctx, f.matchWorkloads);
    if (w) selector.matchWorkloads = w;
  }
  return selector;
}
