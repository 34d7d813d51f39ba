/**
 * Tests that need a real binary (terraform, prometheus, postgres) call this.
 * Locally a missing binary skips with a printed reason; in CI (`WSD_REQUIRE_TOOLS=1`,
 * set by .ci/run) a missing binary fails the suite, so CI never hides a missing component.
 */
import { execFileSync } from 'node:child_process';

export function hasBinary(name: string): boolean {
  try {
    execFileSync('which', [name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns true when the binary is there. When it is not: throws under
 * WSD_REQUIRE_TOOLS=1, otherwise prints why and returns false (use with `describe.skipIf`).
 */
export function requireBinary(name: string, why: string): boolean {
  if (hasBinary(name)) return true;
  const message = `${name} is not on PATH (${why})`;
  if (process.env.WSD_REQUIRE_TOOLS === '1') throw new Error(`${message}; CI requires it — install it in .ci/run`);
  console.warn(`skipping: ${message}`);
  return false;
}

/**
 * Like {@link requireBinary} for a capability that is not a binary (mounting
 * a tmpfs, say): `available` false throws under WSD_REQUIRE_TOOLS=1, else prints why.
 */
export function requireCapability(available: boolean, what: string, why: string): boolean {
  if (available) return true;
  const message = `cannot ${what} here (${why})`;
  if (process.env.WSD_REQUIRE_TOOLS === '1') throw new Error(`${message}; CI requires it`);
  console.warn(`skipping: ${message}`);
  return false;
}
