/**
 * `npm start` as a person runs it (a process of its own): on a DATA_DIR the
 * operator CLI finds it through that directory; a second start on the same
 * ports explains itself in one line.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from './support/client';
import { startTestStack } from './support/stack';

const run = promisify(execFile);
const tsx = (script: string, env: Record<string, string>, ...args: string[]) => {
  const { DATA_DIR, DYNAMODB_ENDPOINT, PORT, ...rest } = process.env;
  void DATA_DIR, DYNAMODB_ENDPOINT, PORT;
  return { args: ['--import', 'tsx', script, ...args], env: { ...rest, SCRYPT_LOG_N: '10', LOG_LEVEL: 'warn', ...env } };
};

/** A port whose next two are free as well (the stack takes PORT, PORT+1, PORT+2). */
async function freePorts(): Promise<number> {
  for (;;) {
    const servers = [createServer(), createServer(), createServer()];
    const base = await new Promise<number>((resolve) => servers[0]!.listen(0, '127.0.0.1', () => resolve((servers[0]!.address() as { port: number }).port)));
    const next = await Promise.all(
      servers.slice(1).map((s, i) => new Promise<boolean>((resolve) => s.once('error', () => resolve(false)).listen(base + i + 1, '127.0.0.1', () => resolve(true)))),
    );
    await Promise.all(servers.map((s) => new Promise((resolve) => (s.listening ? s.close(resolve) : resolve(undefined)))));
    if (next.every(Boolean)) return base;
  }
}

let dataDir: string;
let port: number;
let stack: ChildProcess;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'start-'));
  port = await freePorts();
  const { args, env } = tsx('local/main.ts', { PORT: String(port), DATA_DIR: dataDir });
  stack = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    stack.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Demo users')) resolve();
    });
    stack.once('exit', (code) => reject(new Error(`npm start exited with ${code}: ${output}`)));
  });
}, 60_000);

afterAll(async () => {
  if (stack.exitCode === null) {
    const exited = new Promise((resolve) => stack.once('exit', resolve));
    stack.kill('SIGTERM');
    await exited;
  }
  expect(existsSync(join(dataDir, 'running-stack.json'))).toBe(false);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start', { timeout: 60_000 }, () => {
  it('with a port taken, says so in one line: the three ports and how to choose others', async () => {
    const { args, env } = tsx('local/main.ts', { PORT: String(port) });
    const second = run(process.execPath, args, { env });
    const failure = await second.then(() => undefined, (error: { code: number; stderr: string }) => error);
    expect(failure?.code).toBe(1);
    const lines = failure!.stderr.split('\n').filter((l) => l && !l.includes('NodeDeprecationWarning') && !l.startsWith('(Use `node'));
    expect(lines).toEqual([
      `npm start: port ${port + 1} is in use; the local stack needs ${port} (PORT: WebSocket and Management API), ${port + 1} (DynamoDB) and ${port + 2} (file server) free: stop what holds it, or choose other ports with PORT=${port + 10} npm start`,
    ]);
  });

  it('is the target of the operator CLI given its DATA_DIR, whatever PORT says', async () => {
    const { args, env } = tsx('local/admin.ts', { DATA_DIR: dataDir, PORT: '1' }, 'create-user', '--username', 'pia', '--password', 'pia-secret');
    const { stderr } = await run(process.execPath, args, { env });
    expect(stderr).toContain(`create-user on the local stack on PORT=${port} (pid ${stack.pid}), store DATA_DIR=${dataDir}`);
    const client = await TestClient.connect(`ws://127.0.0.1:${port}`);
    expect(await client.call('auth by credentials', { username: 'pia', password: 'pia-secret' })).toMatchObject({ userId: expect.any(Number) });
    await client.close();
  });

  it('the CLI refuses its DATA_DIR while another stack answers on PORT', async () => {
    const other = await startTestStack();
    try {
      const { args, env } = tsx('local/admin.ts', { DATA_DIR: dataDir, PORT: String(other.gateway.port), DYNAMODB_ENDPOINT: other.dynamoEndpoint }, 'create-user', '--username', 'quin', '--password', 'p');
      const failure = await run(process.execPath, args, { env }).then(() => undefined, (error: { code: number; stderr: string }) => error);
      expect(failure).toMatchObject({ code: 2, stderr: expect.stringContaining(`ambiguous target: DATA_DIR=${dataDir} is served by the stack on PORT=${port}, but another stack answers on PORT=${other.gateway.port}`) });
    } finally {
      await other.close();
    }
  });
});
