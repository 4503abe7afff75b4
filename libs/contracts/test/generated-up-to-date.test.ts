import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// The generator is the ESM script engineers run; imported dynamically from this CommonJS test.
const generator = () => import('../scripts/generate.mjs');

describe('generated contracts', () => {
  it('are what proto/ generates now (run `npm run generate -w @vigil/contracts` after a proto change)', async () => {
    const { generate, OUT_DIR } = await generator();
    const files = await generate();
    const onDisk = fs.readdirSync(OUT_DIR).filter((f) => f.endsWith('.ts'));
    expect(onDisk.sort()).toEqual(Object.keys(files).sort());
    for (const [name, text] of Object.entries(files))
      expect(fs.readFileSync(path.join(OUT_DIR, name), 'utf8'), `src/generated/${name}`).toBe(text);
  });

  it('picks up a new proto file and its imports (what adding workloads.proto does)', async () => {
    const { generate, PROTO_DIR } = await generator();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-proto-'));
    try {
      for (const tree of ['vigil', 'tetragon'])
        fs.cpSync(path.join(PROTO_DIR, tree), path.join(dir, tree), { recursive: true });
      fs.writeFileSync(
        path.join(dir, 'vigil', 'v1', 'workloads.proto'),
        [
          'syntax = "proto3";',
          'package vigil.v1;',
          'import "vigil/v1/policy.proto";',
          "// One node's cgroup map.",
          'message WorkloadMap { string node = 1; uint64 generation = 2; LabelSelector example = 3; }',
        ].join('\n'),
      );
      const files = await generate(dir);
      const v1 = files['vigil.v1.ts']!;
      expect(v1).toContain("/** One node's cgroup map. */\nexport interface WorkloadMap {");
      expect(v1).toMatch(/generation: string;/);
      expect(v1).toMatch(/example\?: LabelSelector;/);
      expect(v1).toContain("messageCodec<WorkloadMap>('vigil.v1.WorkloadMap')");
      expect(files['descriptor.ts']).toMatch(/WorkloadMap: \{/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a proto with an unknown type, naming the file', async () => {
    const { generate, GenerateError } = await generator();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-proto-'));
    try {
      fs.mkdirSync(path.join(dir, 'vigil', 'v2'), { recursive: true });
      fs.writeFileSync(
        path.join(dir, 'vigil', 'v2', 'bad.proto'),
        'syntax = "proto3";\npackage vigil.v2;\nmessage Bad { Missing m = 1; }\n',
      );
      const failure = generate(dir);
      await expect(failure).rejects.toBeInstanceOf(GenerateError);
      await expect(failure).rejects.toThrow(/Missing/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
