import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../src/main';
import { vigil } from './in-process';

// `vigil completion`: scripts generated from the program tree. The bash script is exercised in a
// real bash (COMP_LINE/COMP_POINT as readline sets them); zsh and fish are syntax-checked when
// those shells are installed.

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-completion-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const has = (shell: string): boolean => spawnSync(shell, ['-c', 'exit 0']).status === 0;

async function script(shell: string): Promise<string> {
  const res = await vigil(['completion', shell]);
  expect(res).toMatchObject({ code: 0, stderr: '' });
  return res.stdout;
}

/** What bash completes for the line typed so far (cursor at its end). */
function bashComplete(file: string, line: string): string[] {
  const res = spawnSync(
    'bash',
    [
      '-c',
      `source "$1"; COMP_LINE="$2"; COMP_POINT=\${#COMP_LINE}; _vigil; printf '%s\\n' "\${COMPREPLY[@]}"`,
      'bash',
      file,
      line,
    ],
    { encoding: 'utf8', cwd: tmp },
  );
  expect(res.stderr).toBe('');
  return res.stdout.split('\n').filter(Boolean);
}

describe('vigil completion', () => {
  const program = buildProgram();
  const topLevel = program.commands.flatMap((c) => [c.name(), ...c.aliases()]);

  it.each(['bash', 'zsh', 'fish'])('%s: names every command, alias and option of the program', async (shell) => {
    const text = await script(shell);
    expect(topLevel).toEqual(expect.arrayContaining(['tracingpolicy', 'tp', 'status', 'completion', 'query', 'run']));
    for (const name of topLevel) expect(text).toContain(`vigil|${name}`);
    for (const sub of ['add', 'delete', 'rm', 'list', 'ls', 'enable', 'disable', 'mode'])
      expect(text).toContain(`vigil tracingpolicy|${sub}`);
    expect(text).toContain('vigil tracingpolicy add|--node-selector');
    expect(text).toContain('vigil status|--url');
    expect(text).toContain('--server-address');
    expect(text).toContain('--fleet');
  });

  it('bash: completes commands, aliases, subcommands, options, choices, files and directories', async () => {
    const file = path.join(tmp, 'vigil.bash');
    fs.writeFileSync(file, await script('bash'));
    fs.writeFileSync(path.join(tmp, 'block-nc.yaml'), 'x');
    fs.mkdirSync(path.join(tmp, 'data'), { recursive: true });
    expect(bashComplete(file, 'vigil ')).toEqual(
      expect.arrayContaining(['tracingpolicy', 'tp', 'status', 'completion']),
    );
    expect(bashComplete(file, 'vigil st')).toEqual(['status']);
    expect(bashComplete(file, 'vigil tp ')).toEqual([
      'add',
      'delete',
      'rm',
      'list',
      'ls',
      'enable',
      'disable',
      'mode',
      'help',
    ]);
    expect(bashComplete(file, 'vigil tracingpolicy list --f')).toEqual(['--fleet']);
    expect(bashComplete(file, 'vigil tp list -o ')).toEqual(['table', 'json']);
    expect(bashComplete(file, 'vigil tp mode block-nc ')).toEqual(['enforce', 'monitor']);
    expect(bashComplete(file, 'vigil tp mode --namespace team-a block-nc m')).toEqual(['monitor']);
    expect(bashComplete(file, 'vigil status -o j')).toEqual(['json']);
    expect(bashComplete(file, 'vigil completion ')).toEqual(['bash', 'zsh', 'fish']);
    expect(bashComplete(file, 'vigil tp add block')).toEqual(['block-nc.yaml']);
    expect(bashComplete(file, 'vigil status --data-dir da')).toEqual(['data']);
    expect(bashComplete(file, 'vigil tp delete ')).toEqual([]);
  });

  it.skipIf(!has('zsh'))('zsh: the script parses', async () => {
    const file = path.join(tmp, '_vigil');
    fs.writeFileSync(file, await script('zsh'));
    expect(spawnSync('zsh', ['-n', file], { encoding: 'utf8' }).stderr).toBe('');
  });

  it.skipIf(!has('fish'))('fish: the script parses and completes (complete -C)', async () => {
    const file = path.join(tmp, 'vigil.fish');
    fs.writeFileSync(file, await script('fish'));
    expect(spawnSync('fish', ['--no-execute', file], { encoding: 'utf8' }).stderr).toBe('');
    const complete = (line: string): string[] => {
      const res = spawnSync('fish', ['-c', 'source $argv[1]; complete -C $argv[2]', file, line], {
        encoding: 'utf8',
        cwd: tmp,
      });
      expect(res.stderr).toBe('');
      return res.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0]!);
    };
    expect(complete('vigil tp ')).toEqual(['add', 'delete', 'disable', 'enable', 'help', 'list', 'ls', 'mode', 'rm']);
    expect(complete('vigil tp list -o ')).toEqual(['json', 'table']);
    expect(complete('vigil tp mode -n team-a x ')).toEqual(['enforce', 'monitor']);
    expect(complete('vigil completion ')).toEqual(['bash', 'fish', 'zsh']);
    expect(complete('vigil status --tok')).toEqual(['--token', '--token-file']);
    expect(complete('vigil tp delete ')).toEqual([]);
  });

  it('refuses an unknown shell with exit 2, and documents how to load the script', async () => {
    const res = await vigil(['completion', 'powershell']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("command-argument value 'powershell' is invalid for argument 'shell'");
    const help = await vigil(['completion', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('source <(vigil completion bash)');
    expect((await script('bash')).startsWith('# bash completion for vigil')).toBe(true);
  });
});
