/**
 * Bundle size and cold start of route functions: each route bundled by
 * esbuild with the options NodejsFunction gets from lib/route-function.ts
 * (ESM, minified, platform node, target from the runtime, AWS SDK bundled,
 * the `require` banner), then its size, the share of each package, and the
 * time a fresh Node process takes to `import()` it (median of N processes).
 *
 *   npx tsx bench/bundle-size.ts [--routes ping,new-message] [--runs 11] [--all] [--baseline <git rev>] [--tracing]
 *
 * `--tracing` bundles as a `-c tracing=true` stack does (lambdas/xray.ts: the
 * X-Ray SDK is in the bundle only then).
 *
 * `--all` adds the size of every route's bundle (no timing). `--baseline`
 * also bundles the same routes from that commit (`git archive` of lambdas/,
 * same node_modules) and alternates its imports with the current ones, so a
 * busy machine slows both alike. Nothing is deployed or started; bundles go
 * to a temporary folder that is removed.
 */
import { execFileSync, execSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { PROJECT_ROOT, ROUTE_RUNTIME, entryOf } from '../lib/route-function';
import { moduleOf, routeOf, routes } from '../lambdas/routes/table';

const { values } = parseArgs({
  options: {
    routes: { type: 'string', default: 'ping,new-message' },
    runs: { type: 'string', default: '11' },
    all: { type: 'boolean', default: false },
    baseline: { type: 'string' },
    tracing: { type: 'boolean', default: false },
  },
});
const RUNS = Number(values.runs);

/** The banner of lib/route-function.ts, read from its source so the two cannot drift apart. */
function requireBanner(): string {
  const source = readFileSync(join(PROJECT_ROOT, 'lib', 'route-function.ts'), 'utf8');
  const m = /const REQUIRE_BANNER = "([^"]+)";/.exec(source);
  if (!m?.[1]) throw new Error('REQUIRE_BANNER not found in lib/route-function.ts');
  return m[1];
}

/** NodejsFunction's target: `node<major>` of the runtime (aws-cdk-lib's toTarget). */
const TARGET = `node${/nodejs(\d+)/.exec(ROUTE_RUNTIME.name)![1]}`;
const BANNER = requireBanner();

interface Bundle {
  module: string;
  /** `current`, or the baseline's git rev. */
  source: string;
  file: string;
  bytes: number;
  gzip: number;
  /** Bytes of the output by package (`zod`, `@aws-sdk/…`, `(project)`). */
  byPackage: Map<string, number>;
}

function packageOf(input: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return m?.[1] ?? '(project)';
}

/** The project tree whose routes are bundled: this one, or a baseline commit extracted beside the bundles. */
interface Tree {
  name: string;
  root: string;
}

function extractBaseline(rev: string, dir: string): Tree {
  const root = join(dir, 'baseline');
  mkdirSync(root);
  execSync(`git archive --format=tar ${JSON.stringify(rev)} lambdas tsconfig.json package.json | tar -x -C ${JSON.stringify(root)}`, { cwd: PROJECT_ROOT });
  symlinkSync(realpathSync(join(PROJECT_ROOT, 'node_modules')), join(root, 'node_modules'));
  return { name: rev, root };
}

async function bundle(module: string, dir: string, tree: Tree): Promise<Bundle> {
  const route = routes.find((r) => moduleOf(r.event) === module) ?? routeOf(module.replaceAll('-', ' '));
  const entry = tree.root === PROJECT_ROOT ? entryOf(route) : join(tree.root, 'lambdas', 'routes', `${moduleOf(route.event)}.ts`);
  const outfile = join(dir, tree.name.replace(/\W/g, '_'), module, 'index.mjs');
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: TARGET,
    mainFields: ['module', 'main'],
    banner: { js: BANNER },
    // lib/route-function.ts's bundlingFor: the tracing flag is fixed at build time.
    define: { 'process.env.TRACE_AWS_CLIENTS': JSON.stringify(values.tracing ? 'true' : '') },
    minify: true,
    sourcemap: 'external',
    sourcesContent: false,
    tsconfig: join(tree.root, 'tsconfig.json'),
    // bundleAwsSDK: no externals at all.
    metafile: true,
    logLevel: 'error',
  });
  const meta: Metafile = result.metafile;
  const out = Object.entries(meta.outputs).find(([path]) => path.endsWith('index.mjs'))![1];
  const byPackage = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(out.inputs)) {
    const name = packageOf(input);
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
  return { module, source: tree.name, file: outfile, bytes: statSync(outfile).size, gzip: gzipSync(readFileSync(outfile)).length, byPackage };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

interface Import {
  /** Wall time of `await import()`. */
  ms: number;
  /** CPU time (user + system) of the process during it: less sensitive to a busy machine. */
  cpuMs: number;
}

/**
 * One fresh Node process: the time of `await import(bundle)` inside it
 * (reading, parsing, top-level code), as the Lambda runtime's init does.
 */
function coldImport(file: string): Import {
  const script = [
    'const c = process.cpuUsage(); const t = performance.now();',
    `await import(${JSON.stringify(pathToFileURL(file).href)});`,
    'const ms = performance.now() - t; const u = process.cpuUsage(c);',
    'process.stdout.write(JSON.stringify({ ms, cpuMs: (u.user + u.system) / 1000 }));',
  ].join(' ');
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'eu-west-1', LOG_LEVEL: 'warn' },
    encoding: 'utf8',
  });
  return JSON.parse(out) as Import;
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const ms = (n: number) => `${n.toFixed(1)} ms`;

const dir = mkdtempSync(join(tmpdir(), 'bundle-size-'));
try {
  const trees: Tree[] = [{ name: 'current', root: PROJECT_ROOT }];
  if (values.baseline) trees.unshift(extractBaseline(values.baseline, dir));
  const bundles: Bundle[] = [];
  for (const module of values.routes.split(',')) for (const tree of trees) bundles.push(await bundle(module.trim(), dir, tree));

  // Every bundle once per round, so a load spike hits them all.
  for (const b of bundles) coldImport(b.file); // warm the file cache
  const imports = new Map<Bundle, Import[]>(bundles.map((b) => [b, []]));
  for (let i = 0; i < RUNS; i++) for (const b of bundles) imports.get(b)!.push(coldImport(b.file));

  console.log(`esbuild: target ${TARGET}, ESM, minified, AWS SDK bundled; node ${process.version} for the imports; ${RUNS} fresh processes per bundle`);
  console.log('');
  console.log('| route | tree | bundle | gzip | zod | @aws-sdk, @smithy | cold import, median (min – max) | CPU of the import, median |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const b of bundles) {
    const zod = b.byPackage.get('zod') ?? 0;
    const sdk = [...b.byPackage].filter(([p]) => /^@(aws-sdk|smithy|aws-crypto)\//.test(p)).reduce((s, [, n]) => s + n, 0);
    const runs = imports.get(b)!;
    const wall = runs.map((r) => r.ms);
    console.log(
      `| ${b.module} | ${b.source} | ${kb(b.bytes)} | ${kb(b.gzip)} | ${kb(zod)} | ${kb(sdk)} | ${ms(median(wall))} (${ms(Math.min(...wall))} – ${ms(Math.max(...wall))}) | ${ms(median(runs.map((r) => r.cpuMs)))} |`,
    );
  }

  if (values.all) {
    console.log('');
    for (const tree of trees) {
      const sizes: { bytes: number; zod: number }[] = [];
      for (const route of routes) {
        const b = await bundle(moduleOf(route.event), join(dir, 'all'), tree);
        sizes.push({ bytes: b.bytes, zod: b.byPackage.get('zod') ?? 0 });
      }
      const sum = (f: (x: { bytes: number; zod: number }) => number) => sizes.reduce((s, x) => s + f(x), 0);
      console.log(
        `${tree.name}: all ${sizes.length} routes ${kb(Math.min(...sizes.map((x) => x.bytes)))} – ${kb(Math.max(...sizes.map((x) => x.bytes)))} each, ${kb(sum((x) => x.bytes))} in all, of which zod ${kb(sum((x) => x.zod))} (in ${sizes.filter((x) => x.zod > 0).length} bundles)`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
