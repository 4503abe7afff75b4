import { describe, expect, it } from 'vitest';
import { formatCompact } from '../src/compact';
import { execResponse, exitResponse } from '../src/responses';
import { makeProcess } from '../src/tetragon';

const curl = makeProcess({
  pid: 5,
  binary: '/usr/bin/curl',
  arguments: 'https://x',
  pod: { namespace: 'default', name: 'pod' },
});
const host = makeProcess({ pid: 6, binary: '/usr/bin/curl', arguments: 'https://x' });
const t = '2024-05-01T10:00:00Z';

describe('formatCompact (tetra getevents -o compact)', () => {
  it('formats exec with pod source, exit with status or signal', () => {
    expect(formatCompact(execResponse({ process: curl, nodeName: 'node-a', time: t }))).toBe(
      '🚀 process default/pod /usr/bin/curl https://x',
    );
    expect(formatCompact(execResponse({ process: host, nodeName: 'node-a', time: t }))).toBe(
      '🚀 process node-a /usr/bin/curl https://x',
    );
    expect(formatCompact(exitResponse({ process: curl, nodeName: 'node-a', time: t, waitStatus: 0 }))).toBe(
      '💥 exit    default/pod /usr/bin/curl https://x 0',
    );
    expect(formatCompact(exitResponse({ process: curl, nodeName: 'node-a', time: t, waitStatus: 3 << 8 }))).toBe(
      '💥 exit    default/pod /usr/bin/curl https://x 3',
    );
    expect(formatCompact(exitResponse({ process: curl, nodeName: 'node-a', time: t, waitStatus: 9 }))).toBe(
      '💥 exit    default/pod /usr/bin/curl https://x SIGKILL',
    );
  });

  it('appends the lineage, nearest first, when asked', () => {
    const bash = makeProcess({ pid: 4, binary: '/usr/bin/bash' });
    const sshd = makeProcess({ pid: 1, binary: '/usr/sbin/sshd' });
    const exec = execResponse({ process: host, parent: bash, ancestors: [sshd], nodeName: 'node-a', time: t });
    expect(formatCompact(exec, { ancestry: true })).toBe(
      '🚀 process node-a /usr/bin/curl https://x ⇠ bash(4) ⇠ sshd(1)',
    );
    expect(formatCompact(exec)).toBe('🚀 process node-a /usr/bin/curl https://x');
    const orphan = execResponse({ process: host, nodeName: 'node-a', time: t });
    expect(formatCompact(orphan, { ancestry: true })).toBe('🚀 process node-a /usr/bin/curl https://x');
  });

  it('right-aligns a CAP_SYS_ADMIN marker to column 120', () => {
    const root = makeProcess({ ...host, cap: { effective: ['CAP_CHOWN', 'CAP_SYS_ADMIN'] } });
    const line = formatCompact(execResponse({ process: root, nodeName: 'node-a', time: t })) as string;
    expect(line.startsWith('🚀 process node-a /usr/bin/curl https://x ')).toBe(true);
    expect(line.endsWith(' 🛑 CAP_SYS_ADMIN')).toBe(true);
    const head = '🚀 process node-a /usr/bin/curl https://x';
    expect([...line.slice(head.length + 1)].length).toBe(120 - Buffer.byteLength(head));
  });

  it('colours like tetra when asked', () => {
    const line = formatCompact(execResponse({ process: curl, nodeName: 'n', time: t }), { color: true });
    expect(line).toBe(
      '\x1b[34m🚀 process\x1b[0m \x1b[32mdefault/pod\x1b[0m \x1b[35m/usr/bin/curl\x1b[0m \x1b[36mhttps://x\x1b[0m',
    );
  });
});
