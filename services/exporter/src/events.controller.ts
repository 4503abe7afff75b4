import { Controller, Get, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { QueryParams } from './query-params';
import { ExporterRuntime } from './exporter.runtime';
import { StoreNotReadyError, toHttpError } from './http-errors';
import { streamNdjson } from './ndjson-stream';

/** Tetragon's JSON export of stored events: one GetEventsResponse per line, in time order. */
@Controller('events')
export class EventsController {
  constructor(private readonly runtime: ExporterRuntime) {}

  @Get('export')
  async export(@Query() query: Record<string, unknown>, @Res() res: Response): Promise<void> {
    let lines: AsyncIterable<string>;
    try {
      const params = new QueryParams(query);
      const range = params.timeRange();
      const pageSize = params.optionalInt('pageSize', 1, 100_000);
      params.done();
      if (this.runtime.state !== 'running') throw new StoreNotReadyError(this.runtime.state, this.runtime.startError);
      lines = this.runtime.sink.queries.exportLines({ ...range, pageSize });
    } catch (err) {
      throw toHttpError(err);
    }
    try {
      await streamNdjson(lines, res, () => {
        res.status(200).type('application/x-ndjson');
      });
    } catch (err) {
      // Nothing sent yet: an answer with a status. Otherwise the stream was destroyed already.
      if (!res.headersSent) throw toHttpError(err);
    }
  }
}
