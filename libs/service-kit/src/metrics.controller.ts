import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Registry } from 'prom-client';
import { Metrics } from './metrics';

/**
 * GET /metrics: the service's metrics and its bus's in Prometheus's text format. Each service
 * module lists it among its own controllers (not ServiceKitModule), so the route takes the
 * service's prefix where a composition root mounts it under one (`vigil run`: /collector/metrics,
 * /enricher/metrics, /exporter/metrics).
 */
@Controller()
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Get('metrics')
  async scrape(@Res({ passthrough: true }) res: Response): Promise<string> {
    res.setHeader('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE);
    return this.metrics.text();
  }
}
