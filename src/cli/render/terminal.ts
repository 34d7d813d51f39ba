/**
 * Whether a stream is a terminal that can redraw in place (cursor up, erase line).
 * `TERM=dumb` (Emacs shell buffers, `script` logs, some CI consoles that give a
 * pseudo-terminal) is a terminal that cannot: there the redrawing renderers
 * would leave their escape codes as garbage, so it gets plain lines.
 */
export function canRedraw(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && env.TERM !== 'dumb';
}
