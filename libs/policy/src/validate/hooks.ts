import type {
  FunctionHook,
  HookArg,
  HookCommon,
  HookKind,
  LsmHook,
  Selector,
  TracepointHook,
  UprobeHook,
  UsdtHook,
} from '../model';
import { join, type MapView, type YamlValue } from '../reader';
import { hint, quote, refHint } from '../suggest';
import { LIMITS, RETURN_ARG_ACTIONS, type ReturnArgAction } from '../tables';
import { readArg, readArgList } from './args';
import type { ArgInfo, HookInfo, PolicyContext } from './context';
import { draftSelector } from './macros';
import { readSelector } from './selectors';

const COMMON_FIELDS = ['args', 'selectors', 'message', 'tags'] as const;
const FUNCTION_FIELDS = [
  'call',
  'syscall',
  'return',
  'returnArg',
  'returnArgAction',
  'data',
  'ignore',
  ...COMMON_FIELDS,
] as const;
const TRACEPOINT_FIELDS = ['subsystem', 'event', 'raw', ...COMMON_FIELDS] as const;
const UPROBE_FIELDS = [
  'path',
  'symbols',
  'offsets',
  'addrs',
  'refCtrOffsets',
  'return',
  'returnArg',
  'data',
  'btfPath',
  'binaryDigests',
  'ignore',
  ...COMMON_FIELDS,
] as const;
const LSM_FIELDS = ['hook', ...COMMON_FIELDS] as const;
const USDT_FIELDS = ['path', 'provider', 'name', 'btfPath', ...COMMON_FIELDS] as const;

function message(ctx: PolicyContext, view: MapView): string | undefined {
  const { r } = ctx;
  const text = r.str(view, 'message');
  if (text === undefined || text === '') return undefined;
  const at: [number, string] = [r.where(view, 'message'), join(view.path, 'message')];
  if ([...text].length < LIMITS.messageMinLength) {
    r.diag.error(...at, `message must be at least ${LIMITS.messageMinLength} characters`);
    return undefined;
  }
  if (text.length > LIMITS.messageMaxLength) {
    r.diag.warn(...at, `message is ${text.length} characters; Tetragon cuts it to ${LIMITS.messageMaxLength}`);
    return text.slice(0, LIMITS.messageMaxLength);
  }
  return text;
}

function tags(ctx: PolicyContext, view: MapView): string[] {
  const { r } = ctx;
  return r.list(view, 'tags', (node, path, offset, i) => {
    if (i === LIMITS.tags) r.diag.error(offset, path, `too many tags: at most ${LIMITS.tags} per hook`);
    const tag = r.strValue(node, path, offset);
    if (tag === undefined) return undefined;
    if (tag.length < LIMITS.tagMinLength) {
      r.diag.error(offset, path, `tag ${quote(tag)} is too short (at least ${LIMITS.tagMinLength} characters)`);
      return undefined;
    }
    if (tag.length > LIMITS.tagMaxLength) {
      r.diag.warn(offset, path, `tag is ${tag.length} characters; Tetragon cuts it to ${LIMITS.tagMaxLength}`);
      return tag.slice(0, LIMITS.tagMaxLength);
    }
    return tag;
  });
}

function selectors(ctx: PolicyContext, view: MapView, info: HookInfo): Selector[] {
  const { r } = ctx;
  return r.list(view, 'selectors', (node, path, offset, i) => {
    if (i === LIMITS.selectorsPerHook) {
      r.diag.error(offset, path, `too many selectors: Tetragon supports at most ${LIMITS.selectorsPerHook} per hook`);
    }
    const draft = draftSelector(ctx, node, path, offset);
    return draft ? readSelector(ctx, info, draft) : undefined;
  });
}

interface ArgsRead {
  args: HookArg[];
  infos: ArgInfo[];
  data: HookArg[];
  dataInfos: ArgInfo[];
}

function readArgsAndData(ctx: PolicyContext, view: MapView, kind: HookKind, withData: boolean): ArgsRead {
  const args = readArgList(ctx, view, 'args', kind);
  const data = withData ? readArgList(ctx, view, 'data', kind, args.args.length) : { args: [], infos: [] };
  return { args: args.args, infos: args.infos, data: data.args, dataInfos: data.infos };
}

function returnArg(ctx: PolicyContext, view: MapView, kind: HookKind, ret: boolean): { arg?: HookArg; info?: ArgInfo } {
  const { r } = ctx;
  const field = view.fields.get('returnArg');
  if (!field || field.node === null) {
    if (ret)
      r.diag.error(
        r.where(view, 'return'),
        join(view.path, 'return'),
        'return: true needs returnArg (the type of the return value)',
      );
    return {};
  }
  const read = readArg(ctx, field.node, field.path, field.offset, 'return', kind);
  if (!read) return {};
  if (!ret) r.diag.warn(field.keyOffset, field.path, 'returnArg is ignored unless return: true');
  const type = read.valid && read.arg.type !== 'auto' ? read.arg.type : undefined;
  return { arg: read.arg, info: { index: read.arg.index, type, position: 0 } };
}

function hookInfo(kind: HookKind, path: string, read: ArgsRead, ret: boolean, retInfo?: ArgInfo): HookInfo {
  const info: HookInfo = { kind, path, args: read.infos, data: read.dataInfos, hasReturn: ret, argsKnown: true };
  if (retInfo) info.returnArg = retInfo;
  return info;
}

function common(ctx: PolicyContext, view: MapView, info: HookInfo, args: HookArg[]): HookCommon {
  const out: HookCommon = { args, selectors: selectors(ctx, view, info), tags: tags(ctx, view) };
  const m = message(ctx, view);
  if (m !== undefined) out.message = m;
  return out;
}

/** A call target: a function name, or "list:NAME" for every function of a list. */
function callTarget(ctx: PolicyContext, view: MapView): { call: string; callList?: string } | undefined {
  const { r } = ctx;
  const call = r.str(view, 'call', true);
  if (call === undefined) return undefined;
  const at: [number, string] = [r.where(view, 'call'), join(view.path, 'call')];
  if (call.startsWith('list:')) {
    const name = call.slice('list:'.length);
    if (!ctx.lists.has(name))
      r.diag.error(
        ...at,
        `list ${quote(name)} is not defined in spec.lists ${refHint(name, [...ctx.lists.keys()], 'spec.lists is empty')}`,
      );
    return { call, callList: name };
  }
  if (call.trim() === '' || /\s/.test(call)) {
    r.diag.error(...at, `${quote(call)} is not a function name`);
  }
  return { call };
}

export function readFunctionHook(
  ctx: PolicyContext,
  node: YamlValue | null,
  path: string,
  offset: number,
  kind: 'kprobe' | 'fentry',
): FunctionHook | undefined {
  const { r } = ctx;
  const view = r.map(node, path, offset);
  if (!view) {
    if (node === null) r.diag.error(offset, path, 'expected a hook mapping (call: ...), got null');
    return undefined;
  }
  r.checkKeys(view, FUNCTION_FIELDS);
  const target = callTarget(ctx, view);
  const ret = r.bool(view, 'return') ?? false;
  const read = readArgsAndData(ctx, view, kind, true);
  const retArg = returnArg(ctx, view, kind, ret);
  const action = returnArgAction(ctx, view, ret, retArg.info);
  const ignore = r.sub(view, 'ignore', ['callNotFound']);
  const info = hookInfo(kind, path, read, ret, retArg.info);
  const hook: FunctionHook = {
    kind,
    call: target?.call ?? '',
    syscall: r.bool(view, 'syscall') ?? true,
    return: ret,
    returnArgAction: action,
    data: read.data,
    ignore: { callNotFound: (ignore && r.bool(ignore, 'callNotFound')) ?? false },
    ...common(ctx, view, info, read.args),
  };
  if (target?.callList !== undefined) hook.callList = target.callList;
  if (retArg.arg) hook.returnArg = retArg.arg;
  return target ? hook : undefined;
}

function returnArgAction(ctx: PolicyContext, view: MapView, ret: boolean, info: ArgInfo | undefined): ReturnArgAction {
  const { r } = ctx;
  const text = r.str(view, 'returnArgAction');
  if (text === undefined || text === '') return 'Post';
  const at: [number, string] = [r.where(view, 'returnArgAction'), join(view.path, 'returnArgAction')];
  if (!(RETURN_ARG_ACTIONS as readonly string[]).includes(text)) {
    r.diag.error(...at, `unknown returnArgAction ${quote(text)} ${hint(text, RETURN_ARG_ACTIONS)}`);
    return 'Post';
  }
  const action = text as ReturnArgAction;
  if (!ret) r.diag.warn(...at, 'returnArgAction has no effect unless return: true');
  if (action === 'Post') {
    r.diag.warn(
      ...at,
      'returnArgAction "Post" is the default; recent Tetragon versions reject it when written out, so omit it',
    );
  } else if (info?.type !== undefined && info.type !== 'sock' && info.type !== 'socket') {
    r.diag.warn(...at, `${action} tracks the returned socket, but returnArg is ${info.type}`);
  }
  return action;
}

export function readTracepoint(
  ctx: PolicyContext,
  node: YamlValue | null,
  path: string,
  offset: number,
): TracepointHook | undefined {
  const { r } = ctx;
  const view = r.map(node, path, offset);
  if (!view) {
    if (node === null) r.diag.error(offset, path, 'expected a tracepoint mapping (subsystem, event), got null');
    return undefined;
  }
  r.checkKeys(view, TRACEPOINT_FIELDS);
  const subsystem = r.str(view, 'subsystem', true);
  const event = r.str(view, 'event', true);
  for (const [key, value] of [
    ['subsystem', subsystem],
    ['event', event],
  ] as const) {
    if (value !== undefined && !/^[A-Za-z0-9_]+$/.test(value)) {
      r.diag.error(
        r.where(view, key),
        join(path, key),
        `${quote(value)} is not a tracepoint ${key} name (letters, digits and _)`,
      );
    }
  }
  const read = readArgsAndData(ctx, view, 'tracepoint', false);
  const info = hookInfo('tracepoint', path, read, false);
  const hook: TracepointHook = {
    kind: 'tracepoint',
    subsystem: subsystem ?? '',
    event: event ?? '',
    raw: r.bool(view, 'raw') ?? false,
    ...common(ctx, view, info, read.args),
  };
  return subsystem === undefined || event === undefined ? undefined : hook;
}

function int64List(ctx: PolicyContext, view: MapView, key: string): bigint[] {
  return ctx.r.list(view, key, (node, path, offset) =>
    ctx.r.intValue(node, path, offset, { min: 0n, max: 2n ** 64n - 1n }),
  );
}

export function readUprobe(
  ctx: PolicyContext,
  node: YamlValue | null,
  path: string,
  offset: number,
): UprobeHook | undefined {
  const { r } = ctx;
  const view = r.map(node, path, offset);
  if (!view) {
    if (node === null) r.diag.error(offset, path, 'expected a uprobe mapping (path, symbols), got null');
    return undefined;
  }
  r.checkKeys(view, UPROBE_FIELDS);
  const binary = r.str(view, 'path', true);
  if (binary !== undefined && !binary.startsWith('/')) {
    r.diag.warn(r.where(view, 'path'), join(path, 'path'), `${quote(binary)} is not an absolute path`);
  }
  const symbols = r.strList(view, 'symbols');
  const offsets = int64List(ctx, view, 'offsets');
  const addrs = int64List(ctx, view, 'addrs');
  const refCtrOffsets = int64List(ctx, view, 'refCtrOffsets');
  const targets = (['symbols', 'offsets', 'addrs'] as const).filter((k) => view.fields.get(k)?.node);
  if (targets.length > 1) {
    r.diag.error(
      r.where(view, targets[1] ?? 'path'),
      join(path, targets[1] ?? 'path'),
      'a uprobe takes at most one of symbols, offsets and addrs',
    );
  } else if (targets.length === 0 && binary !== undefined) {
    r.missing(view, 'symbols', 'is required: a uprobe needs symbols, offsets or addrs');
  }
  const probed = symbols.length || offsets.length || addrs.length;
  if (refCtrOffsets.length > 0 && refCtrOffsets.length !== probed) {
    r.diag.error(
      r.where(view, 'refCtrOffsets'),
      join(path, 'refCtrOffsets'),
      `refCtrOffsets has ${refCtrOffsets.length} entries but the uprobe probes ${probed} locations; they must match one to one`,
    );
  }
  const ret = r.bool(view, 'return') ?? false;
  const read = readArgsAndData(ctx, view, 'uprobe', true);
  const retArg = returnArg(ctx, view, 'uprobe', ret);
  const ignore = r.sub(view, 'ignore', ['digestVerificationFailure']);
  const info = hookInfo('uprobe', path, read, ret, retArg.info);
  const hook: UprobeHook = {
    kind: 'uprobe',
    path: binary ?? '',
    symbols,
    offsets,
    addrs,
    refCtrOffsets,
    return: ret,
    data: read.data,
    binaryDigests: r.strList(view, 'binaryDigests'),
    ignore: { digestVerificationFailure: (ignore && r.bool(ignore, 'digestVerificationFailure')) ?? false },
    ...common(ctx, view, info, read.args),
  };
  if (retArg.arg) hook.returnArg = retArg.arg;
  const btfPath = r.str(view, 'btfPath');
  if (btfPath) hook.btfPath = btfPath;
  return binary === undefined ? undefined : hook;
}

export function readLsmHook(
  ctx: PolicyContext,
  node: YamlValue | null,
  path: string,
  offset: number,
): LsmHook | undefined {
  const { r } = ctx;
  const view = r.map(node, path, offset);
  if (!view) {
    if (node === null) r.diag.error(offset, path, 'expected an LSM hook mapping (hook: ...), got null');
    return undefined;
  }
  r.checkKeys(view, LSM_FIELDS);
  const name = r.str(view, 'hook', true);
  if (name !== undefined && !/^[a-z_][a-z0-9_]*$/.test(name)) {
    r.diag.error(
      r.where(view, 'hook'),
      join(path, 'hook'),
      `${quote(name)} is not an LSM hook name (e.g. "file_open", "bprm_check_security")`,
    );
  } else if (name?.startsWith('bpf_lsm_')) {
    r.diag.warn(
      r.where(view, 'hook'),
      join(path, 'hook'),
      `write the hook without the bpf_lsm_ prefix (${quote(name.slice(8))})`,
    );
  }
  const read = readArgsAndData(ctx, view, 'lsm', false);
  const info = hookInfo('lsm', path, read, false);
  const hook: LsmHook = { kind: 'lsm', hook: name ?? '', ...common(ctx, view, info, read.args) };
  return name === undefined ? undefined : hook;
}

export function readUsdt(
  ctx: PolicyContext,
  node: YamlValue | null,
  path: string,
  offset: number,
): UsdtHook | undefined {
  const { r } = ctx;
  const view = r.map(node, path, offset);
  if (!view) {
    if (node === null) r.diag.error(offset, path, 'expected a USDT mapping (path, provider, name), got null');
    return undefined;
  }
  r.checkKeys(view, USDT_FIELDS);
  const binary = r.str(view, 'path', true);
  const provider = r.str(view, 'provider', true);
  const name = r.str(view, 'name', true);
  const read = readArgsAndData(ctx, view, 'usdt', false);
  const info = hookInfo('usdt', path, read, false);
  const hook: UsdtHook = {
    kind: 'usdt',
    path: binary ?? '',
    provider: provider ?? '',
    name: name ?? '',
    ...common(ctx, view, info, read.args),
  };
  const btfPath = r.str(view, 'btfPath');
  if (btfPath) hook.btfPath = btfPath;
  return binary === undefined || provider === undefined || name === undefined ? undefined : hook;
}
