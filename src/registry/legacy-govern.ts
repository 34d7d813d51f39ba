/**
 * The pre-2023-03 `govern` hint, kept on the wire next to a proto that
 * reserves it.
 *
 * Bridges before 2023-03 take `governed` from RegistrationHints field 3
 * (default false); current ones reserve the field, ignore it, and govern every
 * cluster. Both are in the field, and the tool cannot tell them apart from the
 * wire (neither answers differently to a List). So Register always carries the
 * hint for the one meta cluster named in `governedBy`: the client writes
 * RegistrationHints by hand with field 3 = 1 appended — an old bridge reads it,
 * a current one skips an unknown varint as proto3 requires. `false` is never
 * written (it is proto3's default, and an absent field is what the current
 * contract expects). docs/architecture.md explains why this won over a
 * per-meta-cluster version switch.
 */

/** Field 4 (RegistrationHints) of RegisterRequest, and field 3 inside it. */
const HINTS_FIELD = 4;
const GOVERN_FIELD = 3;

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

const PREFERABILITY_NUMBER: Record<string, number> = { None: 0, Prefer: 1, DontSchedule: 2 };

/**
 * The RegistrationHints field of a RegisterRequest, encoded by hand so it can
 * carry field 3: `perfereability` (1, enum), `cordoned` (2, bool), `govern` (3, bool).
 */
export function encodeHintsField(hints: { perfereability: string | number; cordoned: boolean }, govern: boolean): Buffer {
  const body: number[] = [];
  const pref = typeof hints.perfereability === 'number' ? hints.perfereability : (PREFERABILITY_NUMBER[hints.perfereability] ?? 0);
  if (pref !== 0) body.push((1 << 3) | 0, ...varint(pref));
  if (hints.cordoned) body.push((2 << 3) | 0, 1);
  if (govern) body.push((GOVERN_FIELD << 3) | 0, 1);
  return Buffer.from([(HINTS_FIELD << 3) | 2, ...varint(body.length), ...body]);
}

/**
 * Wraps the generated RegisterRequest serializer: everything but the hints is
 * encoded by the current proto; the hints follow, written by
 * {@link encodeHintsField}. Field order does not matter in protobuf.
 */
export function withLegacyGovern(serialize: (value: object) => Buffer): (value: object) => Buffer {
  return (value) => {
    const request = value as { hints?: { perfereability: string | number; cordoned: boolean } | null; legacy_govern?: boolean };
    if (!request.hints) return serialize(value);
    const rest = serialize({ ...request, hints: null });
    return Buffer.concat([rest, encodeHintsField(request.hints, request.legacy_govern === true)]);
  };
}

/** Reads a varint at `pos`; returns the value and the next position. */
function readVarint(buf: Buffer, pos: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const byte = buf[pos++] as number;
    result += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [result, pos];
    shift += 7;
  }
}

/** Calls `fn(field, wireType, valueStart, valueEnd, varintValue)` for each top-level field of a message. */
function walkFields(buf: Buffer, fn: (field: number, wireType: number, start: number, end: number, value: number) => void): void {
  let pos = 0;
  while (pos < buf.length) {
    const [key, afterKey] = readVarint(buf, pos);
    const field = key >>> 3;
    const wireType = key & 7;
    let start = afterKey;
    let end: number;
    let value = 0;
    if (wireType === 0) [value, end] = readVarint(buf, afterKey);
    else if (wireType === 1) end = afterKey + 8;
    else if (wireType === 5) end = afterKey + 4;
    else if (wireType === 2) {
      const [len, afterLen] = readVarint(buf, afterKey);
      start = afterLen;
      end = afterLen + len;
    } else throw new Error(`unsupported wire type ${wireType}`);
    if (end > buf.length) throw new Error('truncated field');
    fn(field, wireType, start, end, value);
    pos = end;
  }
}

/**
 * The legacy `govern` hint of an encoded RegisterRequest (what a bridge before
 * 2023-03 decodes): field 3 of the last RegistrationHints occurrence, false when absent.
 */
export function readLegacyGovern(request: Buffer): boolean {
  let govern = false;
  walkFields(request, (field, wireType, start, end) => {
    if (field !== HINTS_FIELD || wireType !== 2) return;
    govern = false;
    walkFields(request.subarray(start, end), (inner, innerType, _s, _e, value) => {
      if (inner === GOVERN_FIELD && innerType === 0) govern = value !== 0;
    });
  });
  return govern;
}
