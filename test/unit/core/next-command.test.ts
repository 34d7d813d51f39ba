import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nextCommands, reachFlags, shellQuote, urlWithoutPassword } from '../../../src/core/next-command.js';

describe('next commands: what the operator is told to run reaches the same state', () => {
  it('adds the state dir, absolute and quoted for sh, to every command that reads state', () => {
    const next = nextCommands({ stateDir: "/tmp/my state/it's" });
    expect(next.text('continue it with `ws-deployment resume d-1`, or `ws-deployment status --all`')).toBe(
      `continue it with \`ws-deployment resume d-1 --state-dir '/tmp/my state/it'\\''s'\`, or \`ws-deployment status --all --state-dir '/tmp/my state/it'\\''s'\``,
    );
    expect(next.text('ws-deployment shift resume d-1')).toBe(`ws-deployment shift resume d-1 --state-dir '/tmp/my state/it'\\''s'`);
  });

  it('leaves commands that name their state, commands that read none, and other text alone', () => {
    const next = nextCommands({ stateDir: '/s' });
    expect(next.text('`ws-deployment resume d-1 --state-dir /x`')).toBe('`ws-deployment resume d-1 --state-dir /x`');
    expect(next.text('`ws-deployment schema`')).toBe('`ws-deployment schema`');
    expect(next.text('ws-deployment needs helm >= 3.12')).toBe('ws-deployment needs helm >= 3.12');
    expect(next.text('no command here')).toBe('no command here');
  });

  it('names a PostgreSQL state by its variable when it came from one, else by its URL without the password', () => {
    expect(reachFlags({ stateDir: '/s', state: 'postgres://u:pw@db/wsd', stateFromEnv: true }, 'resume')).toBe(' --state-dir /s --state "$WS_DEPLOYMENT_STATE"');
    expect(reachFlags({ stateDir: '/s', state: 'postgres://u:pw@db/wsd?sslmode=disable&password=x', stateFromEnv: false }, 'resume')).toBe(
      " --state-dir /s --state 'postgres://u@db/wsd?sslmode=disable'",
    );
    expect(urlWithoutPassword('postgres://u:p%40ss@db:5432/wsd')).toBe('postgres://u@db:5432/wsd');
  });

  it('adds a named config only to the commands that read one', () => {
    const reach = { stateDir: '/s', config: '/c/deploy.yaml' };
    expect(reachFlags(reach, 'retire')).toBe(' --state-dir /s --config /c/deploy.yaml');
    expect(reachFlags(reach, 'resume')).toBe(' --state-dir /s');
  });

  it('completes clusters commands: their registry is found through the config, the sandbox one in the state dir', () => {
    const next = nextCommands({ stateDir: '/s', config: '/c/deploy.yaml' });
    expect(next.text('check them with `ws-deployment clusters list`')).toBe('check them with `ws-deployment clusters list --state-dir /s --config /c/deploy.yaml`');
    expect(next.text('`ws-deployment clusters list --meta m`')).toBe('`ws-deployment clusters list --meta m --state-dir /s --config /c/deploy.yaml`');
    // Given a bridge's address, it reaches that bridge directly: nothing to add.
    expect(next.text('`ws-deployment clusters list --bridge 127.0.0.1:9`')).toBe('`ws-deployment clusters list --bridge 127.0.0.1:9`');
  });

  it('says in words what a clusters command suggested without a config needs added, never as a command in backticks', () => {
    for (const next of [nextCommands({ stateDir: '/s' }), nextCommands({ stateDir: '/s', config: '-' })]) {
      expect(next.text('(check them with `ws-deployment clusters list`)')).toBe('(check them with ws-deployment clusters list --state-dir /s (add --config <your config>))');
      expect(next.text('ws-deployment clusters list --meta m')).toBe('add --config <your config> to ws-deployment clusters list --meta m --state-dir /s');
      // Other commands need no config (`resume ID` uses its journaled one), and a bridge's address needs none.
      expect(next.text('`ws-deployment resume d-1`')).toBe('`ws-deployment resume d-1 --state-dir /s`');
      expect(next.text('`ws-deployment clusters list --bridge 127.0.0.1:9`')).toBe('`ws-deployment clusters list --bridge 127.0.0.1:9`');
    }
  });

  it('says deploy, plan and retire suggested without a config, where no default config exists, in words too: they would exit 2', () => {
    for (const next of [nextCommands({ stateDir: '/s' }), nextCommands({ stateDir: '/s', config: '-' })]) {
      expect(next.text('start one with `ws-deployment deploy`')).toBe('start one with ws-deployment deploy --state-dir /s (add --config <your config>)');
      expect(next.text('retire it with `ws-deployment retire --cluster NAME --yes`')).toBe('retire it with ws-deployment retire --cluster NAME --yes --state-dir /s (add --config <your config>)');
      expect(next.text('ws-deployment plan')).toBe('add --config <your config> to ws-deployment plan --state-dir /s');
      // A suggestion that names its config already runs as it is.
      expect(next.text('`ws-deployment deploy --config /c/d.yaml`')).toBe('`ws-deployment deploy --config /c/d.yaml --state-dir /s`');
    }
  });

  it('keeps them commands where the default config exists: without --config they run with it', () => {
    const next = nextCommands({ stateDir: '/s', defaultConfig: true });
    expect(next.text('start one with `ws-deployment deploy`')).toBe('start one with `ws-deployment deploy --state-dir /s`');
    expect(next.text('`ws-deployment retire --cluster NAME --yes`')).toBe('`ws-deployment retire --cluster NAME --yes --state-dir /s`');
    expect(next.text('ws-deployment clusters list')).toBe('ws-deployment clusters list --state-dir /s');
  });

  it('completes them with the config a run read without naming it (resume ID: the one its deployment ran with)', () => {
    const next = nextCommands({ stateDir: '/s' });
    next.useConfig('/c/journaled.yaml');
    expect(next.text('`ws-deployment retire --cluster eu17 --yes`')).toBe('`ws-deployment retire --cluster eu17 --yes --state-dir /s --config /c/journaled.yaml`');
    expect(next.text('`ws-deployment resume d-1`')).toBe('`ws-deployment resume d-1 --state-dir /s`');
  });

  it('completes them, where the run shows one deployment and has no --config, with the config it ran with, not the default one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wsd-next-'));
    try {
      const journaled = join(dir, 'staging configs', 'sandbox.yaml');
      mkdirSync(dirname(journaled));
      writeFileSync(journaled, 'version: v1\n');
      // The default config exists, or WS_DEPLOYMENT_CONFIG names one: either may be another environment's.
      for (const reach of [{ stateDir: '/s', defaultConfig: true }, { stateDir: '/s', config: '/home/sre/prod.yaml' }]) {
        const next = nextCommands(reach);
        next.forDeployment(journaled);
        expect(next.text('`ws-deployment retire --cluster eu17 --yes`')).toBe(`\`ws-deployment retire --cluster eu17 --yes --state-dir /s --config '${journaled}'\``);
        // `resume ID` reads its journaled config, unless WS_DEPLOYMENT_CONFIG names another: then it is named.
        const resume = reach.config ? ` --config '${journaled}'` : '';
        expect(next.text('`ws-deployment resume d-1`')).toBe(`\`ws-deployment resume d-1 --state-dir /s${resume}\``);
        // Its config gone, or its journal unreadable: not known to be the default one, so words.
        for (const file of [join(dir, 'gone.yaml'), undefined]) {
          const unknown = nextCommands(reach);
          unknown.forDeployment(file);
          expect(unknown.text('`ws-deployment clusters list`')).toBe('ws-deployment clusters list --state-dir /s (add --config <your config>)');
          expect(unknown.text('`ws-deployment status d-1`')).toBe('`ws-deployment status d-1 --state-dir /s`');
        }
      }
      // --config on the command line stays, whatever the deployment ran with.
      const named = nextCommands({ stateDir: '/s', config: '/c/other.yaml', configFlag: true });
      named.forDeployment(journaled);
      named.forDeployment(undefined);
      expect(named.text('`ws-deployment retire --cluster eu17`')).toBe('`ws-deployment retire --cluster eu17 --state-dir /s --config /c/other.yaml`');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('completes commands anywhere in a JSON-like value, leaving the rest as it is', () => {
    const next = nextCommands({ stateDir: '/s' });
    expect(next.value({ a: ['see `ws-deployment status d`'], n: 3, command: 'ws-deployment shift abort d', none: undefined })).toEqual({
      a: ['see `ws-deployment status d --state-dir /s`'],
      n: 3,
      command: 'ws-deployment shift abort d --state-dir /s',
      none: undefined,
    });
    expect(shellQuote('/plain/path-1.2')).toBe('/plain/path-1.2');
  });
});
