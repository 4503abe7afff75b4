/**
 * wait(2)-style exit status → ProcessExit.status / .signal. Tetragon computes
 * status = code >> 8 and signal = SignalName(code & 0xff) (pkg/grpc/exec GetProcessExit);
 * the core-dump bit (0x80) is masked off here so a dumped SIGSEGV still reads "SIGSEGV".
 */

/** Linux x86-64 / arm64 signal names (golang.org/x/sys/unix SignalName). */
const SIGNAL_NAMES: readonly string[] = [
  '',
  'SIGHUP',
  'SIGINT',
  'SIGQUIT',
  'SIGILL',
  'SIGTRAP',
  'SIGABRT',
  'SIGBUS',
  'SIGFPE',
  'SIGKILL',
  'SIGUSR1',
  'SIGSEGV',
  'SIGUSR2',
  'SIGPIPE',
  'SIGALRM',
  'SIGTERM',
  'SIGSTKFLT',
  'SIGCHLD',
  'SIGCONT',
  'SIGSTOP',
  'SIGTSTP',
  'SIGTTIN',
  'SIGTTOU',
  'SIGURG',
  'SIGXCPU',
  'SIGXFSZ',
  'SIGVTALRM',
  'SIGPROF',
  'SIGWINCH',
  'SIGIO',
  'SIGPWR',
  'SIGSYS',
];

/**
 * Name of signal `n`; "" for 0. Real-time signals have no name in Go's table (Tetragon would
 * print nothing and lose the fact that a signal killed the process), so they become "SIG<n>".
 */
export function signalName(n: number): string {
  if (n === 0) return '';
  return SIGNAL_NAMES[n] ?? `SIG${n}`;
}

/** Fields of ProcessExit for a wait(2) status: exit code (omitted when 0) and signal name (omitted when none). */
export function exitFields(status: number): { signal?: string; status?: number } {
  const sig = status & 0x7f;
  const code = (status >> 8) & 0xff;
  const out: { signal?: string; status?: number } = {};
  if (sig !== 0) out.signal = signalName(sig);
  if (code !== 0) out.status = code;
  return out;
}
