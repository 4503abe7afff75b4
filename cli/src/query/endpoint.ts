import { readEndpoint, processAlive } from '../all-in-one/endpoint-file';
import { CliError, EXIT } from '../exit-codes';

/** Under the all-in-one's address, the exporter's routes are mounted here (AllInOneModule). */
export const EXPORTER_PREFIX = '/exporter';

/**
 * The exporter to ask: --url (or VIGIL_QUERY_URL) as given, else the local `vigil run` of the data
 * directory (its run.json) plus the exporter's prefix.
 */
export function exporterUrl(url: string | undefined, dataDir: string): string {
  if (url) {
    try {
      return new URL(url).href.replace(/\/+$/, '');
    } catch {
      throw new CliError(`--url: not a URL: '${url}' (e.g. http://127.0.0.1:8080/exporter)`, EXIT.usage);
    }
  }
  const local = readEndpoint(dataDir);
  if (!local)
    throw new CliError(
      `no vigil run found for ${dataDir} (no run.json there): start \`vigil run\`, or pass --data-dir or --url`,
      EXIT.unavailable,
    );
  if (!processAlive(local.pid))
    throw new CliError(
      `vigil run (pid ${local.pid}) of ${dataDir} is not running: start \`vigil run\``,
      EXIT.unavailable,
    );
  return `${local.url}${EXPORTER_PREFIX}`;
}
