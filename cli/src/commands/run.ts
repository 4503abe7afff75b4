import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { Command } from 'commander';
import { Topic, InProcessBus } from '@vigil/bus';
import {
  CollectorModule,
  ProcessPipelineProvider,
  type collectorSchema,
  type ProcessPipelineStats,
} from '@vigil/collector';
import type { ConfigOf } from '@vigil/config';
import { formatCompact, type GetEventsResponse } from '@vigil/events';
import { VIGIL_CONFIG } from '@vigil/service-kit';

interface RunOptions {
  config?: string;
  tracingPolicyDir?: string;
  output: 'compact' | 'json' | 'none';
  color: boolean;
}

/**
 * `vigil run`: Vigil on this machine with embedded defaults — today the collector over an
 * in-process bus, its events on the terminal (one line each) and in the JSON export file.
 */
export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run Vigil on this machine: observe every process, print each event, write the JSON export')
    .option('-c, --config <file>', 'configuration file (YAML or JSON); VIGIL_* variables override it')
    .option(
      '--tracing-policy-dir <dir>',
      "load every TracingPolicy YAML of this folder at start (Tetragon's flag; VIGIL_POLICY_DIR)",
    )
    .option('-o, --output <format>', 'terminal output: compact, json or none', 'compact')
    .option('--no-color', 'plain terminal output')
    .addHelpText(
      'after',
      `
Examples:
  vigil run                                  observe this node, compact lines on the terminal
  vigil run -o json | jq .process_exec       the Tetragon JSON export shape on stdout
  vigil run --tracing-policy-dir ./policies  enforce Tetragon TracingPolicies from a folder
  VIGIL_EXPORT_FILE=/tmp/events.log vigil run   export somewhere else ('' disables)`,
    )
    .action(async (opts: RunOptions) => {
      if (opts.config) process.env['VIGIL_CONFIG'] = opts.config;
      if (opts.tracingPolicyDir) process.env['VIGIL_POLICY_DIR'] = opts.tracingPolicyDir;
      await runNode(opts);
    });
}

async function runNode(opts: RunOptions): Promise<void> {
  const bus = new InProcessBus();
  const color = opts.color && process.stdout.isTTY === true;
  bus.subscribe<GetEventsResponse>(Topic.eventsRaw, 'terminal', (batch) => {
    if (opts.output === 'none') return;
    const lines = batch
      .map((m) => (opts.output === 'json' ? JSON.stringify(m.value) : formatCompact(m.value, { color })))
      .filter(Boolean);
    if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
  });

  const app = await NestFactory.create(CollectorModule.register({ bus }), {
    logger: ['error', 'warn'],
    abortOnError: false,
  });
  const config = app.get<ConfigOf<typeof collectorSchema>>(VIGIL_CONFIG);
  await app.listen(config.http.port, config.http.host);
  // Events go to stdout; everything about Vigil itself goes to stderr, so stdout can be piped.
  const note = (line: string) => process.stderr.write(`vigil: ${line}\n`);
  const provider = app.get(ProcessPipelineProvider);
  const started = provider.pipeline.stats();
  note(
    `observing this node (process hooks: ${provider.attachMode}): ${started.seeded} processes running, status and health on ${await app.getUrl()} (/status, /healthz, /readyz)`,
  );
  note(config.collector.exportFile ? `JSON export: ${config.collector.exportFile}` : 'JSON export disabled');
  for (const p of provider.policies?.list() ?? [])
    note(`policy ${p.name} (${p.mode}): ${p.hooks.map((h) => h.how).join('; ')}`);

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  const pipeline = provider.pipeline;
  await app.close();
  await bus.flush();
  note(summary(pipeline.stats()));
}

function summary(s: ProcessPipelineStats): string {
  return (
    `stopped: ${s.kernel.received} kernel events, ${s.published} published (${s.hookEvents} from policies), ${s.seeded} seeded from /proc; ` +
    `lost in kernel ${s.kernel.lostKernel}, dropped in user space ${s.kernel.droppedUserspace}, ` +
    `export dropped ${(s.export?.droppedOverflow ?? 0) + (s.export?.lostOnError ?? 0)}, failed ${s.failedEvents}`
  );
}
