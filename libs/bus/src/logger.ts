/** Where the bus says what it did about trouble (broker lost, spool damage, dead letters). */
export interface BusLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** The default: one line per message on stderr, prefixed so it can be told apart from the service's own lines. */
export const stderrLogger: BusLogger = {
  info: (m) => console.error(`[vigil bus] ${m}`),
  warn: (m) => console.error(`[vigil bus] warning: ${m}`),
  error: (m) => console.error(`[vigil bus] error: ${m}`),
};
