import type { Action } from '../model';
import { join, type MapView, type YamlValue } from '../reader';
import { hint, quote, refHint } from '../suggest';
import { ACTIONS, DEPRECATED_ACTIONS, RATE_LIMIT_SCOPES, type ActionName, type RateLimitScope } from '../tables';
import { isFqdn, isHttpUrl, parseRateLimit } from '../values';
import type { HookInfo, PolicyContext } from './context';

const ACTION_FIELDS = [
  'action',
  'argError',
  'argFd',
  'argName',
  'argFqdn',
  'argIndex',
  'argNewAddr',
  'argNewOffset',
  'argNewSymbol',
  'argRegs',
  'argSig',
  'argSock',
  'argUrl',
  'argValue',
  'imaHash',
  'kernelStackTrace',
  'rateLimit',
  'rateLimitScope',
  'stateName',
  'stateNewValue',
  'stateUpdateOperator',
  'userStackTrace',
] as const;

/** The fields each action reads; anything else set on it is ignored by Tetragon. */
const USES: Readonly<Record<ActionName, readonly string[]>> = {
  Post: ['rateLimit', 'rateLimitScope', 'kernelStackTrace', 'userStackTrace', 'imaHash'],
  NoPost: [],
  Sigkill: [],
  Signal: ['argSig'],
  Override: ['argError', 'argRegs', 'argNewSymbol', 'argNewAddr', 'argNewOffset'],
  GetUrl: ['argUrl'],
  DnsLookup: ['argFqdn'],
  TrackSock: ['argSock'],
  UntrackSock: ['argSock'],
  NotifyEnforcer: ['argError', 'argSig'],
  CleanupEnforcerNotification: [],
  Set: ['argIndex', 'argValue'],
  UpdateState: ['stateName', 'stateUpdateOperator', 'stateNewValue'],
  FollowFD: ['argFd', 'argName'],
  UnfollowFD: ['argFd', 'argName'],
  CopyFD: ['argFd', 'argName'],
};

/** Tetragon's isValidLsmSelectors: what an LSM hook may do. */
const LSM_ACTIONS: readonly ActionName[] = ['Post', 'NoPost', 'Sigkill', 'Signal', 'Override'];
const ALL_ACTIONS: readonly string[] = [...ACTIONS, ...DEPRECATED_ACTIONS];
const INT32 = { min: -(2n ** 31n), max: 2n ** 31n - 1n };

function where(view: MapView, key: string): number {
  return view.fields.get(key)?.offset ?? view.offset;
}

/** One entry of matchActions or matchReturnActions. */
export function readAction(
  ctx: PolicyContext,
  hook: HookInfo,
  node: YamlValue | null,
  path: string,
  offset: number,
): Action | undefined {
  const { r } = ctx;
  const view = r.map(node, path, offset);
  if (!view) {
    if (node === null) r.diag.error(offset, path, 'expected an action mapping (action: ...), got null');
    return undefined;
  }
  r.checkKeys(view, ACTION_FIELDS);
  const text = r.str(view, 'action', true);
  if (text === undefined) return undefined;
  if (!ALL_ACTIONS.includes(text)) {
    r.diag.error(where(view, 'action'), join(path, 'action'), `unknown action ${quote(text)} ${hint(text, ACTIONS)}`);
    return undefined;
  }
  const name = text as ActionName;
  const at = (key: string): [number, string] => [where(view, key), join(path, key)];
  if ((DEPRECATED_ACTIONS as readonly string[]).includes(name)) {
    r.diag.warn(...at('action'), `${name} is deprecated and was removed in Tetragon 1.5; it still parses here`);
  }
  if (hook.kind === 'lsm' && !LSM_ACTIONS.includes(name)) {
    r.diag.error(...at('action'), `action ${name} is not supported on lsmhooks (allowed: ${LSM_ACTIONS.join(', ')})`);
  }
  for (const field of view.fields.values()) {
    if (field.key === 'action' || USES[name].includes(field.key) || field.node === null) continue;
    if (field.key === 'rateLimit') {
      r.diag.error(field.offset, field.path, `rateLimit only applies to the Post action, not ${name}`);
    } else {
      r.diag.warn(field.offset, field.path, `${field.key} is ignored by the ${name} action`);
    }
  }
  return build(ctx, hook, view, path, name);
}

function build(ctx: PolicyContext, hook: HookInfo, view: MapView, path: string, name: ActionName): Action | undefined {
  const { r } = ctx;
  const at = (key: string): [number, string] => [where(view, key), join(path, key)];
  switch (name) {
    case 'Post':
      return post(ctx, hook, view, path);
    case 'NoPost':
    case 'Sigkill':
    case 'CleanupEnforcerNotification':
      return { action: name };
    case 'Signal': {
      const argSig = r.int(view, 'argSig', { required: true, min: 1n, max: 64n });
      return argSig === undefined ? undefined : { action: 'Signal', argSig };
    }
    case 'Override':
      return override(ctx, hook, view, path);
    case 'GetUrl': {
      const argUrl = r.str(view, 'argUrl', true);
      if (argUrl === undefined) return undefined;
      if (!isHttpUrl(argUrl)) r.diag.error(...at('argUrl'), `${quote(argUrl)} is not an http(s) URL`);
      return { action: 'GetUrl', argUrl };
    }
    case 'DnsLookup': {
      const argFqdn = r.str(view, 'argFqdn', true);
      if (argFqdn === undefined) return undefined;
      if (!isFqdn(argFqdn)) r.diag.error(...at('argFqdn'), `${quote(argFqdn)} is not a fully qualified domain name`);
      return { action: 'DnsLookup', argFqdn };
    }
    case 'TrackSock':
    case 'UntrackSock': {
      const argSock = r.int(view, 'argSock', { min: 0n, max: INT32.max }) ?? 0;
      if (hook.argsKnown) {
        const arg = hook.args.find((a) => a.index === argSock) ?? hook.args.find((a) => a.position === argSock);
        if (!arg || (arg.type !== undefined && arg.type !== 'sock' && arg.type !== 'socket')) {
          r.diag.warn(...at('argSock'), `argSock ${argSock} should name a declared sock argument`);
        }
      }
      return { action: name, argSock };
    }
    case 'NotifyEnforcer': {
      ctx.notifyEnforcerUsed = true;
      if (ctx.enforcers === 0) {
        r.diag.error(
          ...at('action'),
          'NotifyEnforcer needs an enforcer: add spec.enforcers with the calls to enforce on',
        );
      }
      const argError = r.int(view, 'argError', INT32);
      const argSig = r.int(view, 'argSig', { min: 1n, max: 64n });
      if (
        argError === undefined &&
        argSig === undefined &&
        !view.fields.has('argError') &&
        !view.fields.has('argSig')
      ) {
        r.diag.warn(...at('action'), 'NotifyEnforcer without argError or argSig makes the enforcer do nothing');
      }
      const action: Action = { action: 'NotifyEnforcer' };
      if (argError !== undefined) action.argError = argError;
      if (argSig !== undefined) action.argSig = argSig;
      return action;
    }
    case 'Set': {
      if (hook.kind !== 'usdt' && hook.kind !== 'uprobe') {
        r.diag.warn(
          ...at('action'),
          `the Set action writes USDT/uprobe arguments; it has no effect on ${hook.kind} hooks`,
        );
      }
      const argIndex = r.int(view, 'argIndex', { required: true, min: 0n, max: INT32.max });
      const argValue = r.int64(view, 'argValue', { required: true, min: -(2n ** 63n), max: 2n ** 63n - 1n });
      return argIndex === undefined || argValue === undefined ? undefined : { action: 'Set', argIndex, argValue };
    }
    case 'UpdateState':
      return updateState(ctx, view, path);
    case 'FollowFD':
    case 'UnfollowFD':
    case 'CopyFD': {
      const argFd = r.int(view, 'argFd', { min: 0n, max: INT32.max }) ?? 0;
      const argName = r.int(view, 'argName', { min: 0n, max: INT32.max }) ?? 0;
      return { action: name, argFd, argName };
    }
  }
}

function post(ctx: PolicyContext, hook: HookInfo, view: MapView, path: string): Action {
  const { r } = ctx;
  const at = (key: string): [number, string] => [where(view, key), join(path, key)];
  const action: Extract<Action, { action: 'Post' }> = {
    action: 'Post',
    rateLimitScope: 'thread',
    kernelStackTrace: r.bool(view, 'kernelStackTrace') ?? false,
    userStackTrace: r.bool(view, 'userStackTrace') ?? false,
    imaHash: r.bool(view, 'imaHash') ?? false,
  };
  const rateLimit = r.str(view, 'rateLimit');
  if (rateLimit !== undefined && rateLimit !== '') {
    const ms = parseRateLimit(rateLimit);
    if (ms === undefined) {
      r.diag.error(
        ...at('rateLimit'),
        `${quote(rateLimit)} is not a rate limit (a number of seconds, optionally with an s, m or h suffix, e.g. "30s", "5m", "1h")`,
      );
    } else {
      action.rateLimit = { raw: rateLimit, milliseconds: ms };
    }
  }
  const scope = r.str(view, 'rateLimitScope');
  if (scope !== undefined && scope !== '') {
    if (!(RATE_LIMIT_SCOPES as readonly string[]).includes(scope)) {
      r.diag.error(...at('rateLimitScope'), `unknown rateLimitScope ${quote(scope)} ${hint(scope, RATE_LIMIT_SCOPES)}`);
    } else {
      action.rateLimitScope = scope as RateLimitScope;
      if (rateLimit === undefined || rateLimit === '') {
        r.diag.warn(...at('rateLimitScope'), 'rateLimitScope has no effect without rateLimit');
      }
    }
  }
  if (hook.kind === 'lsm' && (action.kernelStackTrace || action.userStackTrace)) {
    const key = action.kernelStackTrace ? 'kernelStackTrace' : 'userStackTrace';
    r.diag.error(...at(key), 'stack traces are not supported on lsmhooks');
  }
  if (action.imaHash && hook.kind !== 'lsm') {
    r.diag.warn(...at('imaHash'), 'imaHash only works on lsmhooks (file and bprm hooks)');
  }
  return action;
}

function override(ctx: PolicyContext, hook: HookInfo, view: MapView, path: string): Action | undefined {
  const { r } = ctx;
  const at = (key: string): [number, string] => [where(view, key), join(path, key)];
  if (hook.kind === 'tracepoint' || hook.kind === 'usdt') {
    r.diag.error(
      ...at('action'),
      `Override is not supported on ${hook.kind === 'usdt' ? 'usdts' : 'tracepoints'} (kprobes, fentries, lsmhooks and uprobes only)`,
    );
  }
  const action: Extract<Action, { action: 'Override' }> = { action: 'Override', argRegs: r.strList(view, 'argRegs') };
  const argError = r.int(view, 'argError', INT32);
  if (argError !== undefined) action.argError = argError;
  const argNewSymbol = r.str(view, 'argNewSymbol');
  if (argNewSymbol) action.argNewSymbol = argNewSymbol;
  const argNewAddr = r.int64(view, 'argNewAddr', { min: -(2n ** 63n), max: 2n ** 63n - 1n });
  if (argNewAddr !== undefined) action.argNewAddr = argNewAddr;
  const argNewOffset = r.int64(view, 'argNewOffset', { min: -(2n ** 63n), max: 2n ** 63n - 1n });
  if (argNewOffset !== undefined) action.argNewOffset = argNewOffset;
  const uprobeOnly = (['argRegs', 'argNewSymbol', 'argNewAddr', 'argNewOffset'] as const).filter((k) =>
    k === 'argRegs' ? action.argRegs.length > 0 : action[k] !== undefined,
  );
  if (hook.kind !== 'uprobe') {
    for (const key of uprobeOnly) r.diag.error(...at(key), `${key} is only supported on uprobes`);
  }
  const targets = uprobeOnly.filter((k) => k !== 'argRegs');
  if (targets.length > 1) {
    r.diag.error(
      ...at(targets[1] ?? 'action'),
      'Override takes at most one of argNewSymbol, argNewAddr and argNewOffset',
    );
  }
  if (argError === undefined && uprobeOnly.length === 0 && !view.fields.has('argError')) {
    r.missing(view, 'argError', 'is required by Override (the return value to inject, e.g. -1 for EPERM)');
  } else if (argError !== undefined && argError > 0 && hook.kind !== 'uprobe') {
    r.diag.warn(...at('argError'), `argError ${argError} is positive; overrides usually return a negative errno`);
  }
  return action;
}

function updateState(ctx: PolicyContext, view: MapView, path: string): Action | undefined {
  const { r } = ctx;
  const at = (key: string): [number, string] => [where(view, key), join(path, key)];
  const stateName = r.str(view, 'stateName', true);
  if (stateName !== undefined && !ctx.states.has(stateName)) {
    r.diag.error(
      ...at('stateName'),
      `state ${quote(stateName)} is not defined in spec.state ${refHint(stateName, [...ctx.states], 'spec.state is empty')}`,
    );
  }
  const op = r.str(view, 'stateUpdateOperator', true);
  if (op !== undefined && op !== 'Set' && op !== 'Delete') {
    r.diag.error(
      ...at('stateUpdateOperator'),
      `unknown stateUpdateOperator ${quote(op)} ${hint(op, ['Set', 'Delete'])}`,
    );
    return undefined;
  }
  const value = r.str(view, 'stateNewValue');
  if (op === 'Set' && value === undefined)
    r.missing(view, 'stateNewValue', 'is required when stateUpdateOperator is Set');
  if (op === 'Delete' && value !== undefined) r.diag.warn(...at('stateNewValue'), 'stateNewValue is ignored by Delete');
  if (stateName === undefined || op === undefined) return undefined;
  const action: Extract<Action, { action: 'UpdateState' }> = {
    action: 'UpdateState',
    stateName,
    stateUpdateOperator: op,
  };
  if (op === 'Set' && value !== undefined) action.stateNewValue = value;
  return action;
}
