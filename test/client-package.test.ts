/**
 * The SDK as an app gets it: `npm pack` in client/, the tarball installed
 * (offline, nothing else to fetch) into a scratch app in a temporary
 * directory, and that app type-checked without zod and without skipLibCheck
 * under `moduleResolution` nodenext, node16 and bundler, then run against the
 * real local stack with the platform's WebSocket (as in a browser or Node 22).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkUsers } from '../lambdas/domain/contacts';
import { getDeps } from '../lambdas/deps';
import type { LocalStack } from '../local/stack';
import { createTestUser, startTestStack } from './support/stack';

const run = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const tsc = resolve('node_modules/typescript/bin/tsc');
const MODES = { nodenext: { module: 'nodenext' }, node16: { module: 'node16' }, bundler: { module: 'esnext' } } as const;

/** The README's example, plus lines that must not type-check (were the types `any`, the expect-errors would fail). */
const APP = `
import { connect, CLIENT_ERRORS, MessengerError, type ContactUser, type NewMessagePayload } from '@messenger/client';

declare const process: { env: Record<string, string | undefined> };
declare const console: { log(line: string): void };

const client = connect(process.env.MESSENGER_URL!, { ackTimeoutMs: 10_000 });
const login = await client.login({ username: 'alice', password: 'alice-secret' });
const users: ContactUser[] = await client.timeout(5000).emitWithAck('give me users');
const refused = await client.emitWithAck('set default key', { id: 999_999 }).catch((error: MessengerError) => error.code);
console.log(JSON.stringify({ userId: login.userId, users: users.map((u) => \`\${u.username} (\${u.link_status})\`), refused, timeout: CLIENT_ERRORS.timeout }));
client.close();

export function neverCalled(message: NewMessagePayload) {
  // @ts-expect-error a key's name is a string
  client.emit('new key', { name: 1, is_default: true });
  // @ts-expect-error no such frame
  client.emit('give me everything');
  // @ts-expect-error the result of who am i has no such field
  void client.emitWithAck('who am i').then((self) => self.password);
  // @ts-expect-error dialog_id is a number
  const wrong: NewMessagePayload = { ...message, message: { dialog_id: '1' } };
  return wrong;
}
`;

let stack: LocalStack;
let dir: string;
let app: string;
let packed: string[];

beforeAll(async () => {
  stack = await startTestStack();
  const [alice, bob] = [await createTestUser({ username: 'alice', password: 'alice-secret' }), await createTestUser({ username: 'bob', password: 'bob-secret' })];
  await linkUsers(getDeps(), alice.id, bob.id);
  dir = mkdtempSync(join(tmpdir(), 'sdk-package-'));
  // `npm pack` runs the package's build (prepack): the bundle and the declarations.
  const { stdout } = await run(npm, ['pack', '--json', '--pack-destination', dir], { cwd: 'client' });
  const [{ filename, files }] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
  packed = files.map((f) => f.path);
  app = join(dir, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch-app', private: true, type: 'module' }));
  await run(npm, ['install', '--offline', '--no-audit', '--no-fund', '--no-package-lock', join(dir, filename)], { cwd: app });
  writeFileSync(join(app, 'app.ts'), APP);
  for (const [mode, { module }] of Object.entries(MODES)) {
    const compilerOptions = { module, moduleResolution: mode, target: 'es2022', lib: ['es2022'], types: [], strict: true, skipLibCheck: false, outDir: `out-${mode}` };
    writeFileSync(join(app, `tsconfig.${mode}.json`), JSON.stringify({ compilerOptions, files: ['app.ts'] }));
  }
}, 120_000);

afterAll(async () => {
  await stack.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the client package', () => {
  it('packs the bundle, its declarations, README and LICENSE, and depends on nothing', () => {
    expect(packed.filter((p) => !/^dist\/(index\.js|types\/.+\.d\.ts)$/.test(p)).sort()).toEqual(['LICENSE', 'README.md', 'package.json']);
    const installed = join(app, 'node_modules/@messenger/client');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({ name: '@messenger/client', license: 'MIT', types: './dist/types/client/index.d.ts' });
    expect(manifest.dependencies).toBeUndefined();
    expect(readdirSync(join(app, 'node_modules')).filter((name) => !name.startsWith('.'))).toEqual(['@messenger']);
    const bundle = readFileSync(join(installed, 'dist/index.js'), 'utf8');
    expect(bundle).not.toMatch(/^\s*import\s/m); // browser-safe, nothing to install
    expect(bundle).not.toMatch(/\brequire\(/);
    const declarations = packed.filter((p) => p.endsWith('.d.ts')).map((p) => readFileSync(join(installed, p), 'utf8'));
    expect(declarations.filter((d) => /from ['"]zod/.test(d))).toEqual([]);
  });

  for (const mode of Object.keys(MODES)) {
    it(`type-checks (no zod, no skipLibCheck) and runs in an app with moduleResolution ${mode}`, { timeout: 60_000 }, async () => {
      await run(process.execPath, [tsc, '-p', `tsconfig.${mode}.json`], { cwd: app }).catch((error: { stdout: string }) => {
        throw new Error(`tsc (${mode}) failed:\n${error.stdout}`);
      });
      const { stdout } = await run(process.execPath, ['--experimental-websocket', '--no-warnings', `out-${mode}/app.js`], {
        cwd: app,
        env: { ...process.env, MESSENGER_URL: stack.url },
      });
      expect(JSON.parse(stdout)).toEqual({ userId: expect.any(Number), users: ['bob (accepted)'], refused: 'access denied', timeout: 'ack timeout' });
    });
  }
});
