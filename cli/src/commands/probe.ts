import { InvalidArgumentError, Option, type Command } from 'commander';
import { formatProbeReport, probeKernel, CAPABILITY_NAMES, type CapabilityName } from '@vigil/kernel-probe';

interface ProbeOptions {
  output: 'text' | 'json';
  mount: boolean;
  only?: CapabilityName[];
}

function parseOnly(value: string): CapabilityName[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(CAPABILITY_NAMES as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`unknown capability '${unknown.join(', ')}'; known: ${CAPABILITY_NAMES.join(', ')}`);
  }
  return names as CapabilityName[];
}

/**
 * `vigil probe`: what this node's kernel can do for Vigil, tried live (one tiny BPF program per
 * attach type and helper, loaded, attached and removed again) plus the kernel build
 * configuration, and the hook strategies that follow. Exit 0 whenever the probe ran, however
 * many features are missing; 1 (via a thrown error) when it could not run at all.
 */
export function registerProbeCommand(program: Command): void {
  program
    .command('probe')
    .description(
      "probe this node's kernel: which BPF attach types, helpers and enforcement mechanisms work here, and why not",
    )
    .addOption(
      new Option('-o, --output <format>', 'text (a table) or json (the full report)')
        .choices(['text', 'json'])
        .default('text'),
    )
    .option(
      '--only <names>',
      `comma-separated capabilities to try (default: all): ${CAPABILITY_NAMES.join(', ')}`,
      parseOnly,
    )
    .option('--no-mount', 'do not mount tracefs/securityfs when they are missing (classic tracepoints then fail)')
    .addHelpText(
      'after',
      `
Needs root (or CAP_BPF + CAP_PERFMON). Every try is detached and closed before the command
exits: nothing stays loaded. Takes about a second.

Exit codes: 0 the probe ran (even if features are missing), 1 it could not run (not root,
bpf() refused, Vigil not built), 2 bad command line.

Examples:
  vigil probe                                  the table: capability | works | why not
  vigil probe -o json | jq '.hookStrategy'     what the collector would pick here
  vigil probe -o json | jq -r '.capabilities[] | select(.works | not) | "\\(.name): \\(.reason)"'
  vigil probe --only kprobe,fentry,lsm         just these tries`,
    )
    .action(async (opts: ProbeOptions) => {
      // ProbeUnavailableError (not root, no bpf()) propagates: main prints it and exits 1.
      const report = await probeKernel({ mount: opts.mount, ...(opts.only ? { only: opts.only } : {}) });
      process.stdout.write(`${opts.output === 'json' ? JSON.stringify(report, null, 2) : formatProbeReport(report)}\n`);
    });
}
