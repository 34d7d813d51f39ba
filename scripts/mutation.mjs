#!/usr/bin/env node
/**
 * Mutation testing, one module group at a time (`npm run mutation [GROUP...]`,
 * see TESTING.md). Each group mutates a few source files and runs only the unit
 * tests that exercise them, so a run is bounded on a shared machine; each keeps
 * its own incremental file, so a rerun after a small change only tests the
 * mutants whose code or covering tests changed. The per-group JSON reports are
 * then merged into reports/mutation/mutation.json and summarised per module.
 *
 *   npm run mutation                 # every group (incremental)
 *   npm run mutation -- traffic-stats engine
 *   npm run mutation -- --list       # the groups
 *   npm run mutation -- --merge      # only re-merge the stored group reports
 *   npm run mutation -- --no-merge traffic-timeline   # run a group, leave mutation.json as it is
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const DIR = 'reports/mutation';

/** Group -> the files it mutates and the unit tests that exercise them. */
export const GROUPS = {
  names: { mutate: ['src/names/names.ts'], tests: ['test/unit/core/names.test.ts'] },
  // Config rules, tested directly (each rule called on a config object, milliseconds per test): the
  // loadConfig-level tests also run every rule, but parse YAML and validate every section per test.
  // Small groups, so each finishes (and is kept) on a loaded machine.
  'config-rules-clusters': {
    mutate: ['src/config/rules/cluster-rules.ts', 'src/config/rules/rule.ts'],
    tests: ['test/unit/config/rules/cluster-rules.test.ts', 'test/unit/config/rules/malformed-input-rules.test.ts'],
  },
  'config-rules-deploy': {
    mutate: ['src/config/rules/deploy-rules.ts', 'src/config/rules/backend-rules.ts', 'src/config/rules/region-rules.ts'],
    tests: ['test/unit/config/rules/deploy-backend-region-rules.test.ts', 'test/unit/config/rules/malformed-input-rules.test.ts'],
  },
  'config-rules-files': {
    mutate: ['src/config/rules/release-rules.ts', 'src/config/rules/referenced-file-rules.ts', 'src/config/rules/index.ts'],
    tests: ['test/unit/config/rules/release-and-file-rules.test.ts', 'test/unit/config/rules/malformed-input-rules.test.ts'],
  },
  // traffic/judges in seven groups, so a rerun after a change to one judge stays short. Only the judges' unit tests:
  // stopped-reporting-gap.test.ts also reaches them, but through whole shifts (shift controller), too slow per mutant.
  // metric-judge, measure, cluster-judge and fetch-values one file each: two files per group with every judges test
  // never finished (~1.5 h at nice 19 under load; the cost is Stryker's per-mutant vitest rerun and the load, not the
  // tests, which take milliseconds). Each group runs the rule tests of its own file (plus judges.test.ts, which calls
  // evaluateMetric directly, and stopped-reporting-scrapes.test.ts for the scrape-interval rule). counts-and-baseline
  // and the shift-controller tests also reach some of these mutants but are not rerun: the scores are lower bounds.
  'judges-metric': {
    isolate: false,
    mutate: ['src/traffic/judges/metric-judge.ts'],
    tests: ['test/unit/traffic/judges/metric-judge-rules.test.ts', 'test/unit/traffic/judges.test.ts', 'test/unit/traffic/stopped-reporting-scrapes.test.ts'],
  },
  'judges-measure': {
    isolate: false,
    mutate: ['src/traffic/judges/measure.ts'],
    tests: ['test/unit/traffic/judges/fetch-and-measure-rules.test.ts'],
  },
  'judges-cluster': {
    isolate: false,
    mutate: ['src/traffic/judges/cluster-judge.ts'],
    tests: ['test/unit/traffic/judges/cluster-judge-rules.test.ts', 'test/unit/traffic/judges/metric-judge-rules.test.ts', 'test/unit/traffic/stopped-reporting-scrapes.test.ts'],
  },
  'judges-fetch': {
    isolate: false,
    mutate: ['src/traffic/judges/fetch-values.ts'],
    tests: ['test/unit/traffic/judges/fetch-and-measure-rules.test.ts'],
  },
  'judges-comparison': {
    isolate: false,
    mutate: ['src/traffic/judges/comparison.ts'],
    tests: ['test/unit/traffic/judges.test.ts', 'test/unit/traffic/counts-and-baseline.test.ts', 'test/unit/traffic/judges/comparison-rules.test.ts'],
  },
  'judges-verdict': {
    isolate: false,
    mutate: ['src/traffic/judges/threshold.ts', 'src/traffic/judges/step-verdict.ts', 'src/traffic/judges/decision.ts', 'src/traffic/judges/decision-brief.ts'],
    tests: ['test/unit/traffic/judges.test.ts', 'test/unit/traffic/step-verdict.test.ts', 'test/unit/traffic/sequential-judge.test.ts', 'test/unit/traffic/counts-and-baseline.test.ts', 'test/unit/traffic/judges/threshold-rules.test.ts', 'test/unit/traffic/judges/verdict-rules.test.ts'],
  },
  'judges-query': {
    isolate: false,
    mutate: ['src/traffic/judges/promql-check.ts', 'src/traffic/judges/query-template.ts'],
    tests: ['test/unit/traffic/promql-check.test.ts', 'test/unit/traffic/counts-and-baseline.test.ts', 'test/unit/traffic/judges/query-rules.test.ts'],
  },
  // traffic/stats in three groups. Without mann-whitney-auto.test.ts: its 255 table cases (samples of
  // 100+ values) cost ~30 s per surviving mutant under instrumentation; the small-sample rule tests
  // cover each alternative and method instead, so the score is a lower bound.
  'stats-mann-whitney': {
    mutate: ['src/traffic/stats/mann-whitney.ts'],
    tests: ['test/unit/traffic/mann-whitney.test.ts', 'test/unit/traffic/stats/mann-whitney-rules.test.ts'],
  },
  'stats-mann-whitney-exact': {
    mutate: ['src/traffic/stats/mann-whitney-exact.ts'],
    tests: ['test/unit/traffic/mann-whitney.test.ts', 'test/unit/traffic/stats/mann-whitney-rules.test.ts'],
  },
  'stats-counts': {
    mutate: ['src/traffic/stats/normal.ts', 'src/traffic/stats/proportion.ts', 'src/traffic/stats/sprt.ts'],
    tests: ['test/unit/traffic/stats/normal.test.ts', 'test/unit/traffic/stats/proportion.test.ts', 'test/unit/traffic/stats/sprt.test.ts'],
  },
  'traffic-shift': {
    mutate: ['src/traffic/scores.ts', 'src/traffic/shift-rollback.ts'],
    tests: ['test/unit/traffic/scores.test.ts', 'test/unit/traffic/scores-rules.test.ts', 'test/unit/traffic/shift-controller.test.ts', 'test/unit/traffic/shift-rollback.test.ts'],
  },
  // The timeline's pure rules only (their tests run in well under a second). Not timeline-vs-controller.test.ts (its
  // generated-config property runs ~10 s per mutant) nor shift-controller.test.ts (whole shifts). Mutants of the tick
  // loop can loop forever, so a test is timed out after 1.5 × its dry-run time + 2 s, not the base 10 s.
  'traffic-timeline': {
    mutate: ['src/traffic/timeline.ts', 'src/traffic/stage-schedule.ts'],
    tests: ['test/unit/traffic/timeline.test.ts', 'test/unit/traffic/timeline-rules.test.ts', 'test/unit/traffic/stage-schedule.test.ts'],
    timeoutMS: 2000,
    timeoutFactor: 1.5,
  },
  state: {
    mutate: ['src/state/file-lock.ts', 'src/state/model.ts', 'src/state/resumable.ts', 'src/state/postgres/postgres-lock.ts'],
    tests: ['test/unit/state/file-store.test.ts', 'test/unit/state/file-lock.test.ts', 'test/unit/state/postgres-lock-id.test.ts', 'test/unit/state/postgres-lock.test.ts', 'test/unit/state/model.test.ts', 'test/unit/state/resumable.test.ts'],
  },
  engine: {
    mutate: ['src/engine/retry.ts', 'src/engine/work-graph.ts'],
    tests: ['test/unit/engine/retry.test.ts', 'test/unit/engine/work-graph.test.ts'],
  },
  // Its own unit tests only: test/unit/engine/deployment.test.ts also reaches it, but runs whole deployments on a file store (too slow per mutant); the score is a lower bound.
  'step-runner': {
    mutate: ['src/engine/step-runner.ts'],
    tests: ['test/unit/engine/step-runner.test.ts', 'test/unit/engine/step-runner-ordering-edges.test.ts'],
  },
  'transient-errors': { mutate: ['src/tools/terraform/transient-errors.ts'], tests: ['test/unit/tools/transient-errors.test.ts'] },
  registry: {
    mutate: ['src/registry/constraints.ts', 'src/registry/status-errors.ts', 'src/registry/register-cluster.ts'],
    tests: ['test/unit/registry/config.test.ts', 'test/unit/registry/constraints.test.ts', 'test/unit/registry/status-errors.test.ts', 'test/unit/registry/register-cluster.test.ts', 'test/unit/registry/registry-edge-rules.test.ts'],
  },
  'retire-guards': { mutate: ['src/steps/retire/retire-guards.ts'], tests: ['test/unit/steps/retire-guards.test.ts'] },
};

function runGroup(name) {
  const group = GROUPS[name];
  const base = JSON.parse(readFileSync('stryker.config.json', 'utf8'));
  mkdirSync(join(DIR, 'groups'), { recursive: true });
  const config = {
    ...base,
    mutate: group.mutate,
    incrementalFile: join(DIR, 'groups', `${name}.incremental.json`),
    jsonReporter: { fileName: join(DIR, 'groups', `${name}.json`) },
    // Own sandbox directory: two groups may run side by side.
    tempDirName: `.stryker-tmp-${name}`,
    // The instrumented dry run of a group's tests can pass Stryker's 5-minute default on the loaded shared machine.
    dryRunTimeoutMinutes: 20,
    // Per group: a group whose mutants can loop forever sets a short timeout, so each costs seconds, not minutes.
    ...(group.timeoutMS !== undefined ? { timeoutMS: group.timeoutMS } : {}),
    ...(group.timeoutFactor !== undefined ? { timeoutFactor: group.timeoutFactor } : {}),
    // Nor copy another group's generated config, which may vanish mid-copy when that group ends.
    ignorePatterns: [...(base.ignorePatterns ?? []), '/.stryker-*.config.json'],
  };
  const configFile = `.stryker-${name}.config.json`;
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const tests = group.tests.filter((t) => existsSync(t));
  console.log(`\n== ${name}: mutating ${group.mutate.join(' ')}; tests ${tests.join(' ')}`);
  try {
    const r = spawnSync('npx', ['stryker', 'run', configFile], { stdio: 'inherit', env: { ...process.env, WSD_MUTATION_TESTS: tests.join(','), ...(group.isolate === false ? { WSD_MUTATION_ISOLATE: '0' } : {}) } });
    if (r.status !== 0) throw new Error(`stryker failed for group ${name} (exit ${r.status})`);
  } finally {
    rmSync(configFile, { force: true });
  }
}

/** `src/a/*.ts` as a regular expression (only `*`, within one folder, is used in GROUPS). */
function globToRegExp(glob) {
  return new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
}

/** Merges the group reports into mutation.json and prints the per-module table. */
function merge() {
  const dir = join(DIR, 'groups');
  const reports = readdirSync(dir).filter((f) => f.endsWith('.json') && !f.endsWith('.incremental.json')).sort();
  const merged = { files: {}, testFiles: {} };
  for (const f of reports) {
    const group = GROUPS[f.slice(0, -'.json'.length)];
    if (!group) continue;
    const r = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    const { files, testFiles, ...rest } = r;
    Object.assign(merged, rest);
    // A group's report also carries files its incremental file remembers from other runs: keep its own.
    const own = group.mutate.map(globToRegExp);
    for (const [file, result] of Object.entries(files)) if (own.some((re) => re.test(file))) merged.files[file] = result;
    Object.assign(merged.testFiles, testFiles ?? {});
  }
  // Keys in a stable order so the committed report diffs cleanly.
  merged.files = Object.fromEntries(Object.entries(merged.files).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(join(DIR, 'mutation.json'), JSON.stringify(merged));
  const rows = [];
  const total = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0 };
  for (const [file, { mutants }] of Object.entries(merged.files)) {
    const c = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0 };
    for (const m of mutants) if (m.status in c) c[m.status]++;
    for (const k of Object.keys(c)) total[k] += c[k];
    rows.push([file, c]);
  }
  const score = (c) => {
    const valid = c.Killed + c.Timeout + c.Survived + c.NoCoverage;
    return valid === 0 ? 'n/a' : `${((100 * (c.Killed + c.Timeout)) / valid).toFixed(2)} %`;
  };
  console.log('| module | score | killed | timeout | survived | no coverage |\n|---|---|---|---|---|---|');
  for (const [file, c] of rows) console.log(`| \`${file}\` | ${score(c)} | ${c.Killed} | ${c.Timeout} | ${c.Survived} | ${c.NoCoverage} |`);
  console.log(`| **all measured** | **${score(total)}** | ${total.Killed} | ${total.Timeout} | ${total.Survived} | ${total.NoCoverage} |`);
}

const args = process.argv.slice(2);
if (args.includes('--list')) {
  for (const [name, g] of Object.entries(GROUPS)) console.log(`${name}: ${g.mutate.join(' ')}`);
} else {
  if (!args.includes('--merge')) {
    const named = args.filter((a) => !a.startsWith('--'));
    const names = named.length > 0 ? named : Object.keys(GROUPS);
    for (const n of names) if (!(n in GROUPS)) throw new Error(`unknown mutation group ${n}; known: ${Object.keys(GROUPS).join(', ')}`);
    for (const n of names) runGroup(n);
  }
  if (!args.includes('--no-merge')) merge();
}
