import type { Command } from 'commander';
import { Option } from 'commander';
import type { TerminalOutput } from '../all-in-one/terminal';

interface RunOptions {
  config?: string;
  tracingPolicyDir?: string;
  dataDir?: string;
  output: TerminalOutput;
  color: boolean;
}

/**
 * `vigil run`: all of Vigil on this machine in one process — collector, enricher, policy engine
 * and exporter over an in-process bus, events stored in DuckDB — with each event on the terminal.
 */
export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description(
      'run Vigil on this machine: observe every process, print each event, store it for queries, serve the policy API',
    )
    .option('-c, --config <file>', 'configuration file (YAML or JSON); VIGIL_* variables override it')
    .option(
      '--tracing-policy-dir <dir>',
      "load every TracingPolicy YAML of this folder at start (Tetragon's flag; VIGIL_POLICY_DIR)",
    )
    .option(
      '--data-dir <dir>',
      'state of this installation: events.duckdb, admin-token, run.json (VIGIL_DATA_DIR; default /var/lib/vigil)',
    )
    .addOption(
      new Option('-o, --output <format>', 'terminal output: compact, json or none')
        .choices(['compact', 'json', 'none'])
        .default('compact'),
    )
    .option('--no-color', 'plain terminal output')
    .addHelpText(
      'after',
      `
What it serves (one HTTP address, printed at start; VIGIL_HTTP_PORT, VIGIL_HTTP_HOST):
  /status /healthz /readyz     every service's counters and checks
  /policies /docs              the TracingPolicy API (bearer token: <data dir>/admin-token) and its OpenAPI UI
  /exporter/queries/<preset>   stored events (DuckDB), also through \`vigil query\`

Examples:
  vigil run                                  observe this node, compact lines on the terminal
  vigil run -o json | jq .process_exec       the Tetragon JSON export shape on stdout
  vigil run --tracing-policy-dir ./policies  enforce Tetragon TracingPolicies from a folder
  vigil run --data-dir /tmp/vigil            keep the events and the token somewhere else
  VIGIL_EXPORT_FILE=/tmp/events.log vigil run   export somewhere else ('' disables)`,
    )
    .action(async (opts: RunOptions) => {
      if (opts.config) process.env['VIGIL_CONFIG'] = opts.config;
      if (opts.tracingPolicyDir) process.env['VIGIL_POLICY_DIR'] = opts.tracingPolicyDir;
      // Loaded here, not at the top: the four services (Nest, DuckDB, the BPF addon) take seconds
      // to load, which every other command — `vigil query` in a script's loop — would pay.
      const { runAllInOne } = await import('../all-in-one/run-all-in-one.js');
      await runAllInOne({ dataDir: opts.dataDir, output: opts.output, color: opts.color });
    });
}
