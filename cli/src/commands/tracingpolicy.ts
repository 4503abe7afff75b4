import fs from 'node:fs';
import { Argument, InvalidArgumentError, Option, type Command } from 'commander';
import { contractsRoot, type PolicyRecord } from '@vigil/contracts';
import { rpcClient, sensorsClient, type RpcClient, type TracingPolicyStatusJson } from '@vigil/rpc';
import { resolveDataDir } from '../all-in-one/data-dir';
import { CliError, EXIT } from '../exit-codes';
import { adminTokenFile, fleetTarget, nodeTarget, resolveToken, type GrpcTarget } from '../grpc/policy-target';
import { rpcFailure } from '../grpc/rpc-failure';
import { withSpinner } from '../grpc/wait-spinner';
import {
  fleetPolicyTables,
  nodePolicyTable,
  type FleetPolicyJson,
  type PolicyStatusReportJson,
} from './tracingpolicy-format';

type JsonObject = Record<string, unknown>;

interface TargetOptions {
  fleet?: boolean;
  serverAddress?: string;
  policyEngine?: string;
  dataDir?: string;
  namespace?: string;
  token?: string;
  tokenFile?: string;
  timeout: number;
}

interface AddOptions extends TargetOptions {
  update?: boolean;
  nodeSelector?: Record<string, string>;
}

interface ListOptions extends TargetOptions {
  output: 'table' | 'json';
}

const POLICY_SERVICE = 'vigil.v1.PolicyService';

/** The exit codes of every tracingpolicy subcommand (see grpc/rpc-failure.ts). */
const EXIT_CODES_HELP = `
Exit codes:
  0  done (also when nothing changed, e.g. enabling an enabled policy with --fleet)
  1  failure: UNAUTHENTICATED or PERMISSION_DENIED (see the token hint), FAILED_PRECONDITION (the
     node refused in its current state: the kernel did not load the policy, or the policy belongs
     to the policy engine — change it with --fleet), UNIMPLEMENTED (the server manages no
     policies), DEADLINE_EXCEEDED (--timeout), a root-only socket, any other server error
  2  usage: bad command line or unreadable file, or the server rejected the request —
     INVALID_ARGUMENT (a bad policy: every problem as file:line:col), NOT_FOUND, ALREADY_EXISTS
     (--fleet: add --update to replace), RESOURCE_EXHAUSTED (policy too large)
  4  unavailable: nothing answers at the address (no socket, connection refused), or the server
     is not ready yet (policy engine replaying, kernel probe pending): retry`;

function parseTimeout(value: string): number {
  const ms = Number(value);
  if (!Number.isSafeInteger(ms) || ms < 1) throw new InvalidArgumentError('expected milliseconds, a positive integer');
  return ms;
}

/** "k=v,k2=v2" → { k: 'v', k2: 'v2' } (the policy engine checks keys and values as Kubernetes labels). */
export function parseNodeSelector(value: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of value.split(',')) {
    const m = /^\s*([^=\s]+)\s*=\s*(\S*)\s*$/.exec(pair);
    if (!m) throw new InvalidArgumentError(`expected key=value[,key=value...], got '${pair}'`);
    if (Object.hasOwn(labels, m[1]!)) throw new InvalidArgumentError(`label ${m[1]} given twice`);
    labels[m[1]!] = m[2]!;
  }
  return labels;
}

/** The options every subcommand takes: where to send the call, and with which token. */
function targetOptions(cmd: Command): Command {
  return cmd
    .option(
      '--fleet',
      "the whole fleet: the policy engine's vigil.v1.PolicyService instead of this node's Tetragon API",
    )
    .addOption(
      new Option(
        '--server-address <address>',
        "this node's Tetragon API (FineGuidanceSensors): host:port or unix:///path (default: the local vigil run's, else unix:///var/run/vigil/vigil.sock)",
      ).env('VIGIL_SERVER_ADDRESS'),
    )
    .addOption(
      new Option(
        '--policy-engine <address>',
        "with --fleet: the policy engine's gRPC address (default: the local vigil run's, from run.json)",
      ).env('VIGIL_POLICY_ENGINE_ADDRESS'),
    )
    .option('--data-dir <dir>', 'data directory of the local `vigil run` (VIGIL_DATA_DIR; default /var/lib/vigil)')
    .option(
      '-n, --namespace <namespace>',
      'the namespace of a TracingPolicyNamespaced (or give the name as <namespace>:<name>)',
    )
    .addOption(new Option('--token <token>', 'bearer token (visible in ps: prefer --token-file)').env('VIGIL_TOKEN'))
    .option(
      '--token-file <file>',
      'file holding the bearer token (with --fleet, default for the local vigil run: <data dir>/admin-token)',
    )
    .addOption(new Option('--timeout <ms>', 'give up after this long').argParser(parseTimeout).default(30_000));
}

/** A connection to the chosen API, closed after the command. */
interface Session {
  target: GrpcTarget;
  fleet: boolean;
  call(method: string, request: JsonObject, label: string, yamlFile?: string): Promise<JsonObject>;
  close(): void;
}

function openSession(opts: TargetOptions, cmd: Command): Session {
  const fromCli = (name: string) => cmd.getOptionValueSource(name) === 'cli';
  const fleet = opts.fleet === true;
  if (fleet && fromCli('serverAddress'))
    throw new CliError('--server-address is this node’s API; with --fleet, give --policy-engine', EXIT.usage);
  if (!fleet && fromCli('policyEngine'))
    throw new CliError('--policy-engine needs --fleet (without it the call goes to this node)', EXIT.usage);
  const dataDir = resolveDataDir(opts.dataDir);
  const given = (name: string, flag: string, env: string) => (fromCli(name) ? flag : env);
  const target = fleet
    ? fleetTarget(opts.policyEngine, dataDir, given('policyEngine', '--policy-engine', 'VIGIL_POLICY_ENGINE_ADDRESS'))
    : nodeTarget(opts.serverAddress, dataDir, given('serverAddress', '--server-address', 'VIGIL_SERVER_ADDRESS'));
  const defaultTokenFile = fleet && target.local ? adminTokenFile(dataDir) : undefined;
  const token = resolveToken(
    { token: opts.token, tokenFromEnv: cmd.getOptionValueSource('token') === 'env', tokenFile: opts.tokenFile },
    defaultTokenFile,
  );
  const tokenHint = fleet
    ? `the policy engine wants a bearer token: --token-file <file>, --token or VIGIL_TOKEN (the local vigil run's admin token is ${adminTokenFile(dataDir)}, readable by root)${token ? '; a namespaced token changes only its namespaces’ policies, cluster-wide ones need an admin token' : ''}`
    : `this API wants a bearer token (the collector's collector.grpcToken): --token-file <file>, --token or VIGIL_TOKEN`;
  const client: RpcClient = fleet
    ? rpcClient(contractsRoot, POLICY_SERVICE, target.address, token ? { token } : {})
    : sensorsClient(target.address, token ? { token } : {});
  return {
    target,
    fleet,
    async call(method, request, label, yamlFile) {
      try {
        return await withSpinner(label, client.call(method, request, opts.timeout));
      } catch (e) {
        throw rpcFailure(e, { target, tokenHint, timeoutMs: opts.timeout, ...(yamlFile ? { yamlFile } : {}) });
      }
    },
    close: () => client.close(),
  };
}

async function withSession<T>(opts: TargetOptions, cmd: Command, run: (s: Session) => Promise<T>): Promise<T> {
  const session = openSession(opts, cmd);
  try {
    return await run(session);
  } finally {
    session.close();
  }
}

/** name, or namespace:name, with --namespace: the node API's {name, namespace}. */
function policyRef(given: string, namespace: string | undefined): { name: string; namespace: string } {
  const colon = given.indexOf(':');
  if (colon >= 0) {
    const [ns, name] = [given.slice(0, colon), given.slice(colon + 1)];
    if (namespace !== undefined && namespace !== ns)
      throw new CliError(`'${given}' names namespace ${ns} but --namespace says ${namespace}`, EXIT.usage);
    if (!ns || !name) throw new CliError(`'${given}': expected <name> or <namespace>:<name>`, EXIT.usage);
    return { name, namespace: ns };
  }
  if (given === '') throw new CliError('the policy name is empty', EXIT.usage);
  return { name: given, namespace: namespace ?? '' };
}

/** The policy engine's id: "<name>" or "<namespace>:<name>". */
function policyId(ref: { name: string; namespace: string }): string {
  return ref.namespace ? `${ref.namespace}:${ref.name}` : ref.name;
}

function readPolicyFile(file: string): string {
  try {
    return fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new CliError(
      `${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      EXIT.usage,
    );
  }
}

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** What a PolicyChange did, in one line: created / updated / unchanged, with the version. */
function changeLine(verb: string, answer: JsonObject, fallbackId: string): string {
  const policy = answer['policy'] as Partial<PolicyRecord> | undefined;
  const audit = answer['audit'] as { previous_version?: number } | undefined;
  const id = policy?.id ?? fallbackId;
  const version = policy?.version ? ` (version ${policy.version})` : '';
  if (answer['changed'] !== true) return `policy "${id}" unchanged${version}`;
  if (verb === 'applied') return `policy "${id}" ${audit?.previous_version ? 'updated' : 'created'}${version}`;
  return `policy "${id}" ${verb}${version}`;
}

/**
 * `vigil tracingpolicy` (alias `tp`): Tetragon's `tetra tracingpolicy` — add, delete, list,
 * enable, disable and set the mode of TracingPolicies on this node (the collector's Tetragon gRPC
 * API) or, with --fleet, for the whole fleet through the policy engine (vigil.v1.PolicyService).
 */
export function registerTracingPolicyCommand(program: Command): void {
  const tp = program
    .command('tracingpolicy')
    .alias('tp')
    .description(
      "manage TracingPolicies: this node's (Tetragon's API), or the fleet's with --fleet (the policy engine)",
    )
    .addHelpText(
      'after',
      `
Two targets:
  this node (default)  the collector's Tetragon API (tetragon.FineGuidanceSensors): --server-address
                       (VIGIL_SERVER_ADDRESS), else the local vigil run's (<data dir>/run.json),
                       else unix:///var/run/vigil/vigil.sock (a standalone collector). Policies
                       added here live on this node only, until it restarts.
  --fleet              the policy engine (vigil.v1.PolicyService): --policy-engine
                       (VIGIL_POLICY_ENGINE_ADDRESS), else the local vigil run's. Every change is
                       versioned, audited and pushed to every selected node. Needs a bearer token:
                       --token-file, --token or VIGIL_TOKEN; for the local vigil run the default is
                       <data dir>/admin-token (root only).
Policies are named <name>, or <namespace>:<name> (or --namespace) for a TracingPolicyNamespaced.

Examples:
  vigil tp add block-nc.yaml                      load on this node
  vigil tp list                                   this node's policies: state, mode, kernel memory, hooks
  vigil tp mode block-nc monitor                  count the actions instead of carrying them out
  vigil tp disable block-nc && vigil tp delete block-nc
  vigil tp add block-nc.yaml --fleet --node-selector role=web
  vigil tp add block-nc.yaml --fleet --update     replace the fleet's version
  vigil tp list --fleet -o json | jq '.policies[] | {id, loaded: .status.loaded}'
  vigil tp enable team-a:watch-open --fleet --token-file ~/.vigil/team-a.token
  vigil tp list --server-address 10.0.0.7:54321   another node's collector (TCP needs its token)
${EXIT_CODES_HELP}`,
    );

  targetOptions(
    tp
      .command('add')
      .description('add a TracingPolicy from a YAML file (- for stdin)')
      .argument('<file>', 'the policy: TracingPolicy or TracingPolicyNamespaced YAML'),
  )
    .option('--update', 'with --fleet: replace the policy if it exists (default: refuse with ALREADY_EXISTS)')
    .option(
      '--node-selector <labels>',
      'with --fleet: only nodes with these labels load it, key=value[,key=value...] (default: spec.nodeSelector, else every node)',
      parseNodeSelector,
    )
    .addHelpText(
      'after',
      `
A policy the server refuses is shown with every problem as <file>:<line>:<col>: <path>: <reason>.

Examples:
  vigil tp add block-nc.yaml
  vigil tp add block-nc.yaml --fleet --node-selector role=web,zone=eu-1
  kubectl get tracingpolicy block-nc -o yaml | vigil tp add - --fleet --update
${EXIT_CODES_HELP}`,
    )
    .action(async (file: string, opts: AddOptions, cmd: Command) => {
      if (!opts.fleet && opts.update)
        throw new CliError('--update needs --fleet (this node: delete, then add)', EXIT.usage);
      if (!opts.fleet && opts.nodeSelector) throw new CliError('--node-selector needs --fleet', EXIT.usage);
      if (opts.namespace !== undefined)
        throw new CliError("--namespace: an added policy's namespace is its YAML's metadata.namespace", EXIT.usage);
      const yaml = readPolicyFile(file);
      const yamlFile = file === '-' ? '<stdin>' : file;
      await withSession(opts, cmd, async (s) => {
        if (!s.fleet) {
          await s.call('AddTracingPolicy', { yaml }, `adding ${yamlFile}`, yamlFile);
          out(`tracing policy from ${yamlFile} added`);
          return;
        }
        const answer = await s.call(
          'ApplyPolicy',
          {
            yaml,
            create_only: opts.update !== true,
            ...(opts.nodeSelector ? { node_selector: { match_labels: opts.nodeSelector } } : {}),
          },
          `applying ${yamlFile}`,
          yamlFile,
        );
        out(changeLine('applied', answer, yamlFile));
      });
    });

  targetOptions(
    tp
      .command('delete')
      .alias('rm')
      .description('delete a TracingPolicy (this node: unload it; --fleet: every node unloads it)')
      .argument('<name>', '<name> or <namespace>:<name>'),
  )
    .addHelpText(
      'after',
      `
Examples:
  vigil tp delete block-nc
  vigil tp delete team-a:watch-open --fleet
${EXIT_CODES_HELP}`,
    )
    .action(async (name: string, opts: TargetOptions, cmd: Command) => {
      const ref = policyRef(name, opts.namespace);
      await withSession(opts, cmd, async (s) => {
        if (!s.fleet) {
          await s.call('DeleteTracingPolicy', ref, `deleting ${name}`);
          out(`tracing policy "${policyId(ref)}" deleted`);
        } else {
          const answer = await s.call('DeletePolicy', { id: policyId(ref) }, `deleting ${name}`);
          out(changeLine('deleted', answer, policyId(ref)));
        }
      });
    });

  targetOptions(
    tp
      .command('list')
      .alias('ls')
      .description('list the TracingPolicies with their state, mode, kernel memory and hooks'),
  )
    .addOption(
      new Option('-o, --output <format>', 'table, or json (the server’s answer; --fleet: each policy with its status)')
        .choices(['table', 'json'])
        .default('table'),
    )
    .addHelpText(
      'after',
      `
--namespace lists only that namespace's policies (TracingPolicyNamespaced).

This node: ID, NAME, NAMESPACE, STATE, MODE, ENABLED, KERNEL_MEMORY, SENSORS and HOOKS (ERROR
when a policy has one) from ListTracingPolicies. --fleet: each policy with what the nodes report
(GetPolicyStatus): loaded / reporting, failed, behind (on an older version), kernel memory summed
over the nodes, hooks; then one line per node and policy. No policies: nothing on stdout,
"(no tracing policies)" on stderr (json: {"policies": []}).

Examples:
  vigil tp list
  vigil tp list -o json | jq -r '.policies[] | select(.state != "TP_STATE_ENABLED") | .name'
  vigil tp list --fleet
${EXIT_CODES_HELP}`,
    )
    .action(async (opts: ListOptions, cmd: Command) => {
      await withSession(opts, cmd, async (s) => {
        if (!s.fleet) {
          const answer = await s.call('ListTracingPolicies', {}, 'listing tracing policies');
          const policies = ((answer['policies'] ?? []) as TracingPolicyStatusJson[]).filter(
            (p) => opts.namespace === undefined || (p.namespace ?? '') === opts.namespace,
          );
          if (opts.output === 'json') return out(JSON.stringify({ policies }, null, 2));
          if (policies.length === 0) process.stderr.write('(no tracing policies)\n');
          else process.stdout.write(nodePolicyTable(policies));
          return;
        }
        const answer = await s.call('ListPolicies', {}, 'listing policies');
        const records = ((answer['policies'] ?? []) as Array<Partial<PolicyRecord>>).filter(
          (p) => opts.namespace === undefined || (p.namespace ?? '') === opts.namespace,
        );
        const policies: FleetPolicyJson[] = [];
        for (const record of records) {
          const status = (await s.call(
            'GetPolicyStatus',
            { id: record.id ?? '' },
            `status of ${record.id ?? ''}`,
          )) as PolicyStatusReportJson;
          policies.push({ ...record, status });
        }
        if (opts.output === 'json') return out(JSON.stringify({ policies }, null, 2));
        if (policies.length === 0) return void process.stderr.write('(no tracing policies)\n');
        const tables = fleetPolicyTables(policies);
        process.stdout.write(tables.policies);
        if (tables.nodes) process.stdout.write(`\n${tables.nodes}`);
        else process.stderr.write('(no node has reported on these policies yet)\n');
      });
    });

  for (const enable of [true, false]) {
    const verb = enable ? 'enable' : 'disable';
    targetOptions(
      tp
        .command(verb)
        .description(
          enable
            ? 'enable a TracingPolicy: attach its hooks again'
            : 'disable a TracingPolicy: detach its hooks, keep the policy',
        )
        .argument('<name>', '<name> or <namespace>:<name>'),
    )
      .addHelpText(
        'after',
        `
Examples:
  vigil tp ${verb} block-nc
  vigil tp ${verb} team-a:watch-open --fleet
${EXIT_CODES_HELP}`,
      )
      .action(async (name: string, opts: TargetOptions, cmd: Command) => {
        const ref = policyRef(name, opts.namespace);
        await withSession(opts, cmd, async (s) => {
          if (!s.fleet) {
            await s.call('ConfigureTracingPolicy', { ...ref, enable }, `${verb.replace(/e$/, '')}ing ${name}`);
            out(`tracing policy "${policyId(ref)}" ${verb}d`);
          } else {
            const answer = await s.call(
              enable ? 'EnablePolicy' : 'DisablePolicy',
              { id: policyId(ref) },
              `${verb.replace(/e$/, '')}ing ${name}`,
            );
            out(changeLine(`${verb}d`, answer, policyId(ref)));
          }
        });
      });
  }

  targetOptions(
    tp
      .command('mode')
      .description('set the mode of a TracingPolicy: enforce (actions carried out) or monitor (counted only)')
      .argument('<name>', '<name> or <namespace>:<name>')
      .addArgument(new Argument('<mode>', 'enforce or monitor').choices(['enforce', 'monitor'])),
  )
    .addHelpText(
      'after',
      `
Examples:
  vigil tp mode block-nc monitor
  vigil tp mode block-nc enforce --fleet
${EXIT_CODES_HELP}`,
    )
    .action(async (name: string, mode: 'enforce' | 'monitor', opts: TargetOptions, cmd: Command) => {
      const ref = policyRef(name, opts.namespace);
      await withSession(opts, cmd, async (s) => {
        if (!s.fleet) {
          const tpMode = mode === 'enforce' ? 'TP_MODE_ENFORCE' : 'TP_MODE_MONITOR';
          await s.call('ConfigureTracingPolicy', { ...ref, mode: tpMode }, `setting ${name} to ${mode}`);
          out(`tracing policy "${policyId(ref)}" in ${mode} mode`);
        } else {
          const policyMode = mode === 'enforce' ? 'POLICY_MODE_ENFORCE' : 'POLICY_MODE_MONITOR';
          const answer = await s.call(
            'SetPolicyMode',
            { id: policyId(ref), mode: policyMode },
            `setting ${name} to ${mode}`,
          );
          out(changeLine(`in ${mode} mode`, answer, policyId(ref)));
        }
      });
    });
}
