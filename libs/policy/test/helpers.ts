import fs from 'node:fs';
import path from 'node:path';

/** Where the shared Tetragon example policies live: $VIGIL_TETRAGON_POLICIES, else next to the repository. */
export const CORPUS_DIR =
  process.env['VIGIL_TETRAGON_POLICIES'] ?? path.resolve(__dirname, '../../../../shared/tetragon-policies');

export const FIXTURES_DIR = path.join(__dirname, 'fixtures');

/** Every .yaml/.yml file under a directory, sorted for a stable order. */
export function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.ya?ml$/.test(entry.name)) out.push(full);
    }
  };
  walk(dir);
  return out.sort();
}

/** Fails with a message saying where the corpus was looked for (the suite must not silently skip). */
export function corpusFiles(): string[] {
  if (!fs.existsSync(CORPUS_DIR) || !fs.statSync(CORPUS_DIR).isDirectory()) {
    throw new Error(
      `Tetragon policy corpus not found at ${CORPUS_DIR} (set VIGIL_TETRAGON_POLICIES to the directory holding the example policies)`,
    );
  }
  const files = yamlFiles(CORPUS_DIR);
  if (files.length === 0) throw new Error(`no .yaml files under ${CORPUS_DIR}`);
  return files;
}
