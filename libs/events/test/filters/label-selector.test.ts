import { describe, expect, it } from 'vitest';
import { LabelSelectorError, parseLabelSelector } from '../../src/filters';

const labels = { app: 'web', tier: 'frontend', 'app.kubernetes.io/version': '1.25', replicas: '3' };
const selects = (selector: string, set: Record<string, string> = labels): boolean =>
  parseLabelSelector(selector).matches(set);
const parseError = (selector: string): string => {
  try {
    parseLabelSelector(selector);
  } catch (e) {
    expect(e).toBeInstanceOf(LabelSelectorError);
    return (e as Error).message;
  }
  throw new Error(`${selector} parsed`);
};

describe('label selectors match as Kubernetes selectors do', () => {
  it('= and == need the label with that value', () => {
    expect(selects('app=web')).toBe(true);
    expect(selects('app==web')).toBe(true);
    expect(selects('app=api')).toBe(false);
    expect(selects('owner=web')).toBe(false);
  });

  it('!= also matches when the label is absent', () => {
    expect(selects('app!=api')).toBe(true);
    expect(selects('owner!=web')).toBe(true);
    expect(selects('app!=web')).toBe(false);
  });

  it('in needs one of the values; notin also matches an absent label', () => {
    expect(selects('app in (api, web)')).toBe(true);
    expect(selects('app in (api)')).toBe(false);
    expect(selects('owner in (web)')).toBe(false);
    expect(selects('app notin (api,db)')).toBe(true);
    expect(selects('owner notin (web)')).toBe(true);
    expect(selects('app notin (web)')).toBe(false);
  });

  it('a bare key needs the label, !key needs it absent', () => {
    expect(selects('tier')).toBe(true);
    expect(selects('canary')).toBe(false);
    expect(selects('!canary')).toBe(true);
    expect(selects('!tier')).toBe(false);
  });

  it('> and < compare integer values and fail on non-integers', () => {
    expect(selects('replicas>2')).toBe(true);
    expect(selects('replicas<3')).toBe(false);
    expect(selects('app>1')).toBe(false);
    expect(selects('missing<10')).toBe(false);
  });

  it('commas AND the requirements; whitespace is free', () => {
    expect(selects(' app = web , tier in ( frontend ) , !canary ')).toBe(true);
    expect(selects('app=web,tier=backend')).toBe(false);
  });

  it('prefixed keys, empty values and the keywords as values', () => {
    expect(selects('app.kubernetes.io/version=1.25')).toBe(true);
    expect(selects('role=', { role: '' })).toBe(true);
    expect(selects('role in ()', { role: '' })).toBe(true);
    expect(selects('role in (a,)', { role: '' })).toBe(true);
    expect(selects('mode in (in, notin)', { mode: 'notin' })).toBe(true);
  });

  it('an empty selector matches every label set', () => {
    expect(selects('')).toBe(true);
    expect(selects('  ', {})).toBe(true);
  });
});

describe('invalid selectors say what was found where', () => {
  it.each([
    ['app in (web', 'found end of selector at offset 11, expected "," or ")"'],
    ['app in web', 'found "web" at offset 7, expected "("'],
    ['app web', 'found "web" at offset 4, expected one of in, notin, =, ==, !=, >, <'],
    ['app=web,', 'found end of selector at offset 8, expected a label key after ","'],
    ['app=web tier=x', 'found "tier" at offset 8, expected "," or the end of the selector'],
    ['=web', 'found "=" at offset 0, expected "!", a label key, or the end of the selector'],
    ['!app=web', 'found "=" at offset 4, expected "," or the end of the selector'],
    ['app in (a b)', 'found "b" at offset 10, expected "," or ")"'],
  ])('%s', (selector, message) => {
    expect(parseError(selector)).toBe(message);
  });

  it('keys must be qualified names', () => {
    expect(parseError('-app=web')).toBe(
      'invalid label key "-app": name part must consist of alphanumeric characters, "-", "_" or ".", and must start and end with an alphanumeric character',
    );
    expect(parseError('Example.com/app')).toContain(
      'invalid label key "Example.com/app": prefix part must be a lowercase DNS subdomain',
    );
    expect(parseError('a/b/c')).toContain('invalid label key "a/b/c"');
    expect(parseError(`${'k'.repeat(64)}=v`)).toContain('name part must be no more than 63 characters');
  });

  it('values must be valid label values', () => {
    expect(parseError('app=web!')).toBe('found "!" at offset 7, expected "," or the end of the selector');
    expect(parseError('app=-web')).toBe(
      'invalid value "-web" for key "app": must be empty or consist of alphanumeric characters, "-", "_" or ".", and start and end with an alphanumeric character',
    );
    expect(parseError(`app=${'v'.repeat(64)}`)).toContain('must be no more than 63 characters');
  });

  it('> and < need an integer', () => {
    expect(parseError('replicas>three')).toBe('"replicas>three": the value of > must be an integer');
  });
});
