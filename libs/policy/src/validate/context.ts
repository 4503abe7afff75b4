import type { ArgType, HookKind, ListSpec } from '../model';
import type { Field, Reader } from '../reader';

/** A selectorsMacros entry, read once and merged into every selector that names it. */
export interface MacroDraft {
  name: string;
  draft: SelectorDraft;
}

/** What the whole policy declares that hooks and selectors refer to. */
export interface PolicyContext {
  r: Reader;
  kind: 'TracingPolicy' | 'TracingPolicyNamespaced';
  lists: Map<string, ListSpec>;
  states: Set<string>;
  enforcers: number;
  macros: Map<string, MacroDraft>;
  usedMacros: Set<string>;
  /** Set once a NotifyEnforcer action is seen, to flag enforcers nothing notifies. */
  notifyEnforcerUsed: boolean;
  /** Values for "${NAME}" placeholders in filter values (ParseOptions.variables). */
  variables: Readonly<Record<string, string>>;
}

/** An argument as a selector sees it. */
export interface ArgInfo {
  index: number;
  /** Undefined when the declared type is "auto" or invalid: value checks that need the type are skipped. */
  type: ArgType | undefined;
  position: number;
}

/** The hook a selector belongs to. */
export interface HookInfo {
  kind: HookKind;
  path: string;
  args: ArgInfo[];
  data: ArgInfo[];
  returnArg?: ArgInfo;
  hasReturn: boolean;
  /** False while checking a macro nobody uses: there is no hook to resolve arg indexes against. */
  argsKnown: boolean;
}

export const FILTER_FIELDS = [
  'matchArgs',
  'matchData',
  'matchReturnArgs',
  'matchPIDs',
  'matchBinaries',
  'matchParentBinaries',
  'matchNamespaces',
  'matchNamespaceChanges',
  'matchCapabilities',
  'matchCapabilityChanges',
  'matchCmdArgs',
  'matchStates',
  'matchUserCallers',
  'matchCEL',
  'matchWorkloads',
  'matchActions',
  'matchReturnActions',
] as const;
export type FilterField = (typeof FILTER_FIELDS)[number];
export const SELECTOR_FIELDS = ['label', 'macros', ...FILTER_FIELDS] as const;

/** A selector as written, before macros are merged and before its filters are checked against a hook. */
export interface SelectorDraft {
  path: string;
  offset: number;
  label?: string;
  macros: Array<{ name: string; offset: number; path: string }>;
  /** Only filters that are set (non-empty lists, non-null objects). */
  filters: Partial<Record<FilterField, Field>>;
}
