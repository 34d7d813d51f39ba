/**
 * YAML files the config points at (values files, the versions manifest), read
 * through the same hardened reader as the config itself and interpreted once
 * per process: config validation reads them first, the install steps later get
 * the cached result, so a deploy never parses a file twice.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, statSync, type Stats } from 'node:fs';
import type { Document, LineCounter } from 'yaml';
import { deepFreeze } from '../../core/deep-freeze.js';
import { WsdError } from '../../core/errors.js';
import { MAX_CONFIG_BYTES } from '../yaml/limits.js';
import { locate } from '../yaml/locate.js';
import { readYaml } from '../yaml/read-yaml.js';

/** One problem with a referenced file: the file as a whole (`line` 0), its YAML syntax, or its content. */
export interface FileProblem {
  kind: 'file' | 'yaml' | 'content';
  /** 1-based position inside the referenced file; 0 for problems with the file as a whole. */
  line: number;
  col: number;
  /**
   * Lowercase, one line; what is wrong, not what to do (the caller knows the
   * remedy). Whole-file problems are a predicate: "does not exist".
   */
  message: string;
}

/** A referenced file that parsed as YAML, handed to a {@link YamlFileKind} to judge its shape. */
interface ParsedYamlFile {
  /** The document as plain JS (`null` for an empty file). */
  value: unknown;
  /** 1-based line and column of the node at `path` (the deepest existing one), for content problems. */
  positionOf(path: readonly PropertyKey[]): { line: number; col: number };
}

export type FileOutcome<T> = { ok: true; value: T } | { ok: false; problems: FileProblem[] };

/** What a kind of file must hold: `subject` names it in messages ("values file"). */
export interface YamlFileKind<T> {
  subject: string;
  interpret(file: ParsedYamlFile): FileOutcome<T>;
}

interface CacheEntry {
  text: string;
  outcome: FileOutcome<unknown>;
}

/** The identity of a file's content as far as stat can tell: any write changes ctime. */
function statKey(stat: Stats): string {
  return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`;
}

/**
 * Texts read before, by path, valid while one stat says the file is unchanged: `plan` of 500
 * clusters reads the same values files and versions manifest 500 times, and a stat is a quarter
 * of open + fstat + read + close.
 */
const texts = new Map<string, { key: string; text: string }>();

/** Reused: constructing a decoder per file was a measurable part of planning many clusters. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Per kind, per absolute path: the outcome, valid while the file's text is unchanged. */
const cache = new WeakMap<YamlFileKind<unknown>, Map<string, CacheEntry>>();

function wholeFile(message: string): FileOutcome<never> {
  return { ok: false, problems: [{ kind: 'file', line: 0, col: 0, message }] };
}

/**
 * The file's text, or why it cannot be had. Size and type are checked on the open
 * handle before reading: a FIFO would block and a huge file would be read whole.
 */
function readText(file: string): { text: string } | { problem: FileOutcome<never> } {
  const known = texts.get(file);
  if (known) {
    let stat: Stats | undefined;
    try {
      stat = statSync(file);
    } catch {
      stat = undefined; // gone or unreadable: the full read below says why
    }
    if (stat?.isFile() && statKey(stat) === known.key) return { text: known.text };
    texts.delete(file);
  }
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer; regular files ignore it.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    return { problem: wholeFile(code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`) };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { problem: wholeFile('is not a regular file') };
    if (stat.size > MAX_CONFIG_BYTES) return { problem: wholeFile(`is ${stat.size} bytes; the limit is ${MAX_CONFIG_BYTES} bytes (1 MiB)`) };
    const bytes = readFileSync(fd);
    try {
      const text = UTF8.decode(bytes);
      // Keyed by the stat taken before the read: a write during the read changes ctime, so the
      // next stat misses and the file is read again.
      texts.set(file, { key: statKey(stat), text });
      return { text };
    } catch {
      return { problem: wholeFile('is not valid utf-8; save it as utf-8 text') };
    }
  } catch (error) {
    return { problem: wholeFile(`cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`) };
  } finally {
    closeSync(fd);
  }
}

function positionIn(lineCounter: LineCounter, offset: number): { line: number; col: number } {
  const { line, col } = lineCounter.linePos(offset);
  return { line: Math.max(line, 1), col: Math.max(col, 1) };
}

function interpretText<T>(text: string, kind: YamlFileKind<T>): FileOutcome<T> {
  const read = readYaml(text, kind.subject);
  if (read.issues.length > 0 || read.doc === undefined) {
    return { ok: false, problems: read.issues.map((issue) => ({ kind: 'yaml', ...positionIn(read.lineCounter, issue.offset), message: issue.message })) };
  }
  const doc: Document = read.doc;
  return kind.interpret({ value: read.value ?? null, positionOf: (path) => positionIn(read.lineCounter, locate(doc, path).valueOffset) });
}

/** The cached outcome of `file` as a `kind` file, (re)interpreted when its text changed. */
function cachedOutcome<T>(file: string, kind: YamlFileKind<T>): FileOutcome<T> {
  const read = readText(file);
  if ('problem' in read) return read.problem;
  let byFile = cache.get(kind as YamlFileKind<unknown>);
  if (byFile === undefined) {
    byFile = new Map();
    cache.set(kind as YamlFileKind<unknown>, byFile);
  }
  let entry = byFile.get(file);
  if (entry?.text !== read.text) {
    entry = { text: read.text, outcome: interpretText(read.text, kind) };
    byFile.set(file, entry);
  }
  return entry.outcome as FileOutcome<T>;
}

/**
 * Reads `file` (absolute) as a `kind` file. Never throws: every problem comes
 * back positioned inside the file. The outcome is cached by the file's text, and
 * a value is returned as a copy so callers may change it freely.
 */
export function readYamlFile<T>(file: string, kind: YamlFileKind<T>): FileOutcome<T> {
  const outcome = cachedOutcome(file, kind);
  return outcome.ok ? { ok: true, value: structuredClone(outcome.value) } : outcome;
}

/**
 * Like {@link readYamlFile}, without the copy: the value is the cached one, deeply
 * frozen, and the same object for as long as the file's text is unchanged, so a
 * caller may memoize what it derives from it by identity (`plan` merges the same
 * values files for every cluster).
 */
export function readYamlFileShared<T>(file: string, kind: YamlFileKind<T>): FileOutcome<Readonly<T>> {
  const outcome = cachedOutcome(file, kind);
  // Frozen here, not when cached: the other readers only ever see copies of it.
  if (outcome.ok) deepFreeze(outcome.value);
  return outcome;
}

/** `/abs/values/eu.yaml:3:6: yaml …` for a positioned problem, `values file /abs/values/eu.yaml does not exist` otherwise. */
export function describeProblem(file: string, subject: string, problem: FileProblem): string {
  return problem.line > 0 ? `${file}:${problem.line}:${problem.col}: ${problem.message}` : `${subject} ${file} ${problem.message}`;
}

/**
 * Throws the first problem of a file read by a step (after validation, so only
 * a file changed since, or a caller that skipped validation, gets here).
 */
export function throwFileProblem(file: string, subject: string, problem: FileProblem): never {
  const text =
    problem.kind === 'yaml'
      ? `${subject} ${file} is not valid YAML: ${describeProblem(file, subject, problem)}; fix the file`
      : problem.kind === 'file'
        ? `${describeProblem(file, subject, problem)}; fix the path in the config`
        : `${subject} ${describeProblem(file, subject, problem)}; fix the file`;
  throw new WsdError('ConfigInvalid', text, { details: { file, line: problem.line, col: problem.col } });
}
