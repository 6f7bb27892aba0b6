/** The operator CLI as an operator runs it: a separate process acting on the running local stack. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../local/stack';
import { loggedIn, startTestStack } from './support/stack';

const run = promisify(execFile);
let stack: LocalStack;

function admin(...args: string[]) {
  return run('npx', ['tsx', 'local/admin.ts', ...args], {
    env: { ...process.env, PORT: String(stack.gateway.port), DYNAMODB_ENDPOINT: stack.dynamoEndpoint, SCRYPT_LOG_N: '10' },
  });
}

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.close());

describe('npm run admin', () => {
  it('creates a user who can then log in, with the flags given', async () => {
    const { stdout } = await admin('create-user', '--username', 'erin', '--password', 'erin-secret', '--first-name', 'Erin', '--last-name', 'Brockovich', '--domain', 'acme', '--planned-password-change');
    const created = JSON.parse(stdout) as { id: number };
    const { client, userId } = await loggedIn(stack, 'erin', 'erin-secret');
    expect(userId).toBe(created.id);
    expect(await client.call('who am i')).toMatchObject({
      first_name: 'Erin',
      last_name: 'Brockovich',
      is_planned_password_change: true,
      Domain: { name: 'acme', is_base: false },
    });
    await client.close();
  });

  it('refuses a taken username and a bad setting, with a non-zero exit', async () => {
    await admin('create-user', '--username', 'frank', '--password', 'p');
    await expect(admin('create-user', '--username', 'FRANK', '--password', 'q')).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('taken') });
    await expect(admin('domain-config', '--domain', 'acme', '--set', 'single_device=maybe')).rejects.toMatchObject({ code: 1 });
    await expect(admin('domain-config', '--domain', 'acme', '--set', 'colour=blue')).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('unknown setting') });
    await expect(admin('no-such-command')).rejects.toMatchObject({ code: 2 });
  });

  it('domain-config switches a domain to one device per user', async () => {
    await admin('create-user', '--username', 'gina', '--password', 'gina-secret', '--domain', 'solo');
    const { stdout } = await admin('domain-config', '--domain', 'solo', '--set', 'single_device=true', '--set', 'key_management_by_user=false');
    expect(JSON.parse(stdout)).toMatchObject({ single_device: true, config: { key_management_by_user: false } });
    const first = await loggedIn(stack, 'gina', 'gina-secret');
    const second = await loggedIn(stack, 'gina', 'gina-secret');
    expect(await first.client.push('log out please')).toBe('another device logged in');
    expect(await second.client.call('who am i')).toMatchObject({ Domain: { config: { key_management_by_user: false } } });
    await second.client.close();
  });
});
