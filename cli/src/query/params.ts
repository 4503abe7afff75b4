import { CliError, EXIT } from '../exit-codes';

/**
 * The preset's parameters from the words after `vigil query <preset>`: `--since 1h`,
 * `--since=1h`, kebab-case or the exporter's camelCase (`--exec-id` = `--execId`). Values are
 * passed through untouched: the exporter validates them and names every problem at once.
 */
export function parsePresetParams(words: readonly string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const m = /^--([A-Za-z][A-Za-z0-9-]*)(?:=(.*))?$/s.exec(word);
    if (!m) throw new CliError(`unexpected argument '${word}': preset parameters are --name value`, EXIT.usage);
    const name = camelCase(m[1]!);
    let value = m[2];
    if (value === undefined) {
      const next = words[i + 1];
      if (next === undefined || next.startsWith('--'))
        throw new CliError(`parameter --${m[1]} needs a value (--${m[1]} <value> or --${m[1]}=<value>)`, EXIT.usage);
      value = next;
      i++;
    }
    if (Object.hasOwn(params, name)) throw new CliError(`parameter --${m[1]} given twice`, EXIT.usage);
    params[name] = value;
  }
  return params;
}

function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
