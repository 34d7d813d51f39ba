/**
 * The final error of a run: one `error: …` line, or one NDJSON event with
 * --json-log, and the exit code the README's table promises.
 */
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { exitCodeFor, WsdError } from '../../../src/core/errors.js';
import { ErrorOutput, jsonLogRequested } from '../../../src/cli/render/error-output.js';

function stream() {
  const chunks: string[] = [];
  return { write: (t: string) => chunks.push(t), text: () => chunks.join('') };
}

function ndjson(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('exit codes of not-found errors', () => {
  it('a deployment id or registry name that does not exist is a usage error (2), like a bad argument', () => {
    expect(exitCodeFor(new WsdError('DeploymentNotFound', 'deployment nope not found'))).toBe(2);
    expect(exitCodeFor(new WsdError('RegistryNotFound', 'cluster nope is not registered'))).toBe(2);
  });

  it('a failed remote operation stays 1, a refusal 3', () => {
    expect(exitCodeFor(new WsdError('RegistryUnavailable', 'cannot reach'))).toBe(1);
    expect(exitCodeFor(new WsdError('StateIo', 'cannot list'))).toBe(1);
    expect(exitCodeFor(new WsdError('ResumeRefused', 'already succeeded'))).toBe(3);
  });
});

describe('jsonLogRequested', () => {
  it('finds --json-log anywhere before --, since parsing may fail before options exist', () => {
    expect(jsonLogRequested(['node', 'bin', 'deploy', '--json-log', '--concurrency', 'abc'])).toBe(true);
    expect(jsonLogRequested(['node', 'bin', '--json-log', 'frob'])).toBe(true);
    expect(jsonLogRequested(['node', 'bin', 'deploy'])).toBe(false);
    expect(jsonLogRequested(['node', 'bin', 'deploy', '--', '--json-log'])).toBe(false);
  });
});

describe('ErrorOutput', () => {
  it('plain: one error line for our errors, exit code by error code', () => {
    const err = stream();
    const code = new ErrorOutput(false, err, stream()).report(new WsdError('DeploymentNotFound', 'deployment nope not found in /s'));
    expect(code).toBe(2);
    expect(err.text()).toBe('error: deployment nope not found in /s\n');
  });

  it('--json-log: one NDJSON event with the error code and exit code', () => {
    const err = stream();
    const code = new ErrorOutput(true, err, stream()).report(new WsdError('RegistryUnavailable', 'cannot reach 127.0.0.1:1', { details: { address: '127.0.0.1:1' } }));
    expect(code).toBe(1);
    const events = ndjson(err.text());
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ level: 'error', code: 'cli.error', message: 'cannot reach 127.0.0.1:1', data: { error: 'RegistryUnavailable', exitCode: 1, details: { address: '127.0.0.1:1' } } });
    expect(typeof events[0]?.time).toBe('string');
  });

  it('--json-log: a bug is one NDJSON event too, stack in data', () => {
    const err = stream();
    expect(new ErrorOutput(true, err, stream()).report(new Error('boom'))).toBe(1);
    const [event] = ndjson(err.text());
    expect(event).toMatchObject({ level: 'error', code: 'cli.error', message: 'internal error (please report): boom', data: { error: 'Internal', exitCode: 1 } });
    expect(String((event?.data as { stack: string }).stack)).toContain('boom');
  });

  it('--json-log: details that do not serialise still leave the message', () => {
    const err = stream();
    new ErrorOutput(true, err, stream()).report(new WsdError('ToolFailed', 'terraform failed', { details: { big: 1n } }));
    expect(ndjson(err.text())[0]).toMatchObject({ message: 'terraform failed', data: { error: 'ToolFailed', exitCode: 1 } });
  });

  it('a commander error nobody printed (thrown by our code) is printed, not swallowed', () => {
    const err = stream();
    const code = new ErrorOutput(false, err, stream()).report(new CommanderError(1, 'commander.invalidArgument', 'score must be a whole number, got "abc"'));
    expect(code).toBe(2);
    expect(err.text()).toContain('error: score must be a whole number, got "abc"');
  });

  it('a commander error commander printed is not printed twice', () => {
    const err = stream();
    const output = new ErrorOutput(false, err, stream());
    output.commanderOutput().outputError?.("error: unknown option '--frob'\n", (t) => err.write(t));
    expect(output.report(new CommanderError(1, 'commander.unknownOption', "error: unknown option '--frob'"))).toBe(2);
    expect(err.text()).toBe("error: unknown option '--frob'\n");
  });

  it('--json-log: commander prints nothing itself; the error becomes one NDJSON event', () => {
    const err = stream();
    const output = new ErrorOutput(true, err, stream());
    output.commanderOutput().outputError?.("error: unknown command 'frob'\n", (t) => err.write(t));
    expect(err.text()).toBe('');
    expect(output.report(new CommanderError(1, 'commander.unknownCommand', "error: unknown command 'frob'"))).toBe(2);
    expect(ndjson(err.text())).toEqual([
      expect.objectContaining({ code: 'cli.error', message: "unknown command 'frob' (run with --help for usage)", data: { error: 'UsageError', exitCode: 2, reason: 'commander.unknownCommand' } }),
    ]);
  });

  it('help and version are successes; help shown for a missing command is a usage error', () => {
    const output = new ErrorOutput(false, stream(), stream());
    expect(output.report(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'))).toBe(0);
    expect(output.report(new CommanderError(0, 'commander.version', '0.1.0'))).toBe(0);
    expect(output.report(new CommanderError(1, 'commander.help', '(outputHelp)'))).toBe(2);
  });

  it('--json-log: usage shown for a missing command goes to stdout, stderr gets the event', () => {
    const err = stream();
    const out = stream();
    const output = new ErrorOutput(true, err, out);
    output.commanderOutput().writeErr?.('Usage: ws-deployment [options] [command]\n');
    expect(output.report(new CommanderError(1, 'commander.help', '(outputHelp)'))).toBe(2);
    expect(out.text()).toContain('Usage: ws-deployment');
    expect(ndjson(err.text())).toEqual([expect.objectContaining({ code: 'cli.error', data: { error: 'UsageError', exitCode: 2 } })]);
  });
});

describe('secrets in the final error', () => {
  const bad = 'http://u:pw-9f8e7d6c@127.0.0.1:99999';
  const usage = new WsdError('UsageError', `--otlp-endpoint must be an http(s) URL, got "${bad}"`);

  it('masks a password the message quotes, plain and as NDJSON', () => {
    const plain = stream();
    new ErrorOutput(false, plain).report(usage);
    expect(plain.text()).toBe('error: --otlp-endpoint must be an http(s) URL, got "http://u:[REDACTED]@127.0.0.1:99999"\n');
    const json = stream();
    new ErrorOutput(true, json).report(new WsdError('StateIo', 'cannot reach postgres://d@h/db?password=pw-9f8e7d6c', { details: { url: bad } }));
    expect(json.text()).not.toContain('pw-9f8e7d6c');
  });

  it('masks it in what commander prints about a bad option value', () => {
    const out = new ErrorOutput(false);
    let written = '';
    out.commanderOutput().outputError?.(`error: option '--otlp-endpoint <url>' argument '${bad}' is invalid.\n`, (t) => (written += t));
    expect(written).not.toContain('pw-9f8e7d6c');
    const plain = stream();
    new ErrorOutput(false, plain).report(new Error(`boom at ${bad}`));
    expect(plain.text()).not.toContain('pw-9f8e7d6c');
  });
});
