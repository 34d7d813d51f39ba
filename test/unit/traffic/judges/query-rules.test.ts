/**
 * Query templates: every placeholder is replaced (spaces inside the braces allowed),
 * an unknown one is a config error naming the known ones, a value outside
 * [A-Za-z0-9._:-] never reaches PromQL; a syntax error is reported at its column in the
 * query as written (columns counted by hand below), pointing at the placeholder when
 * the error is inside its sample value.
 */
import { describe, expect, it } from 'vitest';
import { WsdError } from '../../../../src/core/errors.js';
import { promqlProblem } from '../../../../src/traffic/judges/promql-check.js';
import { resolveQuery } from '../../../../src/traffic/judges/query-template.js';

const target = { cluster: 'gp-prod-ws-eu17-eu-west1', shortName: 'eu17', region: 'europe-west1' };

describe('resolveQuery', () => {
  it('replaces every placeholder, with or without spaces inside the braces', () => {
    expect(resolveQuery('{{cluster}} {{ shortName }} {{region}} {{interval}} {{lookback}} {{window}} {{resolution}}', target, 300_000, 60_000)).toBe('gp-prod-ws-eu17-eu-west1 eu17 europe-west1 5m 5m 1m 1m');
  });

  it('uses the interval for window and resolution when no window is given', () => {
    expect(resolveQuery('[{{window}}] [{{resolution}}]', target, 120_000)).toBe('[2m] [2m]');
  });

  it('rejects an unknown placeholder as a config error listing the known ones', () => {
    let error: unknown;
    try {
      resolveQuery('rate(x{c="{{shortname}}"}[5m])', target, 60_000);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WsdError);
    expect((error as WsdError).code).toBe('ConfigInvalid');
    expect((error as WsdError).message).toBe('unknown placeholder "{{shortname}}" in query "rate(x{c="{{shortname}}"}[5m])"; use cluster, shortName, region, interval, lookback, window, resolution');
  });

  it('refuses a value with characters outside letters, digits and . _ : - (no escaping games)', () => {
    for (const bad of ['eu17"} or vector(1) #', 'eu 17', 'eu17/x', '']) {
      expect(() => resolveQuery('x{c="{{shortName}}"}', { ...target, shortName: bad }, 60_000)).toThrow(`refusing to put "${bad}" into a query for {{shortName}}: only letters, digits and . _ : - are allowed`);
    }
    let error: unknown;
    try {
      resolveQuery('{{cluster}}', { ...target, cluster: 'a b' }, 60_000);
    } catch (e) {
      error = e;
    }
    // Our bug, not the user's: the names were validated long before a query is built.
    expect(error).toMatchObject({ code: 'Internal', source: 'internal' });
    expect(() => resolveQuery('{{region}}', { ...target, region: 'a.b_c:d-E9' }, 60_000)).not.toThrow();
    expect(() => resolveQuery('{{region}}', { ...target, region: 'x\nrate(y[1m])' }, 60_000)).toThrow(/refusing/);
  });

  it('leaves text without placeholders alone', () => {
    expect(resolveQuery('sum(rate(x[5m])) {not} {a}}', target, 60_000)).toBe('sum(rate(x[5m])) {not} {a}}');
  });
});

describe('promqlProblem columns', () => {
  it('points at the placeholder when the error is inside its sample value', () => {
    // "x{c={{cluster}}}" becomes "x{c=gp-prod-…}": a label value must be quoted; the placeholder starts at column 5.
    expect(promqlProblem('x{c={{cluster}}}')).toMatch(/^not valid PromQL: syntax error at column 5 of the query, near "\{\{cluster\}\}\}"; /);
  });

  it('shifts a column after several placeholders by their lengths in the template', () => {
    // Two placeholders (one with spaces), then the error "*" at template offset 44 (column 45).
    const q = 'rate(x{c="{{ shortName }}"}[{{interval}}]) +* 2';
    expect(q.indexOf('* 2')).toBe(44);
    expect(promqlProblem(q)).toContain('syntax error at column 45 of the query, near "* 2"');
  });

  it('keeps the column of an error before the first placeholder, and counts one right after a value from the template', () => {
    // "x +* {{cluster}}": the error "*" is at column 4, before the placeholder.
    expect(promqlProblem('x +* {{cluster}}')).toContain('syntax error at column 4 of the query, near "* {{cluster}"');
    // "rate(x[{{interval}}m])" becomes "rate(x[5mm])": the stray "m" right after the value is template column 20.
    expect(promqlProblem('rate(x[{{interval}}m])')).toContain('syntax error at column 20 of the query, near "m])"');
    // "{{shortName}}(1)" becomes "eu17(1)": a call of an unknown function; "(" is template column 14.
    expect(promqlProblem('{{shortName}}(1)')).toContain('syntax error at column 14 of the query, near "(1)"');
  });

  it('reports the first syntax error, not a later one', () => {
    expect(promqlProblem('x +* y +* z')).toContain('syntax error at column 4 of the query, near "* y +* z"');
  });

  it('quotes at most 12 characters after the error', () => {
    expect(promqlProblem('x +* rate(abcdefghijklmnop[5m])')).toContain('column 4 of the query, near "* rate(abcde";');
  });

  it('names the sample values it parsed with', () => {
    expect(promqlProblem('sum(')).toMatch(/\(\{\{cluster\}\}=gp-prod-ws-eu17-eu-west1, \{\{shortName\}\}=eu17, \{\{region\}\}=europe-west1, \{\{interval\}\}=5m, \{\{lookback\}\}=5m, \{\{window\}\}=1m, \{\{resolution\}\}=1m\)$/);
  });

  it('accepts a valid query with every placeholder', () => {
    expect(promqlProblem('sum(rate(x{c="{{cluster}}",s="{{shortName}}",r="{{region}}"}[{{lookback}}])) + sum(rate(y[{{window}}])) + sum(rate(z[{{resolution}}]))')).toBeUndefined();
  });
});
