/** A per-step log that cannot be written costs the log only, never the run. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemorySink } from '../../../src/core/events.js';
import { runTool } from '../../../src/tools/exec.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wsd-exec-log-'));
  dirs.push(dir);
  return dir;
}

describe('runTool with an unwritable log', () => {
  it('runs the tool and warns when a folder stands where the log file belongs', async () => {
    const logFile = join(tempDir(), 'install-gitpod.log');
    mkdirSync(logFile);
    const sink = new MemorySink();
    const result = await runTool({ argv: ['echo', 'hello'], logFile, sink, step: 'install-gitpod' });
    expect(result.stdout).toBe('hello\n');
    // The stream reports its failed open asynchronously, possibly after the tool ended.
    await vi.waitFor(() => expect(sink.codes()).toContain('tool.log-unwritable'), { timeout: 30_000 });
    expect(sink.events.find((e) => e.code === 'tool.log-unwritable')?.message).toContain(`cannot write the log ${logFile} (EISDIR)`);
  });

  it('runs the tool and warns when the logs folder cannot be made (a file in its place)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'logs'), 'not a folder');
    const sink = new MemorySink();
    const result = await runTool({ argv: ['echo', 'hello'], logFile: join(dir, 'logs', 'cluster', 'step.log'), sink });
    expect(result.exitCode).toBe(0);
    expect(sink.codes()).toContain('tool.log-unwritable');
  });
});
