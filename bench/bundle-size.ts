/**
 * Bundle size and cold start of route functions: each route bundled by
 * esbuild with the options NodejsFunction gets from lib/route-function.ts
 * (ESM, minified, platform node, target from the runtime, AWS SDK bundled,
 * the `require` banner), then its size, the share of each package, and the
 * time a fresh Node process takes to `import()` it (median of N processes).
 *
 *   npx tsx bench/bundle-size.ts [--routes ping,new-message] [--runs 11] [--all] [--init] [--baseline <git rev>] [--tracing]
 *
 * `--tracing` bundles as a `-c tracing=true` stack does (lambdas/xray.ts: the
 * X-Ray SDK is in the bundle only then).
 *
 * `--all` adds the size of every route's bundle (no timing unless `--init`).
 * `--init` also times, in each fresh process, the handler's first invocation
 * after the import (Lambda's init and first invoke, minus the platform's
 * part): a frame from an unknown connection, answered `not authenticated`
 * after the session's GetItem (the `auth …` frames: a token of an unknown
 * login, an unknown user), against an embedded DynamoDB started here; with `--all`,
 * every route's import and first invocation. `--baseline` also bundles the
 * same routes from that commit (`git archive` of lambdas/ and lib/, same
 * node_modules, that commit's esbuild externals) and alternates its imports
 * with the current ones, so a busy machine slows both alike. Nothing is
 * deployed; bundles go to a temporary folder that is removed.
 */
import { execFile, execSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { BUNDLING, PROJECT_ROOT, ROUTE_RUNTIME, entryOf } from '../lib/route-function';
import { moduleOf, routeOf, routes, type RouteDefinition } from '../lambdas/routes/table';
import type { Config } from '../lambdas/config';
import { issueToken } from '../lambdas/domain/tokens';
import { tables } from '../lambdas/storage/tables';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../local/embedded-dynamo';

const { values } = parseArgs({
  options: {
    routes: { type: 'string', default: 'ping,new-message' },
    runs: { type: 'string', default: '11' },
    all: { type: 'boolean', default: false },
    init: { type: 'boolean', default: false },
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
  /** What NodejsFunction leaves out of its bundles (BUNDLING.externalModules). */
  external: string[];
}

async function extractBaseline(rev: string, dir: string): Promise<Tree> {
  const root = join(dir, 'baseline');
  mkdirSync(root);
  execSync(`git archive --format=tar ${JSON.stringify(rev)} lambdas lib tsconfig.json package.json | tar -x -C ${JSON.stringify(root)}`, { cwd: PROJECT_ROOT });
  symlinkSync(realpathSync(join(PROJECT_ROOT, 'node_modules')), join(root, 'node_modules'));
  const { BUNDLING: theirs } = (await import(pathToFileURL(join(root, 'lib', 'route-function.ts')).href)) as { BUNDLING: { externalModules?: string[] } };
  return { name: rev, root, external: [...(theirs.externalModules ?? [])] };
}

async function bundle(module: string, dir: string, tree: Tree): Promise<Bundle> {
  const route = routeOfModule(module);
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
    // bundleAwsSDK: only what the bundling options leave out.
    external: tree.external,
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
  /** `--init`: wall and CPU time of the first invocation after the import. */
  firstMs?: number;
  firstCpuMs?: number;
}

const COLD_SECRET = 'cold-start-bench';
/** A genuine token of a login the store does not know: `auth by token` reads and writes before it refuses it. */
const coldToken = await issueToken({ tokenSecret: COLD_SECRET, tokenTtlSeconds: 3600 } as Config, { userId: 1, familyId: 'no-such-login', jti: 'cold' });

/** `--init`: the first invocation's event: a frame of `route` from a connection the store does not know. */
function coldEvent(route: RouteDefinition): unknown {
  const requestContext = { routeKey: route.event, connectionId: 'coldstartbench=', requestId: 'cold', domainName: 'localhost', stage: 'local', connectedAt: Date.now() };
  if (route.event === '$connect') return { requestContext: { ...requestContext, eventType: 'CONNECT' }, headers: {} };
  if (route.event === '$disconnect') return { requestContext: { ...requestContext, eventType: 'DISCONNECT' }, headers: {} };
  const data =
    route.event === 'auth by token' ? { userId: 1, token: coldToken } : route.auth ? {} : { username: 'nobody', password: 'nobody-secret' };
  return { requestContext: { ...requestContext, eventType: 'MESSAGE' }, body: JSON.stringify({ event: route.event, data, ackId: 1 }), isBase64Encoded: false };
}

/** `--init`: what a function's environment gives it, pointing at the embedded DynamoDB (nothing else is reached). */
const functionEnv = (dynamo: EmbeddedDynamo) => ({
  CONNECTIONS_TABLE: 'Connections',
  DATA_TABLE: 'Data',
  CHUNKS_TABLE: 'Chunks',
  DYNAMODB_ENDPOINT: dynamo.endpoint,
  MANAGEMENT_ENDPOINT: 'http://127.0.0.1:9',
  TOKEN_SECRET: COLD_SECRET,
  FILES_URL: 'http://127.0.0.1:9/',
  SCRYPT_LOG_N: '10',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
});

/**
 * One fresh Node process: the time of `await import(bundle)` inside it
 * (reading, parsing, top-level code), as the Lambda runtime's init does;
 * with `invoke`, then the time of the handler's first invocation.
 */
async function coldImport(file: string, invoke?: { event: unknown; env: Record<string, string> }): Promise<Import> {
  const script = [
    'const c = process.cpuUsage(); const t = performance.now();',
    `const m = await import(${JSON.stringify(pathToFileURL(file).href)});`,
    'const ms = performance.now() - t; const u = process.cpuUsage(c); const out = { ms, cpuMs: (u.user + u.system) / 1000 };',
    ...(invoke
      ? [
          `const r = await m.handler(${JSON.stringify(invoke.event)}, { awsRequestId: 'cold', getRemainingTimeInMillis: () => 29000 });`,
          'if (r?.statusCode !== 200 && r?.statusCode !== 403) throw new Error(`first invocation answered ${JSON.stringify(r)}`);',
          'out.firstMs = performance.now() - t - ms; const v = process.cpuUsage(c); out.firstCpuMs = (v.user + v.system) / 1000 - out.cpuMs;',
        ]
      : []),
    // Exits at once: the SDK's kept-alive sockets would hold the process open.
    'process.stdout.write("\\n" + JSON.stringify(out), () => process.exit(0));',
  ].join(' ');
  // Not execFileSync: the embedded DynamoDB of `--init` answers from this process's event loop.
  const { stdout: out } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'eu-west-1', LOG_LEVEL: 'warn', ...invoke?.env },
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Import;
}

const execFileAsync = promisify(execFile);
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const ms = (n: number) => `${n.toFixed(1)} ms`;

const dir = mkdtempSync(join(tmpdir(), 'bundle-size-'));
const dynamo = values.init ? await startEmbeddedDynamo({ tables, sweepIntervalMs: 0 }) : undefined;
const routeOfModule = (module: string) => routes.find((r) => moduleOf(r.event) === module) ?? routeOf(module.replaceAll('-', ' '));
/** `--init`: the first invocation of `module`'s handler in the fresh process. */
const invocationOf = (module: string) => (dynamo ? { event: coldEvent(routeOfModule(module)), env: functionEnv(dynamo) } : undefined);
try {
  const trees: Tree[] = [{ name: 'current', root: PROJECT_ROOT, external: [...(BUNDLING.externalModules ?? [])] }];
  if (values.baseline) trees.unshift(await extractBaseline(values.baseline, dir));
  const bundles: Bundle[] = [];
  for (const module of values.routes.split(',')) for (const tree of trees) bundles.push(await bundle(module.trim(), dir, tree));

  // Every bundle once per round, so a load spike hits them all.
  for (const b of bundles) await coldImport(b.file); // warm the file cache
  const imports = new Map<Bundle, Import[]>(bundles.map((b) => [b, []]));
  for (let i = 0; i < RUNS; i++) for (const b of bundles) imports.get(b)!.push(await coldImport(b.file, invocationOf(b.module)));

  console.log(`esbuild: target ${TARGET}, ESM, minified, AWS SDK bundled; node ${process.version} for the imports; ${RUNS} fresh processes per bundle`);
  console.log('');
  const first = (runs: Import[]) => (values.init ? ` ${ms(median(runs.map((r) => r.firstMs!)))} | ${ms(median(runs.map((r) => r.firstCpuMs!)))} |` : '');
  console.log(`| route | tree | bundle | gzip | zod | @aws-sdk, @smithy | cold import, median (min – max) | CPU of the import, median |${values.init ? ' first invocation, median | its CPU, median |' : ''}`);
  console.log(`| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |${values.init ? ' ---: | ---: |' : ''}`);
  for (const b of bundles) {
    const zod = b.byPackage.get('zod') ?? 0;
    const sdk = [...b.byPackage].filter(([p]) => /^@(aws-sdk|smithy|aws-crypto)\//.test(p)).reduce((s, [, n]) => s + n, 0);
    const runs = imports.get(b)!;
    const wall = runs.map((r) => r.ms);
    console.log(
      `| ${b.module} | ${b.source} | ${kb(b.bytes)} | ${kb(b.gzip)} | ${kb(zod)} | ${kb(sdk)} | ${ms(median(wall))} (${ms(Math.min(...wall))} – ${ms(Math.max(...wall))}) | ${ms(median(runs.map((r) => r.cpuMs)))} |${first(runs)}`,
    );
  }

  if (values.all) {
    console.log('');
    for (const tree of trees) {
      const sizes: { module: string; bytes: number; gzip: number; zod: number; init?: Import[] }[] = [];
      for (const route of routes) {
        const b = await bundle(moduleOf(route.event), join(dir, 'all'), tree);
        let init: Import[] | undefined;
        if (values.init) {
          init = [];
          for (let i = 0; i < RUNS; i++) init.push(await coldImport(b.file, invocationOf(b.module)));
        }
        sizes.push({ module: b.module, bytes: b.bytes, gzip: b.gzip, zod: b.byPackage.get('zod') ?? 0, init });
      }
      const sum = (f: (x: { bytes: number; zod: number }) => number) => sizes.reduce((s, x) => s + f(x), 0);
      console.log(
        `${tree.name}: all ${sizes.length} routes ${kb(Math.min(...sizes.map((x) => x.bytes)))} – ${kb(Math.max(...sizes.map((x) => x.bytes)))} each, ${kb(sum((x) => x.bytes))} in all, of which zod ${kb(sum((x) => x.zod))} (in ${sizes.filter((x) => x.zod > 0).length} bundles)`,
      );
      if (values.init) {
        console.log('');
        console.log(`| route (${tree.name}) | bundle | gzip | import, median | CPU | first invocation, median | CPU | init = import + first, median |`);
        console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
        for (const x of [...sizes].sort((p, q) => q.bytes - p.bytes)) {
          const runs = x.init!;
          const total = median(runs.map((r) => r.ms + r.firstMs!));
          console.log(
            `| ${x.module} | ${kb(x.bytes)} | ${kb(x.gzip)} | ${ms(median(runs.map((r) => r.ms)))} | ${ms(median(runs.map((r) => r.cpuMs)))} | ${ms(median(runs.map((r) => r.firstMs!)))} | ${ms(median(runs.map((r) => r.firstCpuMs!)))} | ${ms(total)} |`,
          );
        }
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  await dynamo?.close();
}
