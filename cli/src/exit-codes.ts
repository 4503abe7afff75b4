/** Exit codes scripts can rely on (every command; `vigil query --help` repeats them). */
export const EXIT = {
  ok: 0,
  /** Something failed at run time (kernel, network, a service, an unexpected answer). */
  failure: 1,
  /** Bad command line (unknown command or option, missing argument), or a query the server rejected as malformed. */
  usage: 2,
  /** Bad configuration: a file or VIGIL_* value failed validation. */
  config: 3,
  /** Nothing to talk to yet: no `vigil run` answering, or its store not ready. Worth retrying. */
  unavailable: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error whose exit code the command chose; main prints `vigil: <message>` and exits with it. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}
