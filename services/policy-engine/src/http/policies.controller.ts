import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Req, Res, UseFilters } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { ServerResponse } from 'node:http';
import type { AuditEntry, PolicyRecord } from '@vigil/contracts';
import type { ConfigOf } from '@vigil/config';
import { VIGIL_CONFIG } from '@vigil/service-kit';
import { TokenAuth, type Principal } from '../domain/auth';
import { badRequest, problem, type Problem } from '../domain/errors';
import { checkId, PolicyApi } from '../domain/policy-api';
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

  private readonly api: PolicyApi;

  constructor(
    logProvider: PolicyLogProvider,
    private readonly auth: TokenAuth,
    @Inject(VIGIL_CONFIG) config: ConfigOf<typeof policyEngineSchema>,
  ) {
    this.maxBodyBytes = config.policyEngine.maxBodyBytes;
    this.api = new PolicyApi(() => logProvider.log);
  }

  @Get()
  @ApiOperation({ summary: 'List the policies the token may see (without YAML and audit)' })
  @ApiResponse({
    status: 200,
    schema: { type: 'object', properties: { policies: { type: 'array', items: ref('PolicyRecord') } } },
  })
  list(@Req() req: HttpRequest) {
    return { policies: this.api.list(this.caller(req)).map(summaryView) };
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
    return changeView(await this.api.apply(who, body, { createOnly: true }));
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
    const body = await readApplyBody(req, this.maxBodyBytes);
    const result = await this.api.apply(who, body, { id });
    res.statusCode = result.existed ? 200 : 201;
    return changeView(result);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A policy with its YAML and its versions (newest first)' })
  @ApiResponse({ status: 200, schema: ref('PolicyRecord') })
  @ApiResponse({ status: 404, ...ERROR })
  get(@Param('id') id: string, @Req() req: HttpRequest) {
    return detailView(this.api.get(this.caller(req), id));
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete a policy (a tombstone on vigil.policies: every node unloads it)' })
  @ApiResponse({ status: 200, ...CHANGE })
  @ApiResponse({ status: 404, ...ERROR })
  remove(@Param('id') id: string, @Req() req: HttpRequest) {
    return this.api.delete(this.caller(req), id);
  }

  @Post(':id/enable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Enable (attach on every selected node)' })
  @ApiResponse({ status: 200, ...CHANGE })
  async enable(@Param('id') id: string, @Req() req: HttpRequest) {
    return changeView(await this.api.change(this.caller(req), id, 'POLICY_ACTION_ENABLE'));
  }

  @Post(':id/disable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Disable (detach everywhere; the policy stays)' })
  @ApiResponse({ status: 200, ...CHANGE })
  async disable(@Param('id') id: string, @Req() req: HttpRequest) {
    return changeView(await this.api.change(this.caller(req), id, 'POLICY_ACTION_DISABLE'));
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
  async setMode(@Param('id') id: string, @Req() req: HttpRequest) {
    const who = this.caller(req);
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
    return changeView(await this.api.change(who, id, 'POLICY_ACTION_SET_MODE', mode));
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
    return this.api.audit(this.caller(req), id);
  }

  @Get(':id/status')
  @ApiOperation({ summary: 'Per node: state, error and version of the policy, as reported on vigil.policy-status' })
  @ApiResponse({
    status: 200,
    schema: { type: 'object', properties: { nodes: { type: 'array', items: ref('PolicyStatus') } } },
  })
  status(@Param('id') id: string, @Req() req: HttpRequest) {
    return this.api.status(this.caller(req), id);
  }

  private caller(req: HttpRequest): Principal {
    const header = req.headers.authorization;
    return this.auth.authenticate(Array.isArray(header) ? header[0] : header);
  }
}

/** A change as the API answers it: the policy (with its versions) after the change. */
function changeView(result: { changed: boolean; policy?: PolicyRecord; audit?: AuditEntry }) {
  return { changed: result.changed, policy: result.policy && detailView(result.policy), audit: result.audit };
}

export { YAML_TYPES };
