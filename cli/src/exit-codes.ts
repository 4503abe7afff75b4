/** Exit codes scripts can rely on. */
export const EXIT = {
  ok: 0,
  /** Something failed at run time (kernel, network, a service). */
  failure: 1,
  /** Bad command line: unknown command or option, missing argument. */
  usage: 2,
  /** Bad configuration: a file or VIGIL_* value failed validation. */
  config: 3,
} as const;
