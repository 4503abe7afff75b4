import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { descriptorProblems } from '../src/descriptor-check';
import { execId } from '../src/exec-id';
import { exportOptionsFromTetragonFlags, JsonExportWriter } from '../src/json-export';
import { execResponse, exitResponse } from '../src/responses';
import { makeProcess, type GetEventsResponse } from '../src/tetragon';
import { tetragonDescriptor } from './fixtures';

const tmp = (): string => mkdtempSync(path.join(tmpdir(), 'vigil-export-'));

/** Exec event number `i` (its pid is i, so order can be checked after reading back). */
function event(i: number, padding = ''): GetEventsResponse {
  return execResponse({
    process: makeProcess({
      exec_id: execId('n', BigInt(i), i),
      pid: i,
      uid: 0,
      binary: '/bin/true',
      arguments: padding,
      flags: 'execve',
      start_time: '2024-05-01T10:00:00Z',
    }),
    nodeName: 'n',
    time: '2024-05-01T10:00:00Z',
  });
}

const readLines = (file: string): GetEventsResponse[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as GetEventsResponse);
const pids = (events: GetEventsResponse[]): number[] => events.map((e) => e.process_exec?.process?.pid as number);

describe('JsonExportWriter', () => {
  it('writes one Tetragon-shaped JSON object per line, in order', async () => {
    const file = path.join(tmp(), 'sub', 'events.log');
    const w = new JsonExportWriter({ filename: file });
    for (let i = 1; i <= 5000; i++) w.write(event(i));
    w.write(
      exitResponse({
        process: makeProcess({ pid: 9, exec_id: execId('n', 9n, 9) }),
        nodeName: 'n',
        time: '2024-05-01T10:00:01Z',
        waitStatus: 15,
      }),
    );
    await w.close();
    const lines = readLines(file);
    expect(lines).toHaveLength(5001);
    expect(pids(lines.slice(0, 5000))).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1));
    const descriptor = tetragonDescriptor();
    for (const l of [lines[0], lines[5000]])
      expect(descriptorProblems(descriptor, 'tetragon', 'GetEventsResponse', l)).toEqual([]);
    expect(lines[5000]?.process_exit?.signal).toBe('SIGTERM');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(w.stats()).toMatchObject({ written: 5001, errors: 0, rotations: 0, pending: 0 });
  });

  it('rotates before exceeding maxSizeBytes and keeps maxBackups numbered backups', async () => {
    const dir = tmp();
    const file = path.join(dir, 'events.log');
    const w = new JsonExportWriter({ filename: file, maxSizeBytes: 2000, maxBackups: 3 });
    const lineBytes = Buffer.byteLength(JSON.stringify(event(100, 'x'.repeat(100)))) + 1;
    for (let i = 100; i < 200; i++) {
      w.write(event(i, 'x'.repeat(100)));
      if (i % 7 === 0) await w.flush(); // mix batched and single writes
    }
    await w.close();
    expect(readdirSync(dir).sort()).toEqual(['events.log', 'events.log.1', 'events.log.2', 'events.log.3']);
    const perFile = Math.floor(2000 / lineBytes);
    for (const f of readdirSync(dir)) expect(statSync(path.join(dir, f)).size).toBeLessThanOrEqual(2000);
    // Oldest backup → current file holds the newest events, contiguous and in order.
    const kept = ['events.log.3', 'events.log.2', 'events.log.1', 'events.log'].flatMap((f) =>
      pids(readLines(path.join(dir, f))),
    );
    expect(kept.at(-1)).toBe(199);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => 199 - kept.length + 1 + i));
    expect(readLines(path.join(dir, 'events.log.1'))).toHaveLength(perFile);
    expect(w.stats().rotations).toBe(Math.ceil(100 / perFile) - 1);
  });

  it('keeps every backup when maxBackups is 0 (lumberjack semantics), and appends to an existing file', async () => {
    const dir = tmp();
    const file = path.join(dir, 'events.log');
    writeFileSync(file, `${JSON.stringify(event(1))}\n`);
    const w = new JsonExportWriter({ filename: file, maxSizeBytes: 400, maxBackups: 0 });
    for (let i = 2; i <= 20; i++) w.write(event(i));
    await w.close();
    const names = readdirSync(dir);
    const backups = names.filter((n) => n !== 'events.log').map((n) => Number(n.split('.').at(-1)));
    expect(backups.sort((a, b) => a - b)).toEqual(Array.from({ length: backups.length }, (_, i) => i + 1));
    const all = [...backups.sort((a, b) => b - a).map((n) => `events.log.${n}`), 'events.log'].flatMap((f) =>
      pids(readLines(path.join(dir, f))),
    );
    expect(all).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('gzips rotated files when compress is on', async () => {
    const dir = tmp();
    const file = path.join(dir, 'events.log');
    const w = new JsonExportWriter({ filename: file, maxSizeBytes: 1000, maxBackups: 2, compress: true });
    for (let i = 1; i <= 30; i++) w.write(event(i));
    await w.close();
    expect(readdirSync(dir).sort()).toEqual(['events.log', 'events.log.1.gz', 'events.log.2.gz']);
    const newest = gunzipSync(readFileSync(path.join(dir, 'events.log.1.gz')))
      .toString()
      .split('\n')
      .filter(Boolean);
    const current = pids(readLines(file));
    expect((JSON.parse(newest.at(-1) as string) as GetEventsResponse).process_exec?.process?.pid).toBe(
      (current[0] as number) - 1,
    );
  });

  it('writes an event larger than the limit into a file of its own, and rotates on request', async () => {
    const dir = tmp();
    const file = path.join(dir, 'events.log');
    const w = new JsonExportWriter({ filename: file, maxSizeBytes: 500 });
    w.write(event(1));
    w.write(event(2, 'y'.repeat(600)));
    w.write(event(3));
    await w.flush();
    expect(pids(readLines(`${file}.2`))).toEqual([1]);
    expect(pids(readLines(`${file}.1`))).toEqual([2]);
    expect(pids(readLines(file))).toEqual([3]);
    await w.rotate();
    expect(pids(readLines(`${file}.1`))).toEqual([3]);
    expect(statSync(file).size).toBe(0);
    await w.close();
    expect(w.stats()).toMatchObject({ oversize: 1, rotations: 3, errors: 0 });
  });

  it('never throws on write failures: counts them and keeps going', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'not-a-dir'), '');
    const errors: unknown[] = [];
    const w = new JsonExportWriter({
      filename: path.join(dir, 'not-a-dir', 'events.log'),
      onError: (e) => errors.push(e),
    });
    for (let i = 0; i < 10; i++) expect(() => w.write(event(i))).not.toThrow();
    await w.flush();
    const s = w.stats();
    expect(s.lostOnError).toBe(10);
    expect(s.errors).toBeGreaterThan(0);
    expect(s.lastError).toMatch(/ENOTDIR|EEXIST/);
    expect(errors.length).toBe(s.errors);
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    w.write(cyclic);
    w.write({ big: 1n });
    expect(w.stats().droppedUnserializable).toBe(2);
    await w.close();
    w.write(event(11));
    expect(w.stats().droppedClosed).toBe(1);
  });

  it('drops and counts events beyond the queue bound', async () => {
    const file = path.join(tmp(), 'events.log');
    const w = new JsonExportWriter({ filename: file, maxPendingBytes: 2000 });
    for (let i = 0; i < 100; i++) w.write(event(i)); // synchronous burst: the drain loop has not run yet
    await w.close();
    const s = w.stats();
    expect(s.droppedOverflow).toBeGreaterThan(0);
    expect(s.written + s.droppedOverflow).toBe(100);
    expect(readLines(file)).toHaveLength(s.written);
  });

  it('maps Tetragon export flags', () => {
    expect(exportOptionsFromTetragonFlags({ exportFilename: '/var/log/tetragon/tetragon.log' })).toEqual({
      filename: '/var/log/tetragon/tetragon.log',
      maxSizeBytes: 10 * 1024 * 1024,
      maxBackups: 5,
      compress: false,
      fileMode: 0o600,
    });
    expect(
      exportOptionsFromTetragonFlags({
        exportFilename: 'f',
        exportFileMaxSizeMb: 0,
        exportFilePerm: '640',
        exportFileCompress: true,
      }),
    ).toMatchObject({
      maxSizeBytes: 100 * 1024 * 1024,
      fileMode: 0o640,
      compress: true,
    });
    expect(existsSync('f')).toBe(false);
  });
});
