import { randomUUID } from 'node:crypto';
import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Req, Res, UseFilters } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { ServerResponse } from 'node:http';
import type { PolicyAction, PolicyCommand, PolicyMode } from '@vigil/contracts';
import type { ConfigOf } from '@vigil/config';
import { VIGIL_CONFIG } from '@vigil/service-kit';
import { authorize, mayAccess, TokenAuth, type Principal } from '../domain/auth';
import { badRequest, problem, RequestError, type Problem } from '../domain/errors';
import { invalidPolicyId, namespaceOfId, policyId } from '../domain/policy-id';
import { validate } from '../domain/policy-state';
import type { policyEngineSchema } from '../policy-engine.config';
import { PolicyLogProvider } from '../policy-log.provider';
import { mediaType, parseMode, readApplyBody, unsupportedType, YAML_TYPES, type HttpRequest } from './request-body';
import { RequestErrorFilter } from './request-error.filter';
import { detailView, summaryView } from './views';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const ERROR = {
  description: 'error: { statusCode, error, message, problems?: [{ path, reason, line?, column?, text }] }',
};
const APPLY_BODY = {
  description:
    'The TracingPolicy as YAML (application/yaml; ?enabled=true|false&mode=enforce|monitor), or JSON { yaml, enabled?, mode?, nodeSelector? }',
  schema: {
    type: 'object',
    required: ['yaml'],
    properties: {
      yaml: { type: 'string' },
      enabled: { type: 'boolean' },
      mode: { type: 'string', enum: ['enforce', 'monitor'] },
      nodeSelector: {
        type: 'object',
        properties: { matchLabels: { type: 'object' }, matchExpressions: { type: 'array', items: { type: 'object' } } },
      },
    },
  },
};
const CHANGE = {
  schema: {
    type: 'object',
    properties: { changed: { type: 'boolean' }, policy: ref('PolicyRecord'), audit: ref('AuditEntry') },
  },
};

/**
 * The policy management API. Every call authenticates (bearer token) and is checked against the
 * token's scope; every change goes through the policy log (a record on vigil.policies).
 */
@ApiTags('policies')
@ApiBearerAuth()
@ApiResponse({ status: 401, ...ERROR })
@ApiResponse({ status: 403, ...ERROR })
@UseFilters(RequestErrorFilter)
@Controller('policies')
export class PoliciesController {
  private readonly maxBodyBytes: number;

  constructor(
    private readonly logProvider: PolicyLogProvider,
    private readonly auth: TokenAuth,
    @Inject(VIGIL_CONFIG) config: ConfigOf<typeof policyEngineSchema>,
  ) {
    this.maxBodyBytes = config.policyEngine.maxBodyBytes;
  }

  private get log() {
    return this.logProvider.log;
  }

  @Get()
  @ApiOperation({ summary: 'List the policies the token may see (without YAML and audit)' })
  @ApiResponse({
    status: 200,
    schema: { type: 'object', properties: { policies: { type: 'array', items: ref('PolicyRecord') } } },
  })
  list(@Req() req: HttpRequest) {
    const who = this.caller(req);
    this.requireReady();
    const policies = this.log.state
      .list()
      .filter((r) => mayAccess(who, { kind: r.kind, namespace: r.namespace }))
      .map(summaryView);
    return { policies };
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a policy (409 when its id exists: use PUT to update)' })
  @ApiBody(APPLY_BODY)
  @ApiResponse({ status: 201, ...CHANGE })
  @ApiResponse({ status: 400, ...ERROR })
  @ApiResponse({ status: 409, ...ERROR })
  async create(@Req() req: HttpRequest) {
    const who = this.caller(req);
    const body = await readApplyBody(req, this.maxBodyBytes);
    const policy = validate(body.yaml, body.file);
    authorize(who, { kind: policy.kind, namespace: policy.metadata.namespace ?? '' });
    const id = policyId(policy.kind, policy.metadata.name, policy.metadata.namespace);
    if (this.log.state.get(id)) throw new RequestError(409, `policy "${id}" exists; PUT /policies/${id} updates it`);
    return this.apply(who, id, body);
  }

  @Put(':id')
  @ApiOperation({ summary: 'Create or update a policy; the id must be the policy’s (<name> or <namespace>:<name>)' })
  @ApiParam({ name: 'id', example: 'team-a:block-nc' })
  @ApiBody(APPLY_BODY)
  @ApiResponse({ status: 200, description: 'updated, or unchanged (changed: false)', ...CHANGE })
  @ApiResponse({ status: 201, description: 'created', ...CHANGE })
  @ApiResponse({ status: 400, ...ERROR })
  async put(@Param('id') id: string, @Req() req: HttpRequest, @Res({ passthrough: true }) res: ServerResponse) {
    const who = this.caller(req);
    checkId(id);
    authorize(who, this.scopeOfId(id));
    const body = await readApplyBody(req, this.maxBodyBytes);
    const existed = this.log.state.get(id) !== undefined;
    const result = await this.apply(who, id, body);
    res.statusCode = existed ? 200 : 201;
    return result;
  }

  @Get(':id')
  @ApiOperation({ summary: 'A policy with its YAML and its versions (newest first)' })
  @ApiResponse({ status: 200, schema: ref('PolicyRecord') })
  @ApiResponse({ status: 404, ...ERROR })
  get(@Param('id') id: string, @Req() req: HttpRequest) {
    return detailView(this.visible(id, req));
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete a policy (a tombstone on vigil.policies: every node unloads it)' })
  @ApiResponse({ status: 200, ...CHANGE })
  @ApiResponse({ status: 404, ...ERROR })
  async remove(@Param('id') id: string, @Req() req: HttpRequest) {
    const who = this.caller(req);
    this.visible(id, req, who);
    const change = await this.log.execute(this.command(who, 'POLICY_ACTION_DELETE', id));
    return { changed: true, audit: change?.audit };
  }

  @Post(':id/enable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Enable (attach on every selected node)' })
  @ApiResponse({ status: 200, ...CHANGE })
  enable(@Param('id') id: string, @Req() req: HttpRequest) {
    return this.simple(id, req, 'POLICY_ACTION_ENABLE');
  }

  @Post(':id/disable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Disable (detach everywhere; the policy stays)' })
  @ApiResponse({ status: 200, ...CHANGE })
  disable(@Param('id') id: string, @Req() req: HttpRequest) {
    return this.simple(id, req, 'POLICY_ACTION_DISABLE');
  }

  @Put(':id/mode')
  @ApiOperation({ summary: 'Set the mode: enforce (actions carried out) or monitor (counted only)' })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['mode'],
      properties: { mode: { type: 'string', enum: ['enforce', 'monitor'] } },
    },
  })
  @ApiResponse({ status: 200, ...CHANGE })
  @ApiResponse({ status: 400, ...ERROR })
  setMode(@Param('id') id: string, @Req() req: HttpRequest) {
    const type = mediaType(req);
    if (type !== 'application/json') throw unsupportedType(type);
    const body = req.body as Record<string, unknown> | undefined;
    const problems: Problem[] = [];
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw badRequest('invalid request', [
        problem('(body)', 'expected a JSON object { "mode": "enforce" | "monitor" }'),
      ]);
    for (const key of Object.keys(body))
      if (key !== 'mode') problems.push(problem(key, 'unknown field (expected mode)'));
    const mode = parseMode(body['mode'], 'mode', problems);
    if (body['mode'] === undefined) problems.push(problem('mode', 'required: "enforce" or "monitor"'));
    if (problems.length > 0) throw badRequest('invalid request', problems);
    return this.simple(id, req, 'POLICY_ACTION_SET_MODE', mode);
  }

  @Get(':id/audit')
  @ApiOperation({ summary: 'Who changed the policy, when, what, and the version before (oldest first)' })
  @ApiResponse({
    status: 200,
    schema: {
      type: 'object',
      properties: { entries: { type: 'array', items: ref('AuditEntry') }, dropped: { type: 'integer' } },
    },
  })
  audit(@Param('id') id: string, @Req() req: HttpRequest) {
    const who = this.caller(req);
    checkId(id);
    authorize(who, this.scopeOfId(id));
    this.requireReady();
    const trail = this.log.state.audit(id);
    if (!trail) throw new RequestError(404, `no policy "${id}"`);
    return trail;
  }

  @Get(':id/status')
  @ApiOperation({ summary: 'Per node: state, error and version of the policy, as reported on vigil.policy-status' })
  @ApiResponse({
    status: 200,
    schema: { type: 'object', properties: { nodes: { type: 'array', items: ref('PolicyStatus') } } },
  })
  status(@Param('id') id: string, @Req() req: HttpRequest) {
    const record = this.visible(id, req);
    const nodes = this.log.statuses.of(id);
    return {
      version: record.version,
      nodes,
      summary: {
        nodes: nodes.length,
        current: nodes.filter((n) => n.version === record.version).length,
        loaded: nodes.filter((n) => n.state === 'POLICY_STATE_LOADED').length,
        failed: nodes.filter((n) => n.state === 'POLICY_STATE_ERROR' || n.state === 'POLICY_STATE_UNSUPPORTED').length,
      },
    };
  }

  private async apply(who: Principal, id: string, body: Awaited<ReturnType<typeof readApplyBody>>) {
    const command: PolicyCommand = {
      ...this.command(who, 'POLICY_ACTION_APPLY', id, body.mode),
      yaml: body.yaml,
      ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
      ...(body.nodeSelector ? { node_selector: body.nodeSelector } : {}),
    };
    const change = await this.log.execute(command, body.file);
    const record = change?.record ?? this.log.state.get(id);
    return { changed: change !== undefined, policy: record && detailView(record), audit: change?.audit };
  }

  private async simple(id: string, req: HttpRequest, action: PolicyAction, mode?: PolicyMode) {
    const who = this.caller(req);
    this.visible(id, req, who);
    const change = await this.log.execute(this.command(who, action, id, mode));
    const record = this.log.state.get(id);
    return { changed: change !== undefined, policy: record && detailView(record), audit: change?.audit };
  }

  private command(
    who: Principal,
    action: PolicyAction,
    id: string,
    mode: PolicyMode = 'POLICY_MODE_UNSPECIFIED',
  ): PolicyCommand {
    return {
      command_id: randomUUID(),
      action,
      policy_id: id,
      yaml: '',
      mode,
      actor: who.subject,
      requested_at: new Date().toISOString(),
    };
  }

  private caller(req: HttpRequest): Principal {
    const header = req.headers.authorization;
    return this.auth.authenticate(Array.isArray(header) ? header[0] : header);
  }

  private requireReady(): void {
    if (!this.log.ready)
      throw new RequestError(503, 'the policy engine is still replaying vigil.policies; retry shortly');
  }

  /** Scope from the id alone, so a request outside the token's scope learns nothing about the policy. */
  private scopeOfId(id: string) {
    const namespace = namespaceOfId(id);
    return { kind: namespace ? 'TracingPolicyNamespaced' : 'TracingPolicy', namespace };
  }

  private visible(id: string, req: HttpRequest, who = this.caller(req)) {
    checkId(id);
    authorize(who, this.scopeOfId(id));
    this.requireReady();
    const record = this.log.state.get(id);
    if (!record) throw new RequestError(404, `no policy "${id}"`);
    return record;
  }
}

function checkId(id: string): void {
  const why = invalidPolicyId(id);
  if (why) throw badRequest(`invalid policy id`, [problem('id', why)]);
}

export { YAML_TYPES };
