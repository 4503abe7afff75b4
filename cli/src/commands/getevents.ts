import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  compileEventFilter,
  EVENT_TYPE_NAMES,
  FilterError,
  formatCompact,
  type EventFilter,
  type GetEventsResponse,
} from '@vigil/events';
import { getEvents, sensorsClient } from '@vigil/rpc';
import { resolveDataDir } from '../all-in-one/data-dir';
import { CliError, EXIT } from '../exit-codes';
import { fleetEventsTarget, nodeTarget, type GrpcTarget } from '../grpc/policy-target';
import { rpcFailure } from '../grpc/rpc-failure';
import { exporterUrl } from '../query/endpoint';
import { eventIdentity, storedEvents } from '../query/stored-events';

interface GetEventsOptions {
  output: 'json' | 'compact';
  serverAddress?: string;
  fleet?: boolean;
  dataDir?: string;
  token?: string;
  namespaces?: string[];
  processes?: string[];
  pods?: string[];
  pids?: number[];
  eventTypes?: string[];
  policyNames?: string[];
  containerIds?: string[];
  host?: boolean;
  ancestry: boolean;
  color: 'auto' | 'always' | 'never';
  maxEvents?: number;
  timeout?: number;
  since?: string;
  follow?: boolean;
  url?: string;
}

const list = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(',').filter(Boolean)];
const positive =
  (what: string) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`expected ${what}, a positive integer`);
    return n;
  };
const pids = (value: string, previous: number[] = []): number[] => [
  ...previous,
  ...value.split(',').map(positive('a pid')),
];

/**
 * `vigil getevents`: Tetragon's GetEvents stream, like `tetra getevents`, from this node's
 * collector (default) or the whole fleet's exporter (--fleet), through a client that speaks
 * Tetragon's API; the filters are sent to the server, which applies them (allow_list).
 */
export function registerGetEventsCommand(program: Command): void {
  program
    .command('getevents')
    .description("stream events (Tetragon's GetEvents) from this node or the fleet, as JSON or readable lines")
    .addOption(
      new Option('-o, --output <format>', 'json (one GetEventsResponse per line) or compact')
        .choices(['json', 'compact'])
        .default('json'),
    )
    .addOption(
      new Option(
        '--server-address <address>',
        "the gRPC address (unix:///path or host:port); default: the local vigil run's, else unix:///var/run/vigil/vigil.sock",
      ).env('VIGIL_SERVER_ADDRESS'),
    )
    .option('--fleet', "the whole fleet's events (the exporter's API) instead of this node's")
    .option('--data-dir <dir>', 'data directory of the local `vigil run` (VIGIL_DATA_DIR; default /var/lib/vigil)')
    .addOption(new Option('--token <token>', 'bearer token when the server requires one').env('VIGIL_TOKEN'))
    .option('--namespaces <list>', 'only these Kubernetes namespaces (comma-separated, repeatable)', list)
    .option('--processes <list>', 'only binaries matching these regular expressions (RE2)', list)
    .option('--pods <list>', 'only pods whose name matches these regular expressions', list)
    .option('--pids <list>', 'only these process ids', pids)
    .option('--event-types <list>', `only these event types (${EVENT_TYPE_NAMES.join(', ')})`, list)
    .option('--policy-names <list>', 'only hook events of these policies', list)
    .option('--container-ids <list>', 'only these containers (regular expressions on the id)', list)
    .option('--host', 'only events of processes outside any pod')
    .option('--no-ancestry', 'compact: leave out the " ⇠ parent(pid) ⇠ …" lineage')
    .addOption(new Option('--color <when>', 'compact: colours').choices(['auto', 'always', 'never']).default('auto'))
    .option(
      '--since <time>',
      'first print the stored events since then (RFC 3339, or 30s, 15m, 24h, 7d before now), then stop',
    )
    .option('-f, --follow', 'with --since: go on with the live stream after the stored events')
    .addOption(
      new Option('--url <url>', "with --since: the exporter's base URL (default: the local vigil run's)").env(
        'VIGIL_QUERY_URL',
      ),
    )
    .addOption(new Option('--max-events <n>', 'stop after this many events').argParser(positive('a count')))
    .addOption(new Option('--timeout <seconds>', 'stop after this long').argParser(positive('seconds')))
    .addHelpText(
      'after',
      `
Without --since: the live stream, from now until interrupted (Ctrl-C), --max-events or --timeout.
With --since: the stored events since then (the exporter's store, filtered the same way), then
exit — or, with --follow, the live stream after them (no event twice at the seam).

Examples:
  vigil getevents -o compact
  vigil getevents -o compact --processes '^/usr/bin/(curl|cat)$' --event-types PROCESS_EXEC,PROCESS_EXIT
  vigil getevents --fleet -o compact --namespaces default --pods '^web-'
  vigil getevents --policy-names block-cat -o json | jq .process_kprobe.action
  vigil getevents --server-address 127.0.0.1:54321     # a collector (or Tetragon) on TCP
  vigil getevents -o compact --since 15m --processes curl      # what ran in the last 15 minutes
  vigil getevents -o compact --since 1h -f                      # the last hour, then live

Exit codes: 0 stream ended (interrupted, --max-events, --timeout); 1 the server failed the stream;
2 bad flags or a filter the server refused; 4 nothing answers at the address.`,
    )
    .action(async (opts: GetEventsOptions) => {
      const filter = buildFilter(opts);
      // Refuse a bad filter here with the same checks the server runs, before connecting.
      try {
        compileEventFilter(filter ? [filter] : [], []);
      } catch (e) {
        if (e instanceof FilterError) throw new CliError(e.message.replace(/^allow_list\[0\]\./, ''), EXIT.usage);
        throw e;
      }
      const dataDir = resolveDataDir(opts.dataDir);
      const target = opts.fleet
        ? fleetEventsTarget(opts.serverAddress, dataDir)
        : nodeTarget(opts.serverAddress, dataDir);
      const color = opts.color === 'always' || (opts.color === 'auto' && process.stdout.isTTY === true);
      const print = (event: GetEventsResponse): void => {
        if (opts.output === 'json') process.stdout.write(`${JSON.stringify(event)}\n`);
        else {
          const line = formatCompact(event, { color, ancestry: opts.ancestry });
          if (line) process.stdout.write(`${line}\n`);
        }
      };
      if (opts.follow && !opts.since)
        throw new CliError('--follow goes with --since (without it the stream is live anyway)', EXIT.usage);
      if (opts.since) {
        const exporter = exporterUrl(opts.url, dataDir);
        const pass = compileEventFilter(filter ? [filter] : [], []);
        await history(exporter, opts, pass, print, opts.follow ? target : undefined, filter);
      } else await stream(target, opts, filter, print);
    });
}

async function stream(
  target: GrpcTarget,
  opts: GetEventsOptions,
  filter: EventFilter | undefined,
  print: (event: GetEventsResponse) => void,
  stop = new AbortController(),
): Promise<void> {
  const client = sensorsClient(target.address, opts.token ? { token: opts.token } : {});
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const timer = opts.timeout ? setTimeout(onSignal, opts.timeout * 1000) : undefined;
  let seen = 0;
  try {
    for await (const event of getEvents(client, filter ? { allow_list: [filter] } : {}, stop.signal)) {
      print(event);
      if (opts.maxEvents && ++seen >= opts.maxEvents) stop.abort();
    }
  } catch (e) {
    throw rpcFailure(e, { target, tokenHint: 'pass --token or set VIGIL_TOKEN' });
  } finally {
    clearTimeout(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    client.close();
  }
}

/**
 * The stored events since --since, filtered here as the server would; with a live target, the
 * live stream is opened first and what it delivers meanwhile is held, then printed after the
 * stored events minus those already printed, and the stream goes on.
 */
async function history(
  exporter: string,
  opts: GetEventsOptions,
  pass: (e: GetEventsResponse) => boolean,
  print: (event: GetEventsResponse) => void,
  live: GrpcTarget | undefined,
  filter: EventFilter | undefined,
): Promise<void> {
  const held: GetEventsResponse[] = [];
  // Until the stored events are out, live ones are held; then they print as they come.
  const sink: { live?: (e: GetEventsResponse) => void } = {};
  const stop = new AbortController();
  const following = live
    ? stream(live, opts, filter, (e) => (sink.live ? sink.live(e) : held.push(e)), stop)
    : undefined;
  // Only events near the seam can be in both: remember those, not the whole history.
  const seam = Date.now() - 10_000;
  const printed = new Set<string>();
  let count = 0;
  for await (const event of storedEvents(exporter, opts.since!)) {
    if (!pass(event)) continue;
    if (following && Date.parse(event.time ?? '') >= seam) printed.add(eventIdentity(event));
    print(event);
    if (opts.maxEvents && ++count >= opts.maxEvents) {
      stop.abort();
      await following;
      return;
    }
  }
  if (!following) return;
  for (const e of held) if (!printed.has(eventIdentity(e))) print(e);
  sink.live = (e) => (printed.has(eventIdentity(e)) ? undefined : print(e));
  await following;
}

/** The flags as one Tetragon filter (every flag must match), or undefined for none. */
export function buildFilter(o: Partial<GetEventsOptions>): EventFilter | undefined {
  const f: EventFilter = {};
  if (o.namespaces?.length) f.namespace = o.namespaces;
  if (o.host) f.namespace = [...(f.namespace ?? []), ''];
  if (o.processes?.length) f.binary_regex = o.processes;
  if (o.pods?.length) f.pod_regex = o.pods;
  if (o.pids?.length) f.pid = o.pids;
  if (o.eventTypes?.length) f.event_set = o.eventTypes.map((t) => t.toUpperCase()) as EventFilter['event_set'];
  if (o.policyNames?.length) f.policy_names = o.policyNames;
  if (o.containerIds?.length) f.container_id = o.containerIds;
  return Object.keys(f).length ? f : undefined;
}
