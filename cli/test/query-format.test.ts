import { describe, expect, it } from 'vitest';
import { formatCsv, formatTable, toRows } from '../src/query/format';
import { parsePresetParams } from '../src/query/params';
import { CliError, EXIT } from '../src/exit-codes';

describe('vigil query: rows from preset results', () => {
  it('takes a list as the rows, the one list of an object (processTree) with the rest aside, null as none', () => {
    expect(toRows([{ a: 1 }, { a: 2 }])).toEqual({ rows: [{ a: 1 }, { a: 2 }], extra: {} });
    expect(toRows({ exec_id: 'x', nodes: [{ pid: 1 }], truncated: false })).toEqual({
      rows: [{ pid: 1 }],
      extra: { exec_id: 'x', truncated: false },
    });
    expect(toRows({ binary: '/bin/sh', executions: 3 })).toEqual({
      rows: [{ binary: '/bin/sh', executions: 3 }],
      extra: {},
    });
    expect(toRows(null)).toEqual({ rows: [], extra: {} });
  });
});

describe('vigil query: table and CSV', () => {
  const rows = [
    { binary: '/bin/sh', executions: 12, labels: { app: 'web' }, pod: null },
    { binary: '/usr/bin/some, "quoted"\nthing', executions: 3, labels: {}, pod: 'p' },
  ];

  it('aligns columns, numbers to the right, objects as JSON, null as empty', () => {
    expect(formatTable([rows[0]!, { binary: '/usr/bin/curl', executions: 100, labels: {}, pod: 'web-1' }])).toBe(
      [
        'BINARY         EXECUTIONS  LABELS         POD',
        '/bin/sh                12  {"app":"web"}',
        '/usr/bin/curl         100  {}             web-1',
        '',
      ].join('\n'),
    );
    expect(formatTable([])).toBe('');
  });

  it('writes RFC 4180: header, CRLF, fields with a comma, quote or newline quoted and quotes doubled', () => {
    expect(formatCsv(rows)).toBe(
      'binary,executions,labels,pod\r\n' +
        '/bin/sh,12,"{""app"":""web""}",\r\n' +
        '"/usr/bin/some, ""quoted""\nthing",3,{},p\r\n',
    );
    expect(formatCsv([])).toBe('');
  });
});

describe('vigil query: preset parameters', () => {
  it('reads --name value and --name=value, kebab-case as camelCase, values untouched', () => {
    expect(parsePresetParams(['--since', '1h', '--exec-id=a=b', '--maxDepth', '-3'])).toEqual({
      since: '1h',
      execId: 'a=b',
      maxDepth: '-3',
    });
  });

  it.each([
    [['1h'], "unexpected argument '1h'"],
    [['--since'], 'parameter --since needs a value'],
    [['--since', '--limit', '5'], 'parameter --since needs a value'],
    [['--limit', '1', '--limit=2'], 'parameter --limit given twice'],
  ])('refuses %j with a usage error', (words, message) => {
    let caught: unknown;
    try {
      parsePresetParams(words);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CliError);
    expect((caught as CliError).exitCode).toBe(EXIT.usage);
    expect((caught as CliError).message).toContain(message);
  });
});
