/**
 * Names marked secret must name a passthrough value: a typo in
 * `terraform.secretVariables` or `<release>.secretSet` would otherwise leave
 * the value it meant to hide in the plan and the generated files.
 */
import { nearest, quote } from '../messages.js';
import { asList, asRecord, type CrossRule, type RuleIssue } from './rule.js';

function namesExist(marked: unknown, values: unknown, where: (string | number)[], valuesKey: string): RuleIssue[] {
  const known = Object.keys(asRecord(values) ?? {});
  return asList(marked).flatMap((name, index) => {
    if (typeof name !== 'string' || known.includes(name)) return [];
    const guess = nearest(name, known);
    return [
      {
        path: [...where, index],
        message: `${quote(name)} is not a key of ${valuesKey}${guess === undefined ? '' : `; did you mean ${quote(guess)}?`}${guess === undefined ? ';' : ''} list only keys that ${valuesKey} sets`,
      },
    ];
  });
}

export const secretNamesExist: CrossRule = (config) => {
  const root = asRecord(config);
  const terraform = asRecord(root?.terraform);
  return [
    ...namesExist(terraform?.secretVariables, terraform?.variables, ['terraform', 'secretVariables'], 'terraform.variables'),
    ...(['gitpod', 'jaeger', 'monitoring'] as const).flatMap((section) => {
      const fields = asRecord(root?.[section]);
      return namesExist(fields?.secretSet, fields?.set, [section, 'secretSet'], `${section}.set`);
    }),
  ];
};
