import type { ArgFilter, ArgOperator, FilterValue } from '../model';
import { join, type MapView, type YamlValue } from '../reader';
import { hint, quote } from '../suggest';
import { ARG_OPERATORS, ARG_OPERATOR_ALIASES, CAPABILITY_TYPES } from '../tables';
import type { ArgInfo, HookInfo, PolicyContext } from './context';
import { checkValues, type RawValue, type Site } from './filter-values';

const FILTER_KEYS = ['index', 'args', 'operator', 'values'] as const;
const OPERATOR_SPELLINGS: readonly string[] = [...ARG_OPERATORS, ...Object.keys(ARG_OPERATOR_ALIASES)];
/** "${NAME}": a template variable left for envsubst. */
const PLACEHOLDER = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** Which list a filter sits in: it decides what its index refers to. */
export type FilterTarget = 'matchArgs' | 'matchData' | 'matchReturnArgs';

/** The operator's canonical name, or undefined after reporting an unknown one. */
function operatorOf(ctx: PolicyContext, text: string, path: string, offset: number): ArgOperator | undefined {
  if ((ARG_OPERATORS as readonly string[]).includes(text)) {
    if (text === 'NotSPortPriv') {
      ctx.r.diag.warn(
        offset,
        path,
        'Tetragon\'s CRD spells this operator "NotSportPriv"; kubectl apply rejects "NotSPortPriv"',
      );
    }
    return text as ArgOperator;
  }
  const alias = ARG_OPERATOR_ALIASES[text];
  if (alias) return alias;
  ctx.r.diag.error(offset, path, `unknown operator ${quote(text)} ${hint(text, OPERATOR_SPELLINGS)}`);
  return undefined;
}

/** Resolves which declared argument the filter reads. */
function targetArg(
  ctx: PolicyContext,
  view: MapView,
  path: string,
  hook: HookInfo,
  target: FilterTarget,
  index: number,
  positions: number[],
): ArgInfo | undefined {
  const { r } = ctx;
  if (!hook.argsKnown) return undefined;
  if (target === 'matchReturnArgs') {
    if (!hook.returnArg) {
      r.diag.error(view.offset, path, 'matchReturnArgs needs the hook to declare returnArg (with return: true)');
      return undefined;
    }
    if (index !== hook.returnArg.index) {
      r.diag.error(
        r.where(view, 'index'),
        join(path, 'index'),
        `index ${index} does not match returnArg.index ${hook.returnArg.index}`,
      );
      return undefined;
    }
    return hook.returnArg;
  }
  const list = target === 'matchData' ? hook.data : hook.args;
  const listName = target === 'matchData' ? 'data' : 'args';
  const first = positions[0];
  if (first !== undefined) {
    const found = list.find((a) => a.position === first);
    if (!found) {
      r.diag.error(
        r.where(view, 'args'),
        join(path, 'args[0]'),
        `${first} is not a position in the hook's ${listName} list (it has ${list.length} entr${list.length === 1 ? 'y' : 'ies'})`,
      );
    }
    return found;
  }
  if (target === 'matchData') {
    const found = list.find((a) => a.position === index);
    if (!found) {
      r.diag.error(
        r.where(view, 'index'),
        join(path, 'index'),
        `index ${index} is not a position in the hook's data list (it has ${list.length} entries)`,
      );
    }
    return found;
  }
  if (hook.kind === 'tracepoint') {
    // Tetragon rewrites a tracepoint filter index that names a declared format field into that
    // arg's position; any other index is taken as a position in the args list.
    const found = list.find((a) => a.index === index) ?? list.find((a) => a.position === index);
    if (!found) {
      r.diag.error(
        r.where(view, 'index'),
        join(path, 'index'),
        `index ${index} is neither a declared arg index nor a position in the tracepoint's args list (declared indexes: ${list.map((a) => a.index).join(', ') || 'none'})`,
      );
    }
    return found;
  }
  const found = list.find((a) => a.index === index);
  if (!found) {
    const declared =
      list.length === 0 ? 'the hook declares no args' : `declared indexes: ${list.map((a) => a.index).join(', ')}`;
    r.diag.error(
      r.where(view, 'index'),
      join(path, 'index'),
      `index ${index} does not refer to a declared arg (${declared})`,
    );
  }
  return found;
}

/** One entry of matchArgs, matchData or matchReturnArgs. */
export function readArgFilter(
  ctx: PolicyContext,
  hook: HookInfo,
  target: FilterTarget,
  node: YamlValue | null,
  path: string,
  offset: number,
): ArgFilter | undefined {
  const { r } = ctx;
  const view = r.map(node, path, offset);
  if (!view) {
    if (node === null) r.diag.error(offset, path, 'expected a filter with operator and values, got null');
    return undefined;
  }
  r.checkKeys(view, FILTER_KEYS);
  const index = r.int(view, 'index', { min: 0n, max: 0xffffffffn }) ?? 0;
  const positions = r.list(view, 'args', (item, itemPath, itemOffset) => {
    const n = r.intValue(item, itemPath, itemOffset, { min: 0n, max: 0xffffffffn });
    return n === undefined ? undefined : Number(n);
  });
  const opText = r.str(view, 'operator', true);
  const op =
    opText === undefined ? undefined : operatorOf(ctx, opText, join(path, 'operator'), r.where(view, 'operator'));
  const placeholders: FilterValue[] = [];
  const values = r.list(view, 'values', (item, itemPath, itemOffset): RawValue | undefined => {
    const text = r.strValue(item, itemPath, itemOffset);
    if (text === undefined) return undefined;
    const variable = PLACEHOLDER.exec(text)?.[1];
    if (variable !== undefined) {
      const value = Object.prototype.hasOwnProperty.call(ctx.variables, variable) ? ctx.variables[variable] : undefined;
      if (value !== undefined) return { text: value, offset: itemOffset, path: itemPath };
      r.diag.warn(
        itemOffset,
        itemPath,
        `unexpanded placeholder ${text}: substitute it (e.g. envsubst) before loading; the value is not checked`,
      );
      placeholders.push({ kind: 'placeholder', name: variable, raw: text });
      return undefined;
    }
    return { text, offset: itemOffset, path: itemPath };
  });
  const arg = targetArg(ctx, view, path, hook, target, index, positions);
  if (op === undefined) return undefined;
  const filter: ArgFilter = { index, args: positions, operator: op, values: [] };
  if (arg) {
    filter.argPosition = arg.position;
    if (arg.type) filter.argType = arg.type;
  }
  const site: Site = { ctx, view, path, op, type: arg?.type, values };
  if (op === 'CapabilitiesGained') {
    checkCapabilitiesGained(site, hook, positions);
    return filter;
  }
  filter.values =
    values.length === 0 && placeholders.length > 0 ? placeholders : [...checkValues(site), ...placeholders];
  return filter;
}

/** CapabilitiesGained compares two capability arguments named by `args` (new set, old set). */
function checkCapabilitiesGained(site: Site, hook: HookInfo, positions: number[]): void {
  const { ctx, view, path } = site;
  if (positions.length !== 2) {
    ctx.r.diag.error(
      ctx.r.where(view, 'args'),
      join(path, 'args'),
      `CapabilitiesGained needs exactly two args positions (new and old capability set), got ${positions.length}`,
    );
    return;
  }
  if (hook.argsKnown) {
    positions.forEach((p, i) => {
      const arg = hook.args.find((a) => a.position === p);
      if (!arg && i > 0) {
        ctx.r.diag.error(
          ctx.r.where(view, 'args'),
          join(path, `args[${i}]`),
          `${p} is not a position in the hook's args list`,
        );
      }
      if (arg?.type !== undefined && !CAPABILITY_TYPES.has(arg.type)) {
        ctx.r.diag.error(
          ctx.r.where(view, 'args'),
          join(path, `args[${i}]`),
          `CapabilitiesGained compares capability sets (kernel_cap_t, cap_effective, cap_permitted, cap_inheritable), but args[${i}] is ${arg.type}`,
        );
      }
    });
  }
  if (site.values.length > 0) {
    ctx.r.diag.warn(
      ctx.r.where(view, 'values'),
      join(path, 'values'),
      'CapabilitiesGained takes no values; they are ignored',
    );
  }
}
