/**
 * What `--help` tells a user: every command has an example; a subcommand lists
 * the global flags that apply there (deploy: --dry-run, --yes, --only,
 * --cluster-id); deploy says it shifts traffic and retires; and `--output`
 * takes the same values everywhere; every example parses.
 */
import { CommanderError, type Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../src/cli/program.js';

function all(command: Command, path: string[] = []): Array<[string, Command]> {
  return command.commands.flatMap((c) => [[[...path, c.name()].join(' '), c] as [string, Command], ...all(c, [...path, c.name()])]);
}

/** The whole --help text, the "after" part (examples) included. */
function help(c: Command): string {
  let text = '';
  c.configureOutput({ writeOut: (t) => void (text += t), writeErr: (t) => void (text += t) });
  c.outputHelp();
  return text;
}

describe('help', () => {
  const program = buildProgram();

  it('every command ends with an example', () => {
    // `clusters update <property>` shows its parent's examples' shape; that tree belongs to the clusters commands.
    const commands = all(program).filter(([name]) => !/^clusters update \S/.test(name));
    const missing = commands.filter(([, c]) => !/\nExamples:\n {2}\$ ws-deployment /.test(help(c))).map(([name]) => name);
    expect(missing).toEqual([]);
  });

  it('deploy --help shows the global flags a deploy uses, and what a deploy does', () => {
    const deploy = program.commands.find((c) => c.name() === 'deploy') as Command;
    const text = help(deploy);
    for (const flag of ['--dry-run', '--yes', '--only', '--skip', '--cluster-id', '--config', '--state-dir']) expect(text).toContain(flag);
    expect(text).toMatch(/shift traffic onto them/);
    expect(text).toMatch(/retire the old generation/);
  });

  it('status --help shows only the flags that apply to it', () => {
    const text = help(program.commands.find((c) => c.name() === 'status') as Command);
    expect(text).toContain('--state-dir');
    expect(text).not.toContain('--fail-fast');
    expect(text).not.toContain('--dry-run');
  });

  it('--output takes text|json everywhere, and table as another name for text', async () => {
    for (const path of [['plan'], ['status'], ['clusters', 'list']]) {
      let c: Command = program;
      for (const name of path) c = c.commands.find((x) => x.name() === name) as Command;
      const option = c.options.find((o) => o.long === '--output');
      expect(option?.argChoices, path.join(' ')).toEqual(['text', 'json', 'table']);
      expect(option?.defaultValue).toBe('text');
      expect(option?.description).toBe('text or json ("table" is accepted for text)');
    }
  });

  it('every example of every --help parses: its flags exist and take the values it gives them', async () => {
    const lines = [program, ...all(program).map(([, c]) => c)].flatMap((c) => [...help(c).matchAll(/^ {2}\$ (.+)$/gm)].map((m) => m[1] as string));
    expect(lines.length).toBeGreaterThan(20);
    const refused: string[] = [];
    for (const line of new Set(lines)) {
      // Shell around the command (`CI=true …`, `> file`, `# comment`) is not ours to parse.
      const words = line.replace(/\s+#.*$/, '').replace(/\s*>.*$/, '').split(/\s+/).filter((w) => !/^[A-Z_]+=/.test(w));
      expect(words[0], line).toBe('ws-deployment');
      // A fresh program whose commands do nothing: only commander and the option parsers run.
      const parser = buildProgram();
      for (const [, c] of all(parser)) c.action(async () => undefined).configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => undefined });
      parser.configureOutput({ writeOut: () => undefined, writeErr: () => undefined, outputError: () => undefined });
      try {
        await parser.parseAsync(['node', ...words]);
      } catch (error) {
        if (!(error instanceof CommanderError && error.code === 'commander.helpDisplayed')) refused.push(`${line}: ${(error as Error).message}`);
      }
    }
    expect(refused).toEqual([]);
  });
});
