import type { PolicyKind, PolicyMetadata, TracingPolicy } from '../model';
import { join, type MapView, type Reader } from '../reader';
import { closest, hint, quote } from '../suggest';
import { API_VERSION, OBJECT_META_FIELDS, POLICY_KINDS } from '../tables';
import type { PolicyContext } from './context';
import { dnsLabelProblem, dnsSubdomainProblem, readStringMap } from './labels';
import { readSpec } from './spec';

const TOP_FIELDS = ['apiVersion', 'kind', 'metadata', 'spec'] as const;

function metadata(ctx: PolicyContext, root: MapView): PolicyMetadata | undefined {
  const { r } = ctx;
  const field = root.fields.get('metadata');
  if (!field || field.node === null) {
    r.missing(root, 'metadata', 'is required (with at least a name)');
    return undefined;
  }
  const view = r.map(field.node, field.path, field.offset);
  if (!view) return undefined;
  r.checkKeys(view, OBJECT_META_FIELDS);
  const name = r.str(view, 'name');
  if (name === undefined) {
    r.missing(view, 'name');
  } else {
    const problem = dnsSubdomainProblem(name);
    if (problem) r.diag.error(r.where(view, 'name'), join(view.path, 'name'), `name ${quote(name)} ${problem}`);
  }
  const meta: PolicyMetadata = {
    name: name ?? '',
    labels: readStringMap(ctx, view.fields.get('labels'), true),
    annotations: readStringMap(ctx, view.fields.get('annotations'), false),
  };
  const namespace = r.str(view, 'namespace');
  if (ctx.kind === 'TracingPolicy') {
    if (namespace) {
      r.diag.error(
        r.where(view, 'namespace'),
        join(view.path, 'namespace'),
        'TracingPolicy is cluster-scoped and takes no namespace; use kind TracingPolicyNamespaced',
      );
    }
  } else if (!namespace) {
    r.diag.warn(
      view.offset,
      join(view.path, 'namespace'),
      'no namespace: kubectl uses the current context namespace; Tetragon loading the file directly requires one',
    );
  } else {
    const problem = dnsLabelProblem(namespace);
    if (problem)
      r.diag.error(
        r.where(view, 'namespace'),
        join(view.path, 'namespace'),
        `namespace ${quote(namespace)} ${problem}`,
      );
    else meta.namespace = namespace;
  }
  return meta;
}

/**
 * The kind named by the document. A misspelled tracing policy kind is reported and the document
 * still checked as a TracingPolicy; any other kind (a Pod, say) is reported and nothing else is.
 */
function kindOf(r: Reader, root: MapView): PolicyKind | 'other' {
  const kind = r.str(root, 'kind', true);
  if (kind === undefined) return 'TracingPolicy';
  if ((POLICY_KINDS as readonly string[]).includes(kind)) return kind as PolicyKind;
  r.diag.error(r.where(root, 'kind'), 'kind', `unknown kind ${quote(kind)} ${hint(kind, POLICY_KINDS)}`);
  return closest(kind, POLICY_KINDS) ? 'TracingPolicy' : 'other';
}

/**
 * Reads and checks one TracingPolicy document. Returns the normalized policy, which is only
 * meaningful when no error was reported for the document.
 */
export function readPolicy(
  r: Reader,
  root: MapView,
  variables: Readonly<Record<string, string>> = {},
): TracingPolicy | undefined {
  r.checkKeys(root, TOP_FIELDS);
  const apiVersion = r.str(root, 'apiVersion', true);
  if (apiVersion !== undefined && apiVersion !== API_VERSION) {
    r.diag.error(
      r.where(root, 'apiVersion'),
      'apiVersion',
      `unsupported apiVersion ${quote(apiVersion)} (expected "${API_VERSION}")`,
    );
  }
  const kind = kindOf(r, root);
  if (kind === 'other') return undefined;
  const ctx: PolicyContext = {
    r,
    kind,
    lists: new Map(),
    states: new Set(),
    enforcers: 0,
    macros: new Map(),
    usedMacros: new Set(),
    notifyEnforcerUsed: false,
    variables,
  };
  const meta = metadata(ctx, root);
  const specField = root.fields.get('spec');
  if (!specField || specField.node === null) {
    r.missing(root, 'spec', 'is required (the hooks to attach)');
    return undefined;
  }
  const specView = r.map(specField.node, specField.path, specField.offset);
  if (!specView) return undefined;
  const spec = readSpec(ctx, specView);
  if (!meta) return undefined;
  return { apiVersion: API_VERSION, kind, metadata: meta, spec };
}
