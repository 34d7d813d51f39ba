/** Limits that keep a hostile config from exhausting memory, stack or time. */

/** Config files larger than this are refused before parsing. */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** Deepest nesting of mappings and lists (aliases included). */
export const MAX_DEPTH = 64;
/** yaml's own alias-expansion guard ("billion laughs"), passed to `toJS`. */
export const MAX_ALIAS_COUNT = 100;
/** Nodes a document may expand to through aliases. */
export const MAX_EXPANDED_NODES = 500_000;
