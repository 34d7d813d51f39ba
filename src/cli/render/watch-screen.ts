/**
 * The screen of `status --watch` on a terminal: the terminal's alternate screen
 * (as watch(1), top and less use it), redrawn whole from its top-left corner.
 *
 * Why not redraw in place on the normal screen, as log-update does: erasing the
 * last frame means moving up the rows it took, and after a resize nobody knows
 * that count. VTE (GNOME Terminal), iTerm2, kitty and xterm.js re-wrap the rows
 * already on screen (narrower: a frame's line takes two rows), xterm cuts them; a
 * count for one is wrong for the other, and left an older frame's lines behind or
 * erased the operator's own lines above the watch. A frame taller than the
 * terminal cannot be erased at all (its top has scrolled away). On the alternate
 * screen a frame is drawn from the top-left corner, every row erased before it is
 * written and everything below erased after it, so whatever the terminal did to
 * the previous frame is gone; the normal screen, with the operator's lines, is
 * left alone and comes back as it was when the watch ends.
 *
 * A frame is cut to the terminal: each line to its width (cli-truncate measures
 * wide characters), and a frame taller than the screen to its height, with a last
 * row that says how many lines are not shown. When the watch ends the last frame
 * is printed whole on the normal screen, where it stays in the scrollback.
 */
import { fitTerminalWidth } from './fit-width.js';
import { holdTerminalMode } from '../job-control.js';
import { ECHO_FOUND_OFF, holdEchoOff } from './terminal-echo.js';

/** Used when the stream does not say (a fake in tests). */
const DEFAULT_COLUMNS = 80;
const DEFAULT_ROWS = 24;

const ENTER_ALTERNATE = '\x1b[?1049h';
const LEAVE_ALTERNATE = '\x1b[?1049l';
const HOME = '\x1b[H';
const ERASE_LINE = '\x1b[2K';
const ERASE_BELOW = '\x1b[J';
/** The whole screen: after a resize a re-wrapping terminal marks rows as continuations, which erasing a line keeps. */
const ERASE_SCREEN = '\x1b[2J';

interface WatchScreen {
  /** Shows `lines` as the current frame (drawn again, for the new size, whenever the terminal is resized). */
  draw(lines: readonly string[]): void;
  /** Gives the normal screen back and prints the last frame on it (each line cut to the width). Idempotent. */
  close(): void;
}

export function watchScreen(out: NodeJS.WriteStream): WatchScreen {
  let shown: readonly string[] | undefined;
  let open = false;
  const width = (): number => out.columns || DEFAULT_COLUMNS;
  const paint = (clear = false): void => {
    if (!shown) return;
    const rows = out.rows || DEFAULT_ROWS;
    // The row under the frame holds the cursor: a frame ending on the last row would scroll the screen by one.
    const fit = shown.length < rows ? shown : [...shown.slice(0, Math.max(0, rows - 2)), `… ${shown.length - Math.max(0, rows - 2)} more lines: a taller terminal shows them`];
    // One write: a terminal never shows half a frame, and a signal handler never runs between its parts.
    out.write(`${HOME}${clear ? ERASE_SCREEN : ''}${fit.map((l) => `${ERASE_LINE}${fitTerminalWidth(l, width())}\n`).join('')}${ERASE_BELOW}`);
  };
  const onResize = (): void => paint(true);
  // Ctrl-Z: the shell gets its normal screen back; `fg` draws the frame again on the alternate one.
  const mode = { leave: () => out.write(LEAVE_ALTERNATE), retake: () => (out.write(ENTER_ALTERNATE), paint(true)) };
  let release = (): void => undefined;
  let releaseEcho = (): void => undefined;
  /** The echo was off before the watch: said under the last frame, where it stays (terminal-echo.ts). */
  let foundOff = false;
  return {
    draw: (lines) => {
      if (!open) {
        open = true;
        out.write(ENTER_ALTERNATE);
        out.on('resize', onResize);
        // A key typed meanwhile was echoed by the terminal at the cursor, under the frame, until the next one erased
        // it: off as in deploy's view (given back at close, on Ctrl-Z and at the process's exit: terminal-echo.ts).
        // Held first, so `fg` takes it back before the frame is drawn again.
        releaseEcho = holdEchoOff(out, () => (foundOff = true));
        release = holdTerminalMode(mode);
      }
      shown = lines;
      paint();
    },
    close: () => {
      if (!open) return;
      open = false;
      out.off('resize', onResize);
      releaseEcho();
      release();
      // The warning whole (the normal screen wraps it): nothing redraws it.
      const warning = foundOff ? `warning: ${ECHO_FOUND_OFF}\n` : '';
      out.write(`${LEAVE_ALTERNATE}${(shown ?? []).map((l) => `${fitTerminalWidth(l, width())}\n`).join('')}${warning}`);
    },
  };
}
