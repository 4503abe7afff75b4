/**
 * Turns a failed try into a short reason: errno code, the stage that failed and libbpf's most
 * telling line (the verifier's error for a rejected program), not the whole log.
 */

/** Where a try failed. */
export type TryStage = 'prepare' | 'open' | 'load' | 'attach' | 'verify';

export interface FailureInfo {
  /** Symbolic errno ('ENOENT'), or undefined when the failure was not a system call's. */
  code?: string;
  errno?: number;
  /** libbpf's (or the check's) message, one line. */
  message: string;
}

const MAX_REASON = 200;

/** libbpf lines that only repeat that something failed. */
const NOISE = [
  /failed to load object/,
  /failed to load: -\d+$/,
  /try raising 'ulimit -l'/,
  /^-- (BEGIN|END) PROG LOAD LOG --$/,
];

/** Verifier log lines that are not its conclusion. */
const VERIFIER_NOISE = [
  /^\d+: /, // an instruction and its register state
  /^;/, // a source line
  /^processed \d+ insns/,
  /^verification time/,
  /^stack depth/,
  /^R\d+/, // register state dumps
  /^from \d+ to \d+:/,
  /^func#\d+ @\d+/,
  /^last_idx|^regs=|^parent didn't have regs/,
];

function stripPrefixes(line: string): string {
  return line
    .replace(/^libbpf: /, '')
    .replace(/^prog '[^']*': /, '')
    .replace(/^map '[^']*': /, '')
    .trim();
}

/**
 * The line of a libbpf log that says why: the verifier's verdict when there is a program load
 * log, else the last line that is not boilerplate.
 */
export function telltaleLine(log: string): string | undefined {
  const lines = log
    .split('\n')
    .map((l) => stripPrefixes(l.trim()))
    .filter(Boolean);
  const begin = lines.findIndex((l) => l === '-- BEGIN PROG LOAD LOG --');
  if (begin >= 0) {
    const endRel = lines.slice(begin + 1).findIndex((l) => l === '-- END PROG LOAD LOG --');
    const verifier = lines.slice(begin + 1, endRel < 0 ? undefined : begin + 1 + endRel);
    const verdict = [...verifier].reverse().find((l) => !VERIFIER_NOISE.some((re) => re.test(l)));
    if (verdict) return verdict;
  }
  return [...lines].reverse().find((l) => !NOISE.some((re) => re.test(l)));
}

interface ErrLike {
  message?: unknown;
  code?: unknown;
  errno?: unknown;
  libbpfLog?: unknown;
}

/** The errno's text as the addon wrote it ("op: No such file or directory (ENOENT)"). */
function strerrorOf(message: string, code: string | undefined): string | undefined {
  if (!code) return undefined;
  const first = message.split('\n')[0] ?? '';
  const m = new RegExp(`: ([^:]+) \\(${code}\\)$`).exec(first);
  return m?.[1];
}

/** What a thrown BpfError (or any error) says, reduced to code + one line. */
export function describeFailure(err: unknown): FailureInfo {
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as ErrLike;
  const message = typeof e.message === 'string' ? e.message : String(err);
  const code = typeof e.code === 'string' && /^E[A-Z0-9]+$/.test(e.code) ? e.code : undefined;
  const errno = typeof e.errno === 'number' ? Math.abs(e.errno) : undefined;
  const log = typeof e.libbpfLog === 'string' ? e.libbpfLog : '';
  let line = telltaleLine(log);
  if (!line) {
    // No libbpf log: the error's own first line, without the "op: " prefix when it has one.
    const first = message.split('\n')[0] ?? message;
    line = first.replace(/ \(E[A-Z0-9]+\)$/, '');
  }
  const text = strerrorOf(message, code);
  if (text && line.endsWith(`: ${text}`)) line = line.slice(0, -(text.length + 2));
  return { code, errno, message: line };
}

/** "ENOENT at attach: failed to create kprobe ... (CONFIG_KPROBES is not set)", at most 200 characters. */
export function formatReason(stage: TryStage, failure: FailureInfo, hint?: string): string {
  const head = failure.code ? `${failure.code} at ${stage}` : `${stage} failed`;
  const full = `${head}: ${failure.message}${hint ? ` (${hint})` : ''}`;
  return full.length > MAX_REASON ? `${full.slice(0, MAX_REASON - 1)}…` : full;
}
