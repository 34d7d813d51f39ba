/**
 * Bundles the compiled CLI (dist/) into dist/bundle/ with esbuild: one module
 * graph instead of ~150 files cuts the CLI's cold start by about a third
 * (BENCHMARKS.md, "CLI cold start"). Libraries that are loaded lazily and only
 * by some commands (gRPC, Kubernetes client, pg) stay external.
 */
import { build } from 'esbuild';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const outdir = join(root, 'dist', 'bundle');
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'dist', 'cli', 'main.js')],
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir,
  sourcemap: true,
  logLevel: 'warning',
  external: ['@grpc/grpc-js', '@grpc/proto-loader', '@kubernetes/client-node', 'pg', 'kubernetes-models'],
  // Bundled CommonJS dependencies (commander) call require() for node built-ins.
  banner: { js: "import { createRequire as __wsdCreateRequire } from 'node:module'; const require = __wsdCreateRequire(import.meta.url);" },
});
writeFileSync(join(outdir, 'package.json'), '{"type":"module"}\n');
