/**
 * Reads a V8 `.cpuprofile` (from `node --cpu-prof`) and aggregates sample time
 * by function (self time) and by file (self time), so a benchmark can say
 * exactly where the time went instead of guessing.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Self time per function and per file, largest first, in ms. */
export function summarizeProfile(path, { top = 15, root = '' } = {}) {
  const profile = JSON.parse(readFileSync(path, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map();
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  const totalUs = profile.endTime - profile.startTime;
  const usPerSample = totalUs / Math.max(1, profile.samples.length);
  const fn = new Map();
  const file = new Map();
  for (const [id, count] of counts) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const shortUrl = url.replace(`file://${root}`, '').replace(/^file:\/\//, '');
    const label = `${functionName || '(anonymous)'} ${shortUrl ? `${shortUrl}:${lineNumber + 1}` : ''}`.trim();
    const ms = (count * usPerSample) / 1000;
    fn.set(label, (fn.get(label) ?? 0) + ms);
    const fileKey = shortUrl || `(${functionName})`;
    file.set(fileKey, (file.get(fileKey) ?? 0) + ms);
  }
  const sorted = (m) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, ms]) => ({ name, ms: Math.round(ms * 10) / 10 }));
  return { totalMs: totalUs / 1000, functions: sorted(fn), files: sorted(file) };
}

/** Per bundle file: the `// node_modules/…` / `// dist/…` markers esbuild writes before each source file, by line. */
const bundleMarkers = new Map();

/**
 * The source a line of an esbuild bundle came from, as a file:// URL of it, so the
 * bundled CLI's samples count for their package instead of for `dist/bundle`.
 */
function unbundledUrl(url, line, root) {
  if (!url.includes('/dist/bundle/')) return url;
  let markers = bundleMarkers.get(url);
  if (!markers) {
    markers = [];
    try {
      readFileSync(fileURLToPath(url), 'utf8')
        .split('\n')
        .forEach((text, i) => {
          const m = /^\/\/ ((?:node_modules|dist)\/\S+)/.exec(text);
          if (m) markers.push([i, m[1]]);
        });
    } catch {
      // not readable any more: attribute to the bundle file
    }
    bundleMarkers.set(url, markers);
  }
  let source;
  for (const [at, file] of markers) {
    if (at > line) break;
    source = file;
  }
  return source ? `file://${root}/${source}` : url;
}

/** Self time per package (node_modules/<pkg>, dist/<folder>, node: internals), largest first. */
export function profileByPackage(path, root = '') {
  const profile = JSON.parse(readFileSync(path, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const usPerSample = (profile.endTime - profile.startTime) / Math.max(1, profile.samples.length);
  const out = new Map();
  for (const id of profile.samples) {
    const frame = byId.get(id)?.callFrame;
    const url = frame ? unbundledUrl(frame.url, frame.lineNumber, root) : '';
    let key;
    const nm = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
    if (nm) key = nm[1];
    else if (url.includes(`${root}/dist/`)) key = `dist/${url.split(`${root}/dist/`)[1].split('/')[0]}`;
    else if (url.startsWith('node:')) key = 'node internals';
    else key = url ? url.replace(`file://${root}/`, '') : `(${byId.get(id)?.callFrame.functionName || 'vm'})`;
    out.set(key, (out.get(key) ?? 0) + usPerSample / 1000);
  }
  return [...out.entries()].sort((a, b) => b[1] - a[1]).map(([name, ms]) => ({ name, ms: Math.round(ms * 10) / 10 }));
}
