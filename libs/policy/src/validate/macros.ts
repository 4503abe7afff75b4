import { isMap, isSeq } from 'yaml';
import type { Field, YamlValue } from '../reader';
import { hint, quote } from '../suggest';
import { FILTER_FIELDS, SELECTOR_FIELDS, type FilterField, type PolicyContext, type SelectorDraft } from './context';

/** Reads a selector's own fields without judging its filters, which depend on the hook it lands in. */
export function draftSelector(
  ctx: PolicyContext,
  node: YamlValue | null,
  path: string,
  offset: number,
): SelectorDraft | undefined {
  const { r } = ctx;
  if (node === null) {
    // "- " with nothing: Tetragon reads an empty selector, which matches everything.
    return { path, offset, macros: [], filters: {} };
  }
  const view = r.map(node, path, offset);
  if (!view) return undefined;
  r.checkKeys(view, SELECTOR_FIELDS);
  const draft: SelectorDraft = { path, offset: view.offset, macros: [], filters: {} };
  draft.label = r.str(view, 'label');
  draft.macros = r.list(view, 'macros', (item, itemPath, itemOffset) => {
    const name = r.strValue(item, itemPath, itemOffset);
    return name === undefined ? undefined : { name, offset: itemOffset, path: itemPath };
  });
  for (const key of FILTER_FIELDS) {
    const field = view.fields.get(key);
    if (!field || field.node === null) continue;
    // An empty list sets nothing, so it never conflicts with a macro (Tetragon's useMacro).
    if (isSeq(field.node) && field.node.items.length === 0) continue;
    if (isMap(field.node) && field.node.items.length === 0 && key !== 'matchWorkloads') continue;
    draft.filters[key] = field;
  }
  return draft;
}

/** Reads spec.selectorsMacros: name -> selector. Macros may not use other macros (Tetragon rejects it). */
export function readMacros(ctx: PolicyContext, field: Field | undefined): void {
  if (!field || field.node === null) return;
  const view = ctx.r.map(field.node, field.path, field.offset);
  if (!view) return;
  for (const entry of view.fields.values()) {
    const draft = draftSelector(ctx, entry.node, entry.path, entry.offset);
    if (!draft) continue;
    for (const use of draft.macros) {
      ctx.r.diag.error(use.offset, use.path, `a macro cannot use other macros (${quote(use.name)})`);
    }
    ctx.macros.set(entry.key, { name: entry.key, draft: { ...draft, macros: [] } });
  }
}

/**
 * Merges the macros a selector names into it. As in Tetragon, each filter may come from one place
 * only (the selector or one macro); the selector's label wins over a macro's.
 */
export function expandMacros(ctx: PolicyContext, draft: SelectorDraft): SelectorDraft {
  const merged: SelectorDraft = { ...draft, filters: { ...draft.filters } };
  const owner: Partial<Record<FilterField, string>> = {};
  for (const key of Object.keys(draft.filters) as FilterField[]) owner[key] = 'the selector';
  for (const use of draft.macros) {
    const macro = ctx.macros.get(use.name);
    if (!macro) {
      const known = [...ctx.macros.keys()];
      const why =
        known.length === 0
          ? 'spec.selectorsMacros defines no macros'
          : `not in spec.selectorsMacros ${hint(use.name, known)}`;
      ctx.r.diag.error(use.offset, use.path, `undefined macro ${quote(use.name)}: ${why}`);
      continue;
    }
    ctx.usedMacros.add(use.name);
    if (merged.label === undefined && macro.draft.label !== undefined) merged.label = macro.draft.label;
    for (const key of Object.keys(macro.draft.filters) as FilterField[]) {
      const field = macro.draft.filters[key];
      if (!field) continue;
      const other = owner[key];
      if (other) {
        ctx.r.diag.error(
          use.offset,
          use.path,
          `macro ${quote(use.name)} sets ${key}, which ${other} already sets; a filter may come from one place only`,
        );
        continue;
      }
      owner[key] = `macro ${quote(use.name)}`;
      merged.filters[key] = field;
    }
  }
  return merged;
}
