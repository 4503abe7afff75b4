import type { AuditEntry, LabelSelector, PolicyMode, PolicyRecord } from '@vigil/contracts';
import { RpcError, RpcStatus, type CallContext, type ServiceHandlers } from '@vigil/rpc';
import type { TokenAuth } from '../domain/auth';
import { badRequest, problem, RequestError, type Problem } from '../domain/errors';
import { readNodeSelector } from '../domain/label-selector';
import type { PolicyApi } from '../domain/policy-api';
import { summaryView } from '../http/views';

type JsonObject = Record<string, unknown>;

const CODES: Record<RequestError['status'], RpcStatus> = {
  400: RpcStatus.INVALID_ARGUMENT,
  401: RpcStatus.UNAUTHENTICATED,
  403: RpcStatus.PERMISSION_DENIED,
  404: RpcStatus.NOT_FOUND,
  409: RpcStatus.ALREADY_EXISTS,
  413: RpcStatus.RESOURCE_EXHAUSTED,
  415: RpcStatus.INVALID_ARGUMENT,
  503: RpcStatus.UNAVAILABLE,
};

/**
 * vigil.v1.PolicyService: the REST API's operations (PolicyApi) over gRPC. The bearer token comes
 * from the "authorization" metadata; a refusal keeps its meaning as a status code, and its details
 * list every problem ("file:line:col: path: reason" for YAML).
 */
export function policyServiceHandlers(api: PolicyApi, auth: TokenAuth, maxYamlBytes: number): ServiceHandlers {
  const run =
    <T>(operation: (who: ReturnType<TokenAuth['authenticate']>, request: JsonObject) => T | Promise<T>) =>
    async (request: JsonObject, context: CallContext): Promise<JsonObject> => {
      try {
        const header = context.metadata.get('authorization')[0];
        const who = auth.authenticate(typeof header === 'string' ? header : undefined);
        return (await operation(who, request)) as JsonObject;
      } catch (e) {
        if (e instanceof RequestError) throw new RpcError(CODES[e.status], details(e));
        throw e;
      }
    };
  const id = (request: JsonObject): string => (typeof request['id'] === 'string' ? request['id'] : '');
  return {
    unary: {
      ListPolicies: run((who) => ({ policies: api.list(who).map(summaryView) })),
      GetPolicy: run((who, r) => api.get(who, id(r))),
      ApplyPolicy: run(async (who, r) => {
        const yaml = typeof r['yaml'] === 'string' ? r['yaml'] : '';
        if (Buffer.byteLength(yaml) > maxYamlBytes)
          throw new RequestError(
            413,
            `yaml: ${Buffer.byteLength(yaml)} bytes; the limit is ${maxYamlBytes} (policyEngine.maxBodyBytes)`,
          );
        const problems: Problem[] = [];
        const nodeSelector = r['node_selector']
          ? readNodeSelector(restSelector(r['node_selector'] as LabelSelector), 'node_selector', problems)
          : undefined;
        if (problems.length > 0) throw badRequest('invalid request', problems);
        const result = await api.apply(
          who,
          {
            yaml,
            file: 'ApplyPolicyRequest.yaml',
            mode: (r['mode'] as PolicyMode | undefined) ?? 'POLICY_MODE_UNSPECIFIED',
            ...(typeof r['enabled'] === 'boolean' ? { enabled: r['enabled'] } : {}),
            ...(nodeSelector ? { nodeSelector } : {}),
          },
          { createOnly: r['create_only'] === true },
        );
        return changeMessage(result);
      }),
      DeletePolicy: run(async (who, r) => changeMessage(await api.delete(who, id(r)))),
      EnablePolicy: run(async (who, r) => changeMessage(await api.change(who, id(r), 'POLICY_ACTION_ENABLE'))),
      DisablePolicy: run(async (who, r) => changeMessage(await api.change(who, id(r), 'POLICY_ACTION_DISABLE'))),
      SetPolicyMode: run(async (who, r) => {
        const mode = r['mode'];
        if (mode !== 'POLICY_MODE_ENFORCE' && mode !== 'POLICY_MODE_MONITOR')
          throw badRequest('invalid request', [
            problem('mode', 'required: POLICY_MODE_ENFORCE or POLICY_MODE_MONITOR'),
          ]);
        return changeMessage(await api.change(who, id(r), 'POLICY_ACTION_SET_MODE', mode));
      }),
      GetPolicyStatus: run((who, r) => {
        const { version, nodes, summary } = api.status(who, id(r));
        return {
          version,
          nodes,
          nodes_reporting: summary.nodes,
          current: summary.current,
          loaded: summary.loaded,
          failed: summary.failed,
        };
      }),
      GetPolicyAudit: run((who, r) => api.audit(who, id(r))),
    },
  };
}

function details(e: RequestError): string {
  return [e.message, ...e.problems.map((p) => p.text)].join('\n');
}

function changeMessage(result: { changed: boolean; policy?: PolicyRecord; audit?: AuditEntry }): JsonObject {
  return {
    changed: result.changed,
    ...(result.policy ? { policy: result.policy } : {}),
    ...(result.audit ? { audit: result.audit } : {}),
  };
}

/** The gRPC LabelSelector in the REST API's spelling, so one reader checks both. */
function restSelector(s: LabelSelector): unknown {
  return {
    ...(s.match_labels && Object.keys(s.match_labels).length ? { matchLabels: s.match_labels } : {}),
    ...(s.match_expressions?.length ? { matchExpressions: s.match_expressions } : {}),
  };
}
