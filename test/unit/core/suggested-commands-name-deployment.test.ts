/**
 * Every command the tool suggests about one deployment names it. Without an id, `shift pause|resume|promote|abort`
 * and `resume` act on the newest unfinished deployment of the state, and `status`/`report` show the newest one: run
 * later, or beside another deployment in the same state dir, such a command reaches the wrong deployment (a gate
 * event once said `shift resume` bare, and the CLI, CI logs and webhooks printed it so). The source's own string and
 * template literals are read with the TypeScript parser (comments and help texts that describe a command's form
 * are not suggestions), and each `ws-deployment …` command in backticks in them must carry an argument after its
 * subcommand: a `${…}` substitution (the id) or a placeholder the operator fills in (ID).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const SRC = join(ROOT, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** The text of each string and template literal, `${…}` kept as written. */
function literals(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node)) out.push(node.getText(source).replace(/\\`/g, '`'));
    else ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** Commands about one deployment: what acts on it or shows it (the default of each is the newest). */
const ABOUT_ONE = /^ws-deployment (shift (pause|resume|promote|abort)|resume|status|report)\b/;

/** Without an argument naming it, or with one that lists them all (`status --all`). */
function namesNoDeployment(command: string): boolean {
  const rest = command.replace(ABOUT_ONE, '').trim();
  if (/(^|\s)--all\b/.test(rest)) return false;
  const words = rest.split(/\s+/).filter((w) => w !== '');
  // Flags with a value (`--state-dir DIR`, `--output json`) are not the id.
  const args = words.filter((w, i) => !w.startsWith('-') && !(words[i - 1]?.startsWith('--') && !/^--(all|watch|retry-shift|yes)$/.test(words[i - 1]!)));
  return !args.some((a) => a.includes('${') || /^(ID|\[ID\])$/.test(a) || /^\d{8}-\d{6}-/.test(a));
}

describe('suggested commands name the deployment', () => {
  it('every `ws-deployment shift|resume|status|report` in a string of src/ names its deployment', () => {
    const bare: string[] = [];
    for (const file of sources(SRC)) {
      for (const literal of literals(file)) {
        for (const m of literal.matchAll(/`(ws-deployment [^`]+)`/g)) {
          const command = m[1]!;
          if (ABOUT_ONE.test(command) && namesNoDeployment(command)) bare.push(`${relative(ROOT, file)}: ${command}`);
        }
      }
    }
    expect(bare).toEqual([]);
  });

  it('tells a bare command from one that names its deployment', () => {
    expect(namesNoDeployment('ws-deployment shift resume')).toBe(true);
    expect(namesNoDeployment('ws-deployment status')).toBe(true);
    expect(namesNoDeployment('ws-deployment status --output json')).toBe(true);
    expect(namesNoDeployment('ws-deployment shift resume ${id}')).toBe(false);
    expect(namesNoDeployment('ws-deployment status --watch ${holder.deploymentId}')).toBe(false);
    expect(namesNoDeployment('ws-deployment resume ID --retry-shift')).toBe(false);
    expect(namesNoDeployment('ws-deployment status --all')).toBe(false);
  });
});
