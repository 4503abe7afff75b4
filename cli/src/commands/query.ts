import { InvalidArgumentError, Option, type Command } from 'commander';
import { resolveDataDir } from '../all-in-one/data-dir';
import { runPresetQuery } from '../query/client';
import { exporterUrl } from '../query/endpoint';
import { formatCsv, formatTable, toRows, type QueryOutput } from '../query/format';
import { parsePresetParams } from '../query/params';

interface QueryOptions {
  url?: string;
  dataDir?: string;
  output: QueryOutput;
  timeout: number;
}

function parseTimeout(value: string): number {
  const ms = Number(value);
  if (!Number.isSafeInteger(ms) || ms < 1) throw new InvalidArgumentError('expected milliseconds, a positive integer');
  return ms;
}

/**
 * `vigil query <preset> [--param value]...`: the exporter's query presets (GET /queries/:preset)
 * from the command line, as a table, JSON or CSV. The parameters go to the exporter as they are;
 * it validates them, so the CLI never disagrees with the HTTP API.
 */
export function registerQueryCommand(program: Command): void {
  program
    .command('query')
    .description("ask the stored events: one of the exporter's query presets, as a table, JSON or CSV")
    .argument('<preset>', 'processTree, topBinaries, firstSeen, policyHits, enforcementByWorkload, connectionsByPod')
    .argument('[parameters...]', "the preset's parameters: --name value (kebab-case or camelCase)")
    .addOption(
      new Option(
        '--url <url>',
        "the exporter's base URL (default: the local `vigil run`, found in <data dir>/run.json)",
      ).env('VIGIL_QUERY_URL'),
    )
    .option('--data-dir <dir>', 'data directory of the local `vigil run` (VIGIL_DATA_DIR; default /var/lib/vigil)')
    .addOption(
      new Option('-o, --output <format>', 'table, json (the result as the exporter sent it) or csv')
        .choices(['table', 'json', 'csv'])
        .default('table'),
    )
    .addOption(new Option('--timeout <ms>', 'give up after this long').argParser(parseTimeout).default(30_000))
    // Preset parameters are not options of this command: commander hands them over as arguments.
    .allowUnknownOption()
    .allowExcessArguments()
    .addHelpText(
      'after',
      `
Presets and their parameters (times: RFC 3339 or a duration before now — 30s, 15m, 24h, 7d):
  topBinaries            --since (required) --until --namespace --limit
  firstSeen              --binary (required)
  processTree            --exec-id (required) --max-depth --max-descendants
  policyHits             --since (required) --until --policy --bucket-seconds
  enforcementByWorkload  --since (required) --until
  connectionsByPod       --since (required) --until --namespace

Examples:
  vigil query topBinaries --since 1h
  vigil query firstSeen --binary /usr/bin/curl -o json | jq -r .first_seen
  vigil query processTree --exec-id bm9kZS1hOjQwMDA6MjAx --max-depth 5
  vigil query policyHits --since 24h --bucket-seconds 3600 -o csv > hits.csv
  vigil query topBinaries --since 24h --url http://exporter.example:8080   # a fleet exporter

Output: table on stdout (nothing, and "(no result)" on stderr, when there are no rows); json
prints the preset's result exactly as the exporter answers it (firstSeen of a binary that never
ran: null); csv has a header line.

Exit codes:
  0  answered (also when nothing matched)
  1  failure: unexpected answer, HTTP error, timeout, or --url is not an exporter
  2  usage: bad command line, or the exporter rejected the query (unknown preset, bad parameter)
  3  configuration: a VIGIL_* value or the configuration file is invalid
  4  unavailable: nothing answers (no vigil run, connection refused) or the store is not ready; retry`,
    )
    .action(async (preset: string, words: string[], opts: QueryOptions) => {
      const params = parsePresetParams(words);
      const base = exporterUrl(opts.url, resolveDataDir(opts.dataDir));
      const answer = await runPresetQuery(base, preset, params, opts.timeout);
      if (opts.output === 'json') {
        process.stdout.write(`${JSON.stringify(answer.result, null, 2)}\n`);
        return;
      }
      const { rows, extra } = toRows(answer.result);
      if (opts.output === 'csv') {
        process.stdout.write(formatCsv(rows));
        return;
      }
      if (rows.length === 0) process.stderr.write('(no result)\n');
      else process.stdout.write(formatTable(rows));
      const notes = Object.entries(extra).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
      if (notes.length > 0) process.stderr.write(`${notes.join(', ')}\n`);
    });
}
