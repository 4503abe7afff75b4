import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Readiness } from './readiness';
import { SERVICE_NAME } from './tokens';

@Controller()
export class HealthController {
  constructor(
    @Inject(SERVICE_NAME) private readonly service: string,
    private readonly readiness: Readiness,
  ) {}

  /** Liveness: the process runs and serves HTTP. */
  @Get('healthz')
  @HttpCode(200)
  healthz() {
    return { status: 'ok', service: this.service };
  }

  /** Readiness: every registered dependency check passes (503 otherwise, with the failing ones). */
  @Get('readyz')
  async readyz(@Res({ passthrough: true }) res: Response) {
    const result = await this.readiness.evaluate();
    res.status(result.ready ? 200 : 503);
    return { status: result.ready ? 'ready' : 'not ready', service: this.service, checks: result.checks };
  }
}
