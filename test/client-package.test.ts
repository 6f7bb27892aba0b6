/** The SDK as an app gets it: the built ESM bundle (no imports, so browsers can load it) against the real local stack. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as Sdk from '../client';
import { linkUsers } from '../lambdas/domain/contacts';
import { getDeps } from '../lambdas/deps';
import type { LocalStack } from '../local/stack';
import { createTestUser, startTestStack } from './support/stack';

let stack: LocalStack;
let dir: string;
let sdk: typeof Sdk;
let bundle: string;

beforeAll(async () => {
  stack = await startTestStack();
  const [alice, bob] = [await createTestUser({ username: 'alice', password: 'alice-secret' }), await createTestUser({ username: 'bob', password: 'bob-secret' })];
  await linkUsers(getDeps(), alice.id, bob.id);
  dir = mkdtempSync(join(tmpdir(), 'sdk-'));
  const outfile = join(dir, 'index.js');
  // The same options as client/package.json's build script.
  await build({ entryPoints: ['client/index.ts'], bundle: true, format: 'esm', platform: 'neutral', target: 'es2020', outfile, logLevel: 'silent' });
  bundle = readFileSync(outfile, 'utf8');
  sdk = (await import(pathToFileURL(outfile).href)) as typeof Sdk;
});
afterAll(async () => {
  await stack.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the built client package', () => {
  it('has no imports of its own (browser-safe, nothing to install)', () => {
    expect(bundle).not.toMatch(/^\s*import\s/m);
    expect(bundle).not.toMatch(/\brequire\(/);
  });

  it('runs the README example: logs in and lists the contacts', async () => {
    const client = sdk.connect(stack.url, { WebSocket: WebSocket as never });
    const login = await client.login({ username: 'alice', password: 'alice-secret' });
    expect(login.userId).toBeGreaterThan(0);
    const users = await client.emitWithAck('give me users');
    expect(users.map((u) => `${u.username} (${u.link_status})`)).toEqual(['bob (accepted)']);
    client.close();
  });
});
