/**
 * Receivers' documented size limits, and text cut to them meaningfully: a receiver that gets more rejects the message
 * (Slack answers `invalid_blocks`) or cuts it where it likes, mid-word, through the part that mattered.
 *
 * Slack Block Kit (api.slack.com/reference/block-kit/blocks): a header's plain_text at most 150 characters; a section's
 * text at most 3000 (its fields: at most 10, of 2000 each); at most 50 blocks; a message's `text` is cut after 40,000.
 * Teams connectors (learn.microsoft.com, "Create and send messages"): a message of at most 28 KB, the whole card.
 */
export const SLACK = { header: 150, section: 3000, fields: 10, field: 2000, blocks: 50, text: 40_000 } as const;
export const TEAMS = { bytes: 28 * 1024 } as const;

const MORE = '…';

/**
 * `text` in at most `max` characters. Cut, it keeps the most it can of its head: up to the last clause that fits
 * (`; `, `: `, `, `, a line break: `deployment X first generation aborted by Y at T…` rather than a word of the
 * consequence after it), else up to the last whole word, with `…` saying something was left out.
 */
export function fitLine(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= MORE.length) return MORE.slice(0, Math.max(0, max));
  const room = text.slice(0, max - MORE.length);
  // A clause boundary in the second half at least: a cut at the first colon would keep too little.
  const clause = Math.max(...['; ', ': ', ', ', '\n'].map((b) => room.lastIndexOf(b)));
  if (clause >= room.length / 2) return `${room.slice(0, clause).trimEnd()}${MORE}`;
  const word = room.search(/\s\S*$/);
  return `${(word > 0 ? room.slice(0, word) : room).trimEnd()}${MORE}`;
}

/**
 * `text` as pieces of at most `max` characters each, in order, split after a line break, else a space (a word longer
 * than `max` alone is split inside): joined again they are the text, nothing lost. At most `count` pieces: the last
 * one then ends with `…`.
 */
export function chunks(text: string, max: number, count = Infinity): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > max && out.length < count - 1) {
    const room = rest.slice(0, max);
    const line = room.lastIndexOf('\n');
    const space = room.lastIndexOf(' ');
    const cut = line > 0 ? line + 1 : space > 0 ? space + 1 : max;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  out.push(rest.length > max ? fitLine(rest, max) : rest);
  return out;
}

/** Bytes of `value` as JSON, as a receiver counts the body. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}
