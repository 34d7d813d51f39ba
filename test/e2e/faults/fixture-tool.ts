/**
 * Puts a scripted stand-in for a tool (helm, terraform) first on the CLI's PATH.
 * The behaviour lives in a readable fixture under test/fixtures/faults/; the
 * executable written here is a two-line bootstrap named like the tool that
 * imports it, and `<name>.json` beside it is the scenario's configuration (the
 * CLI passes tools only an allow-listed environment, so a file is the channel).
 * The fixture appends one JSON line per event to `<name>.calls.jsonl`.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO } from '../../helpers/cli.js';

export interface ToolCall {
  event: string;
  argv: string[];
  pid: number;
  [key: string]: unknown;
}

export interface FixtureTool {
  dir: string;
  /** PATH with the tool's folder first. */
  path: string;
  /** Replaces the scenario configuration (takes effect on the next call). */
  configure(config: Record<string, unknown>): void;
  calls(): ToolCall[];
  cleanup(): void;
}

/** Installs `test/fixtures/faults/<fixture>` as the executable `name` in a fresh temp folder. */
export function fixtureTool(name: string, fixture: string, config: Record<string, unknown>): FixtureTool {
  const dir = mkdtempSync(join(tmpdir(), `wsd-fault-${name}-`));
  mkdirSync(dir, { recursive: true });
  const exe = join(dir, name);
  const url = pathToFileURL(join(REPO, 'test', 'fixtures', 'faults', fixture)).href;
  writeFileSync(exe, `#!${process.execPath}\nimport(${JSON.stringify(url)});\n`);
  chmodSync(exe, 0o755);
  const callsFile = join(dir, `${name}.calls.jsonl`);
  const configure = (next: Record<string, unknown>): void => writeFileSync(join(dir, `${name}.json`), JSON.stringify({ ...next, callsFile }));
  configure(config);
  return {
    dir,
    path: [dir, process.env.PATH ?? ''].join(delimiter),
    configure,
    calls: () => {
      let text = '';
      try {
        text = readFileSync(callsFile, 'utf8');
      } catch {
        return [];
      }
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as ToolCall);
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
