import { describe, expect, it } from 'vitest';
import { compileRe2, compileRedactionFilters, FilterError, type RedactionFilter } from '../../src/filters';
import { redactString } from '../../src/filters/redaction';
import type { GetEventsResponse } from '../../src/tetragon';
import { exec, frozen, kprobe, nginx, proc, shim, systemd } from './events';

const redact = (filters: RedactionFilter[], event: GetEventsResponse): GetEventsResponse =>
  compileRedactionFilters(filters)(event);

const mysql = proc({
  pid: 7000,
  ppid: 6900,
  binary: '/usr/bin/mysql',
  args: ['-u', 'admin', '--password=hunter2', '-h', 'db.internal'],
  env: [
    { Key: 'MYSQL_PWD', Value: 'hunter2' },
    { Key: 'HOME', Value: '/root' },
  ],
});
const wrapper = proc({ pid: 6900, ppid: 1, binary: '/bin/sh', args: ['-c', 'mysql --password=hunter2'] });
const mysqlExec = exec({ process: mysql, parent: wrapper, ancestors: [systemd] });

describe('redaction filters', () => {
  it('replace each capture group in process.arguments with *****', () => {
    const out = redact([{ redact: ['--password=(\\S+)'] }], mysqlExec);
    expect(out.process_exec!.process!.arguments).toBe('-u admin --password=***** -h db.internal');
  });

  it('redact the parent and the ancestors too, each by its own binary', () => {
    const out = redact([{ redact: ['--password=([^\\s"]+)'] }], mysqlExec);
    expect(out.process_exec!.parent!.arguments).toBe('-c "mysql --password=*****"');
    const onlyMysql = redact([{ binary_regex: ['/mysql$'], redact: ['--password=(\\S+)'] }], mysqlExec);
    expect(onlyMysql.process_exec!.process!.arguments).toBe('-u admin --password=***** -h db.internal');
    expect(onlyMysql.process_exec!.parent).toBe(wrapper);
  });

  it('apply to every kind of process event', () => {
    const out = redact([{ redact: ['--password=(\\S+)'] }], kprobe({ process: mysql, parent: wrapper }));
    expect(out.process_kprobe!.process!.arguments).toContain('--password=*****');
  });

  it('leave processes whose binary matches no binary_regex untouched, returning the same event', () => {
    const filters: RedactionFilter[] = [{ binary_regex: ['^/usr/bin/psql$'], redact: ['--password=(\\S+)'] }];
    expect(redact(filters, mysqlExec)).toBe(mysqlExec);
    const nginxExec = exec({ process: nginx, parent: shim });
    expect(redact([{ redact: ['--password=(\\S+)'] }], nginxExec)).toBe(nginxExec);
  });

  it('replace only capture groups: a pattern without one changes nothing', () => {
    expect(redact([{ redact: ['--password=\\S+'] }], mysqlExec)).toBe(mysqlExec);
  });

  it('redact environment variables as KEY=VALUE, with the first pattern that changes them', () => {
    const out = redact([{ redact: ['(?:PWD|PASSWORD)=(.+)', 'MYSQL_(PWD)'] }], mysqlExec);
    expect(out.process_exec!.process!.environment_variables).toEqual([
      { Key: 'MYSQL_PWD', Value: '*****' },
      { Key: 'HOME', Value: '/root' },
    ]);
  });

  it('apply several filters in order', () => {
    const out = redact([{ redact: ['-u (\\S+)'] }, { binary_regex: ['mysql'], redact: ['-h (\\S+)'] }], mysqlExec);
    expect(out.process_exec!.process!.arguments).toBe('-u ***** --password=hunter2 -h *****');
  });

  it('never change the input event', () => {
    const shared = frozen(mysqlExec);
    const out = redact([{ redact: ['--password=(\\S+)', '(?:PWD)=(.+)'] }], shared);
    expect(shared).toEqual(mysqlExec);
    expect(out.process_exec!.process!.arguments).toContain('*****');
  });

  it('reject invalid patterns, naming them', () => {
    const error = (filters: RedactionFilter[]): string => {
      try {
        compileRedactionFilters(filters);
      } catch (e) {
        expect(e).toBeInstanceOf(FilterError);
        return (e as Error).message;
      }
      throw new Error('no FilterError thrown');
    };
    expect(error([{ redact: ['ok'] }, { redact: ['(x', 'y'] }])).toBe(
      'redaction_filters[1].redact[0]: invalid regular expression "(x": missing closing ): `(x`',
    );
    expect(error([{ binary_regex: ['[a'] }])).toBe(
      'redaction_filters[0].binary_regex[0]: invalid regular expression "[a": missing closing ]: `[a`',
    );
    expect(error([{ match: [{ binary_regex: ['x'] }] } as RedactionFilter])).toBe(
      'redaction_filters[0].match: the deprecated "match" field is not supported; use binary_regex',
    );
  });
});

describe('redactString, as Tetragon', () => {
  const run = (pattern: string, s: string): string => redactString(compileRe2(pattern, 'gd'), s).text;

  it('redacts every match', () => {
    expect(run('token=(\\w+)', 'token=a token=b')).toBe('token=***** token=*****');
  });

  it('redacts an outer group once, not the groups inside it', () => {
    expect(run('key=((\\w+)-(\\w+))', 'key=ab-cd end')).toBe('key=***** end');
    expect(run('(a)(b)', 'xaby')).toBe('x**********y');
  });

  it('skips groups that did not take part in the match', () => {
    expect(run('(x)|(y)', 'y')).toBe('*****');
  });

  it('ignores an empty match right after a match, as Go ReplaceAll does', () => {
    expect(run('(a*)', 'baaac')).toBe('*****b*****c*****');
  });
});
