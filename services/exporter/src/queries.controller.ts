import { Controller, Get, Param, Query } from '@nestjs/common';
import { ExporterRuntime } from './exporter.runtime';
import { StoreNotReadyError, toHttpError } from './http-errors';
import { runPreset, type PresetAnswer } from './presets';

/** The libs/store query presets over HTTP: GET /queries/topBinaries?since=24h&namespace=shop. */
@Controller('queries')
export class QueriesController {
  constructor(private readonly runtime: ExporterRuntime) {}

  @Get(':preset')
  async query(@Param('preset') preset: string, @Query() query: Record<string, unknown>): Promise<PresetAnswer> {
    try {
      if (this.runtime.state !== 'running') throw new StoreNotReadyError(this.runtime.state, this.runtime.startError);
      return await runPreset(this.runtime.sink.queries, preset, query);
    } catch (err) {
      throw toHttpError(err);
    }
  }
}
