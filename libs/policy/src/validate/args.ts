import type { ArgType, HookArg, HookKind } from '../model';
import { join, type MapView, type YamlValue } from '../reader';
import { hint, quote } from '../suggest';
import { ARG_TYPES, ARG_TYPE_ALIASES, BUFFER_TYPES, DATA_SOURCES, LIMITS, type DataSource } from '../tables';
import type { ArgInfo, PolicyContext } from './context';

const ARG_FIELDS = [
  'index',
  'type',
  'sizeArgIndex',
  'returnCopy',
  'maxData',
  'label',
  'resolve',
  'btfType',
  'btfTypeModule',
  'source',
] as const;

export type ArgRole = 'arg' | 'data' | 'return';

const ALL_TYPE_SPELLINGS: readonly string[] = [...ARG_TYPES, ...Object.keys(ARG_TYPE_ALIASES)];

/** The canonical arg type for a spelling the CRD accepts, or undefined after reporting it. */
export function argType(ctx: PolicyContext, text: string, path: string, offset: number): ArgType | undefined {
  if ((ARG_TYPES as readonly string[]).includes(text)) return text as ArgType;
  const alias = ARG_TYPE_ALIASES[text];
  if (alias) return alias;
  const near = hint(text, ALL_TYPE_SPELLINGS);
  const message = near.startsWith('(did')
    ? near
    : `(expected one of: ${ARG_TYPES.filter((t) => t !== 'auto').join(', ')})`;
  ctx.r.diag.error(offset, path, `unknown arg type ${quote(text)} ${message}`);
  return undefined;
}

/** Highest argument index Tetragon can read for a hook kind (tracepoints index their format fields). */
function maxIndex(kind: HookKind): bigint {
  if (kind === 'tracepoint') return 0xffffffffn;
  if (kind === 'usdt') return BigInt(LIMITS.maxUsdtArgIndex);
  return BigInt(LIMITS.maxFunctionArgIndex);
}

/** One entry of args, data or returnArg. */
export function readArg(
  ctx: PolicyContext,
  node: YamlValue | null,
  path: string,
  offset: number,
  role: ArgRole,
  kind: HookKind,
): { arg: HookArg; valid: boolean } | undefined {
  const { r } = ctx;
  const view = r.map(node, path, offset);
  if (!view) {
    if (node === null) r.diag.error(offset, path, 'expected an argument mapping with index and type, got null');
    return undefined;
  }
  r.checkKeys(view, ARG_FIELDS);
  const errorsBefore = r.diag.errors.length;
  const index = r.int(view, 'index', { required: true, min: 0n, max: 0xffffffffn });
  const max = role === 'data' ? 0xffffffffn : maxIndex(kind);
  if (index !== undefined && BigInt(index) > max) {
    const readable = kind === 'usdt' ? 'USDT arguments 0-11' : 'function arguments 0-4';
    r.diag.error(
      r.where(view, 'index'),
      join(path, 'index'),
      `index ${index} is out of range: Tetragon reads ${readable} only`,
    );
  }
  const typeText = r.str(view, 'type');
  // The CRD defaults type to "auto" (resolved from BTF when the policy loads).
  const type = typeText === undefined ? 'auto' : argType(ctx, typeText, join(path, 'type'), r.where(view, 'type'));
  const arg: HookArg = {
    index: index ?? 0,
    type: type ?? 'auto',
    sizeArgIndex: r.int(view, 'sizeArgIndex', { min: 0n, max: 0xffffffffn }) ?? 0,
    returnCopy: r.bool(view, 'returnCopy') ?? false,
    maxData: r.bool(view, 'maxData') ?? false,
  };
  const label = r.str(view, 'label');
  if (label !== undefined && label !== '') arg.label = label;
  readResolve(ctx, view, arg, path);
  const btfType = r.str(view, 'btfType');
  if (btfType) arg.btfType = btfType;
  const btfTypeModule = r.str(view, 'btfTypeModule');
  if (btfTypeModule) arg.btfTypeModule = btfTypeModule;
  if (btfTypeModule && !btfType) {
    r.diag.warn(
      r.where(view, 'btfTypeModule'),
      join(path, 'btfTypeModule'),
      'btfTypeModule has no effect without btfType',
    );
  }
  readSource(ctx, view, arg, path, role);
  checkFlags(ctx, view, arg, path, type);
  return { arg, valid: r.diag.errors.length === errorsBefore };
}

function readResolve(ctx: PolicyContext, view: MapView, arg: HookArg, path: string): void {
  const resolve = ctx.r.str(view, 'resolve');
  if (resolve === undefined || resolve === '') return;
  if (resolve.split('.').some((segment) => segment.trim() === '')) {
    ctx.r.diag.error(
      ctx.r.where(view, 'resolve'),
      join(path, 'resolve'),
      `resolve path ${quote(resolve)} has an empty segment (expected names separated by dots, e.g. "mm.arg_start")`,
    );
  }
  arg.resolve = resolve;
}

function readSource(ctx: PolicyContext, view: MapView, arg: HookArg, path: string, role: ArgRole): void {
  const { r } = ctx;
  const source = r.str(view, 'source');
  if (role !== 'data') {
    if (source !== undefined && source !== '') {
      r.diag.error(r.where(view, 'source'), join(path, 'source'), 'source is only valid on data entries, not on args');
    }
    return;
  }
  if (source === undefined || source === '') {
    r.missing(view, 'source', `is required on data entries (one of: ${DATA_SOURCES.join(', ')})`);
  } else if (!(DATA_SOURCES as readonly string[]).includes(source)) {
    r.diag.error(
      r.where(view, 'source'),
      join(path, 'source'),
      `unknown data source ${quote(source)} ${hint(source, DATA_SOURCES)}`,
    );
  } else {
    arg.source = source as DataSource;
  }
  if (!arg.resolve) r.missing(view, 'resolve', 'is required on data entries (what to read from the source)');
}

function checkFlags(ctx: PolicyContext, view: MapView, arg: HookArg, path: string, type: ArgType | undefined): void {
  const { r } = ctx;
  if (arg.sizeArgIndex > LIMITS.sizeArgIndex) {
    r.diag.error(
      r.where(view, 'sizeArgIndex'),
      join(path, 'sizeArgIndex'),
      `sizeArgIndex ${arg.sizeArgIndex} is out of range (0..${LIMITS.sizeArgIndex}; it is the 1-based position of the size argument)`,
    );
  }
  if (type === undefined || type === 'auto') return;
  if (arg.sizeArgIndex > 0 && !BUFFER_TYPES.has(type)) {
    r.diag.warn(
      r.where(view, 'sizeArgIndex'),
      join(path, 'sizeArgIndex'),
      `sizeArgIndex is only used by char_buf and char_iovec, not ${type}`,
    );
  }
  if (arg.returnCopy && !BUFFER_TYPES.has(type)) {
    r.diag.warn(
      r.where(view, 'returnCopy'),
      join(path, 'returnCopy'),
      `returnCopy is meant for char_buf and char_iovec, not ${type}`,
    );
  }
  if (arg.maxData && type !== 'char_buf') {
    r.diag.warn(r.where(view, 'maxData'), join(path, 'maxData'), `maxData is ignored for ${type} (char_buf only)`);
  }
}

/** args (or data) of a hook, with the per-hook count limit and duplicate indexes checked. */
export function readArgList(
  ctx: PolicyContext,
  view: MapView,
  key: 'args' | 'data',
  kind: HookKind,
  already = 0,
): { args: HookArg[]; infos: ArgInfo[] } {
  const { r } = ctx;
  const args: HookArg[] = [];
  const infos: ArgInfo[] = [];
  const seen = new Map<number, string>();
  r.list(view, key, (node, path, offset, i) => {
    const read = readArg(ctx, node, path, offset, key === 'data' ? 'data' : 'arg', kind);
    if (already + i === LIMITS.argsPerHook) {
      r.diag.error(
        offset,
        path,
        `too many arguments: Tetragon reads at most ${LIMITS.argsPerHook} per hook (args and data together)`,
      );
    }
    if (!read) return undefined;
    const { arg, valid } = read;
    if (key === 'args') {
      const first = seen.get(arg.index);
      if (first !== undefined) r.diag.warn(offset, path, `index ${arg.index} is already declared by ${first}`);
      else seen.set(arg.index, path);
    }
    infos.push({ index: arg.index, type: valid && arg.type !== 'auto' ? arg.type : undefined, position: i });
    args.push(arg);
    return arg;
  });
  return { args, infos };
}
