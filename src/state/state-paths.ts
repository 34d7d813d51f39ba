/**
 * Paths in the journal are relative to the state dir, so a state dir can be
 * copied or moved (`cp -r .ws-deployment /elsewhere`) and a run in the copy
 * acts on the copy's files only, never on the original's.
 *
 * On append, every string that names a file under the state dir is written as
 * `<state-dir>/relative/path`; on read it is resolved against the state dir in
 * use. Journals written before this (absolute paths) are rebased: their
 * original state dir is found from the deployment's own folder
 * (`<old-root>/<id>/…`) or the shared Terraform state folder
 * (`<old-root>/terraform-state/…`), and paths under it are moved onto the
 * current state dir. Paths outside the state dir (config files, an ops
 * repository's generated modules) are journaled as they are; whoever acts on
 * a file that must be state (a local Terraform state) checks
 * {@link assertInsideStateDir} first.
 */
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { WsdError } from '../core/errors.js';

/** The journaled form of a path under the state dir. */
const STATE_DIR_MARK = '<state-dir>/';

/** True when `path` is `root` or lies under it (both absolute). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(resolve(root), resolve(path));
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function mapStrings(value: unknown, change: (s: string) => string): unknown {
  if (typeof value === 'string') return change(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, change));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = mapStrings(v, change);
    return out;
  }
  return value;
}

/** The journaled form of `value`: paths under `root` become `<state-dir>/…`. */
export function toJournalPaths<T>(value: T, root: string): T {
  const base = resolve(root);
  return mapStrings(value, (s) => {
    if (!isAbsolute(s) || s.includes('\n')) return s;
    if (!isInside(base, s)) return s;
    const rel = relative(base, s);
    return `${STATE_DIR_MARK}${rel.split(sep).join('/')}`;
  }) as T;
}

/** A path under the state dir that does not spell the state dir out: `//`, `/./`, `/../`, or a trailing `/.`/`/..`. */
const UNNORMALISED = /\/\.{0,2}(?:\/|")/;

/**
 * `JSON.stringify(toJournalPaths(value, root))`, without the deep copy when nothing in it can
 * name a file under `root`: every record and the snapshot go through here, and for most of
 * them (no paths) the copy cost several times the serialisation. Conservative: the text must
 * not contain the state dir nor any unnormalised path, else the full mapping runs.
 */
export function journalText(value: unknown, root: string): string {
  const text = JSON.stringify(value);
  const { base, plain } = resolvedRoot(root);
  if (plain && !text.includes(base) && !UNNORMALISED.test(text)) return text;
  return JSON.stringify(toJournalPaths(value, root));
}

/**
 * `root` resolved, and whether JSON spells it as it is. Kept for the last absolute root (a relative
 * one depends on the working directory): per record, resolving cost as much as the checks.
 */
let lastRoot: { root: string; base: string; plain: boolean } | undefined;
function resolvedRoot(root: string): { base: string; plain: boolean } {
  if (lastRoot?.root === root) return lastRoot;
  const base = resolve(root);
  const resolved = { root, base, plain: JSON.stringify(base) === `"${base}"` };
  if (isAbsolute(root)) lastRoot = resolved;
  return resolved;
}

/**
 * The state dir an older journal (absolute paths) was written in: the folder
 * holding `<id>/` or `terraform-state/` in one of its paths. Undefined when no
 * path shows it.
 */
export function originalRoot(values: readonly unknown[], id: string): string | undefined {
  let found: string | undefined;
  let fallback: string | undefined;
  const visit = (s: string): string => {
    if (found || !isAbsolute(s)) return s;
    const own = s.indexOf(`/${id}/`);
    if (own > 0) found = s.slice(0, own);
    else if (s.endsWith(`/${id}`)) found = s.slice(0, -id.length - 1);
    else if (!fallback) {
      const tf = s.indexOf('/terraform-state/');
      if (tf > 0) fallback = s.slice(0, tf);
    }
    return s;
  };
  for (const v of values) mapStrings(v, visit);
  return found ?? fallback;
}

/**
 * Resolves journaled paths against the state dir in use: `<state-dir>/…` under
 * `root`, and absolute paths under `legacyRoot` (an older journal's state dir)
 * rebased onto `root`. Other strings are returned as they are.
 */
export function fromJournalPaths<T>(value: T, root: string, legacyRoot?: string): T {
  const base = resolve(root);
  return mapStrings(value, (s) => {
    if (s.startsWith(STATE_DIR_MARK)) return join(base, ...s.slice(STATE_DIR_MARK.length).split('/'));
    if (legacyRoot && isAbsolute(s) && !isInside(base, s) && isInside(legacyRoot, s)) return join(base, relative(legacyRoot, s));
    return s;
  }) as T;
}

/**
 * Refuses to act on `path` when it is not under the state dir: a journal copied
 * from elsewhere must never make this run change another state dir's files.
 */
export function assertInsideStateDir(root: string, path: string, what: string): void {
  if (isInside(root, path)) return;
  throw new WsdError(
    'StateCorrupt',
    `${what} ${path} lies outside the state dir ${root} this run was given; ws-deployment acts only on files in its own state dir. ` +
      `If that file belongs to this state dir, copy it to ${join(root, relative(join(path, '..', '..'), path))} (the same place under this state dir) and run again; otherwise run the command with --state-dir set to the folder that holds it`,
    { details: { path, stateDir: root } },
  );
}
