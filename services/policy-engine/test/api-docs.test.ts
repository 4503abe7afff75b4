import 'reflect-metadata';
import { ConsoleLogger, Logger, type LoggerService } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildOpenApiDocument } from '../src/http/api-docs';

/** A logger that keeps every line with its level and context (Nest passes the context last). */
class RecordingLogger implements LoggerService {
  readonly lines: string[] = [];
  log = (message: unknown, ...rest: unknown[]) => this.lines.push(`log ${String(rest.at(-1))}: ${String(message)}`);
  error = (message: unknown, ...rest: unknown[]) => this.lines.push(`error ${String(rest.at(-1))}: ${String(message)}`);
  warn = (message: unknown, ...rest: unknown[]) => this.lines.push(`warn ${String(rest.at(-1))}: ${String(message)}`);
}

afterEach(() => {
  vi.restoreAllMocks();
  // Nest's logger is process-wide: the next test starts from a console logger again.
  Logger.overrideLogger(new ConsoleLogger());
});

describe('buildOpenApiDocument leaves the process logger as it found it', () => {
  it('a log line after building the document still reaches the logger in place; the preview itself stays quiet', async () => {
    const recorder = new RecordingLogger();
    Logger.overrideLogger(recorder);
    const document = await buildOpenApiDocument();
    expect(Object.keys(document.paths).length).toBeGreaterThan(0);

    new Logger('policy engine').warn('a policy file did not load');
    Logger.error('the store is away', 'exporter');
    expect(recorder.lines).toEqual([
      'warn policy engine: a policy file did not load',
      'error exporter: the store is away',
    ]);
  });

  it('a line logged while the preview is being built reaches the logger in place too', async () => {
    const recorder = new RecordingLogger();
    Logger.overrideLogger(recorder);
    const building = buildOpenApiDocument();
    // NestFactory.create has applied the preview's logger synchronously: this line is logged inside the window.
    new Logger('collector').log('process hooks attached');
    await building;
    expect(recorder.lines).toEqual(['log collector: process hooks attached']);
  });

  it("with Nest's default logger and log levels (as bootstrapService sets them), later lines are still printed", async () => {
    Logger.overrideLogger(['error', 'warn', 'log']);
    await buildOpenApiDocument();
    const printed: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    });
    new Logger('policy engine').log('policies rebuilt from vigil.policies');
    // eslint-disable-next-line no-control-regex -- the console logger's colours
    const text = printed.join('').replace(/\u001b\[[0-9;]*m/g, '');
    expect(text).toContain('LOG [policy engine] policies rebuilt from vigil.policies');
  });

  it('a logger installed by someone else while the preview was built is kept (it is newer)', async () => {
    Logger.overrideLogger(new RecordingLogger());
    const building = buildOpenApiDocument();
    const theirs = new RecordingLogger();
    Logger.overrideLogger(theirs);
    await building;
    new Logger('cli').log('after');
    // Theirs took the rest of the preview's bootstrap lines too: it replaced the quiet one.
    expect(theirs.lines.at(-1)).toBe('log cli: after');
  });
});
