import fs from 'node:fs';
import path from 'node:path';

/** Tetragon's example policies (../shared/tetragon-policies, or $VIGIL_TETRAGON_POLICIES). */
export const EXAMPLES_DIR =
  process.env['VIGIL_TETRAGON_POLICIES'] ?? path.resolve(__dirname, '../../../../shared/tetragon-policies');

/** Every YAML file under the examples folder, relative paths, sorted. Throws when the folder is missing. */
export function exampleFiles(dir = EXAMPLES_DIR): string[] {
  if (!fs.existsSync(dir))
    throw new Error(`Tetragon example policies not found at ${dir} (set VIGIL_TETRAGON_POLICIES)`);
  const walk = (d: string): string[] =>
    fs
      .readdirSync(d, { withFileTypes: true })
      .flatMap((e) =>
        e.isDirectory() ? walk(path.join(d, e.name)) : /\.ya?ml$/.test(e.name) ? [path.join(d, e.name)] : [],
      );
  return walk(dir)
    .map((f) => path.relative(dir, f))
    .sort();
}
