/**
 * What a terminal can do, read from `TERM` the way terminfo would answer it.
 *
 * - Redrawing in place (the deploy view, `status --watch`) needs the ANSI (ECMA-48)
 *   cursor controls: cursor up, erase line, erase below. `TERM=dumb` (Emacs shell
 *   buffers, `script` logs, some CI consoles that give a pseudo-terminal), `TERM`
 *   unset or empty (a pseudo-terminal started without one: `docker run -t` with a
 *   bare environment, cron under `script`), `unknown`, and the VT52 family (whose
 *   cursor controls are not ANSI) have none: the codes would be left on screen as
 *   garbage, so they get plain lines.
 * - The alternate screen (`smcup`, `ESC[?1049h`, which `status --watch` draws on)
 *   is an xterm addition: the DEC VT100/VT220 entries, `ansi`, and the Linux and BSD
 *   consoles redraw in place but have none (terminfo gives them no `smcup`). There
 *   the watch appends its changed lines, as on a pipe.
 */
interface TerminalAbilities {
  /** Cursor up, erase line, erase below. */
  redraw: boolean;
  /** An alternate screen that gives the normal screen back untouched. */
  alternateScreen: boolean;
}

/** Terminal types without ANSI cursor controls (and an unset or empty TERM). */
const NO_CURSOR_CONTROL = /^(|dumb|unknown|vt5\d(-.*)?)$/;
/** ANSI terminal types whose terminfo entry has no `smcup`. */
const NO_ALTERNATE_SCREEN = /^(vt\d+(-.*)?|ansi(-.*)?|linux(-.*)?|cons\d+(-.*)?|pcansi(-.*)?|sun(-.*)?)$/;

export function terminalAbilities(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): TerminalAbilities {
  const term = (env.TERM ?? '').trim().toLowerCase();
  const redraw = stream.isTTY === true && !NO_CURSOR_CONTROL.test(term);
  return { redraw, alternateScreen: redraw && !NO_ALTERNATE_SCREEN.test(term) };
}

/** Whether `stream` is a terminal that can redraw in place (see {@link terminalAbilities}). */
export function canRedraw(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return terminalAbilities(stream, env).redraw;
}

/**
 * Whether this runs under CI, where nobody is at the terminal even when there is one: `CI` set to anything but
 * empty, `false` or `0` (any case). GitHub Actions and GitLab set `CI=true`; `CI=false` / `CI=0` is how a person
 * says "not CI" in a shell that inherits it (a dev container, a CI image used by hand), and ci-info, is-ci and the
 * AWS CDK CLI (`lib/cli/util/ci.ts`) read it so. Every reader of `CI` asks here, so they agree.
 */
export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = (env.CI ?? '').trim().toLowerCase();
  return value !== '' && value !== 'false' && value !== '0';
}
