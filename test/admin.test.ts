/** The operator CLI as an operator runs it: a separate process acting on the running local stack. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeps } from '../lambdas/deps';
import { findUsername, setDisabled } from '../lambdas/storage/users';
import type { LocalStack } from '../local/stack';
import { adminOn, adminWith } from './support/admin';
import { TestClient } from './support/client';
import { loggedIn, startTestStack } from './support/stack';

let stack: LocalStack;

function admin(...args: string[]) {
  return adminOn(stack, ...args);
}

/** A port nothing listens on (the system's pick, released again). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack.close());

// Each admin call starts a process (npx tsx, ~3 s each on a busy 2-CPU runner): a test of six calls needs more than the default 20 s.
describe('npm run admin', { timeout: 60_000 }, () => {
  it('creates a user who can then log in, with the flags given', async () => {
    const { stdout, stderr } = await admin('create-user', '--username', 'erin', '--password', 'erin-secret', '--first-name', 'Erin', '--last-name', 'Brockovich', '--domain', 'acme', '--planned-password-change');
    const created = JSON.parse(stdout) as { id: number };
    expect(stderr).toBe(`create-user on the local stack on PORT=${stack.gateway.port} (DynamoDB ${stack.dynamoEndpoint})\n`);
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

  it('links two users as accepted contacts, and adds a key, whatever the domain allows', async () => {
    await admin('create-user', '--username', 'hank', '--password', 'hank-secret', '--domain', 'locked');
    await admin('create-user', '--username', 'iris', '--password', 'iris-secret', '--domain', 'locked');
    await admin('domain-config', '--domain', 'locked', '--set', 'contactlist_management_by_user=false', '--set', 'key_management_by_user=false');
    const hank = await loggedIn(stack, 'hank', 'hank-secret');
    const { stdout } = await admin('link', '--user', 'hank', '--user', 'iris');
    expect(JSON.parse(stdout)).toMatchObject({ status: 'accepted' });
    // hank is online: the running stack pushed the new contact to him.
    expect(await hank.client.push<{ user: { username: string } }>('user container')).toMatchObject({ user: { username: 'iris', link_status: 'accepted' } });
    const key = Buffer.alloc(32, 9).toString('base64');
    await admin('add-key', '--user', 'iris', '--key', key, '--default');
    const users = await hank.client.call<{ username: string; key: { name: string } | null }[]>('give me users');
    expect(users).toEqual([expect.objectContaining({ username: 'iris', link_status: 'accepted', key: expect.objectContaining({ name: key }) })]);
    await expect(admin('link', '--user', 'hank', '--user', 'nobody')).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('no user nobody') });
    await hank.client.close();
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

  it('says which store it acted on, and refuses DATA_DIR while a stack that does not serve it answers on PORT', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'admin-data-'));
    try {
      const ambiguous = adminWith({ PORT: String(stack.gateway.port), DYNAMODB_ENDPOINT: stack.dynamoEndpoint, DATA_DIR: dataDir }, 'create-user', '--username', 'wrong', '--password', 'p');
      await expect(ambiguous).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining(`ambiguous target: DATA_DIR=${dataDir} is not the store of the stack that answers on PORT=${stack.gateway.port}`) });
      expect(await findUsername(getDeps(), 'wrong')).toBeUndefined();
      expect(readdirSync(dataDir)).toEqual([]);

      // Nothing on PORT: the store on disk itself.
      const direct = await adminWith({ PORT: String(await freePort()), DATA_DIR: dataDir }, 'create-user', '--username', 'olga', '--password', 'p');
      expect(direct.stderr).toBe(`create-user on DATA_DIR=${dataDir} directly (no stack is running on it)\n`);
      const again = adminWith({ PORT: String(await freePort()), DATA_DIR: dataDir }, 'create-user', '--username', 'olga', '--password', 'p');
      await expect(again).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('taken') });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('network gives a user many contacts, dialogs and groups in one process', async () => {
    await admin('create-user', '--username', 'nora', '--password', 'nora-secret');
    const { stdout } = await admin('network', '--user', 'nora', '--contacts', '300', '--dialogs', '3', '--groups', '2');
    expect(JSON.parse(stdout)).toMatchObject({ contacts: 300, dialogs: 3, groups: 2 });
    const { client } = await loggedIn(stack, 'nora', 'nora-secret');
    const users = await client.call<{ PublicKeys: unknown[] }[]>('give me users');
    expect(users).toHaveLength(300);
    expect(users.every((u) => u.PublicKeys.length === 2)).toBe(true);
    expect(await client.call<unknown[]>('give me dialogs')).toHaveLength(3);
    expect(await client.call<unknown[]>('give me groups')).toHaveLength(2);
    await expect(admin('network', '--user', 'nora', '--contacts', 'many')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--contacts must be a whole number') });
    await client.close();
  });
});

describe('the operator toolbox', { timeout: 90_000 }, () => {
  const json = async (call: Promise<{ stdout: string }>) => JSON.parse((await call).stdout);

  it('creates domains, refuses an existing one, lists them, and domain-config refuses a domain that does not exist', async () => {
    const created = await json(admin('create-domain', '--domain', 'widgets', '--set', 'single_device=true'));
    expect(created).toMatchObject({ name: 'widgets', single_device: true, is_base: false });
    await expect(admin('create-domain', '--domain', 'widgets')).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('domain widgets exists') });
    const misspelt = admin('domain-config', '--domain', 'widgetz', '--set', 'single_device=false');
    await expect(misspelt).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('no domain widgetz') });
    const domains = (await json(admin('list-domains'))) as { id: number; name: string }[];
    expect(domains.map((d) => d.name)).toContain('widgets');
    expect(domains.map((d) => d.name)).not.toContain('widgetz');
    expect(new Set(domains.map((d) => d.id)).size).toBe(domains.length);
  });

  it('lists the users of a domain, shows one without the password hash, and revoke-logins ends every login', async () => {
    await admin('create-user', '--username', 'quinn', '--password', 'quinn-secret', '--domain', 'tools', '--first-name', 'Quinn');
    await admin('create-user', '--username', 'rosa', '--password', 'rosa-secret', '--domain', 'tools');
    const listed = (await json(admin('list-users', '--domain', 'tools'))) as Record<string, unknown>[];
    expect(listed.map((u) => u.username).sort()).toEqual(['quinn', 'rosa']);
    for (const user of listed) expect(user).not.toHaveProperty('passwordHash');
    const everyone = (await json(admin('list-users'))) as { username: string }[];
    expect(everyone.length).toBeGreaterThan(listed.length);
    await expect(admin('list-users', '--domain', 'nowhere')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('no domain nowhere') });

    const phone = await loggedIn(stack, 'quinn', 'quinn-secret');
    const laptop = await loggedIn(stack, 'quinn', 'quinn-secret');
    const shown = await json(admin('show-user', '--user', 'quinn'));
    expect(shown).toMatchObject({ username: 'quinn', first_name: 'Quinn', domain: { name: 'tools' }, logins: 2 });
    expect(shown.connections).toHaveLength(2);
    expect(shown).not.toHaveProperty('passwordHash');

    const revoked = await json(admin('revoke-logins', '--user', 'quinn'));
    expect(revoked).toMatchObject({ user: phone.userId, loginsRevoked: 2 });
    expect(revoked.connectionsAskedToLogIn).toHaveLength(2);
    for (const device of [phone, laptop]) {
      expect(await device.client.push('subscribe please')).toBe('token expired');
      expect((await device.client.request('who am i')).error).toBe('not authenticated');
      // The old token is dead too: the device has to log in with the password again.
      const again = await device.client.request('auth by token', { userId: device.userId, token: device.token });
      expect(again.error).not.toBeNull();
      await device.client.close();
    }
    expect(await json(admin('show-user', '--user', 'quinn'))).toMatchObject({ connections: [], logins: 0 });
  });

  it('reset-password sets a new password and ends every login made with the old one', async () => {
    await admin('create-user', '--username', 'sven', '--password', 'old-secret');
    const device = await loggedIn(stack, 'sven', 'old-secret');
    const reset = await json(admin('reset-password', '--user', 'sven', '--password', 'new-secret', '--planned-password-change'));
    expect(reset).toMatchObject({ user: device.userId, connectionsAskedToLogIn: 1, plannedPasswordChange: true });
    expect(await device.client.push('subscribe please')).toBe('token expired');
    expect((await device.client.request('auth by token', { userId: device.userId, token: device.token })).error).not.toBeNull();
    expect((await device.client.request('auth by credentials', { username: 'sven', password: 'old-secret' })).error).toBe('wrong password');
    await device.client.call('auth by credentials', { username: 'sven', password: 'new-secret' });
    expect(await device.client.call('who am i')).toMatchObject({ username: 'sven', is_planned_password_change: true });
    await device.client.close();
    await expect(admin('reset-password', '--user', 'sven', '--password', '')).rejects.toMatchObject({ code: 2 });
  });

  it('disable-user ends every login and refuses the next ones as for a user who does not exist; enable-user lifts the flag only', async () => {
    await admin('create-user', '--username', 'tara', '--password', 'tara-secret');
    const phone = await loggedIn(stack, 'tara', 'tara-secret');
    const laptop = await loggedIn(stack, 'tara', 'tara-secret');
    const disabled = await json(admin('disable-user', '--user', 'tara'));
    expect(disabled).toMatchObject({ user: phone.userId, disabled: true });
    expect(disabled.connectionsLoggedOut).toHaveLength(2);
    for (const device of [phone, laptop]) {
      expect(await device.client.push('log out please')).toBeNull();
      await device.client.waitClosed();
    }
    expect(await json(admin('show-user', '--user', 'tara'))).toMatchObject({ disabled: true, connections: [], logins: 0 });

    const retry = await TestClient.connect(stack.url);
    // The right password, the old token: the answers of a user who does not exist / of a revoked login.
    expect((await retry.request('auth by credentials', { username: 'tara', password: 'tara-secret' })).error).toBe('wrong password');
    expect((await retry.request('auth by token', { userId: phone.userId, token: phone.token })).error).toBe('wrong token, use credentials');
    expect((await retry.request('who am i')).error).toBe('not authenticated');
    // Running it again changes nothing and closes nothing.
    expect(await json(admin('disable-user', '--user', 'tara'))).toMatchObject({ connectionsLoggedOut: [] });

    expect(await json(admin('enable-user', '--user', 'tara'))).toEqual({ user: phone.userId, disabled: false });
    // The flag only: the revoked token stays dead, the password works again.
    expect((await retry.request('auth by token', { userId: phone.userId, token: phone.token })).error).toBe('wrong token, use credentials');
    await retry.call('auth by credentials', { username: 'tara', password: 'tara-secret' });
    expect(await retry.call('who am i')).toMatchObject({ username: 'tara' });
    expect(await json(admin('show-user', '--user', 'tara'))).toMatchObject({ disabled: false, logins: 1 });
    await retry.close();
    await expect(admin('disable-user', '--user', 'nobody')).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('no user nobody') });
  });

  it('a disabled user stays out even with a token issued before: the token login checks the flag', async () => {
    // The login survives revocation only if it was never revoked: simulate a token minted just before the flag, whose family the revocation missed.
    await admin('create-user', '--username', 'uma', '--password', 'uma-secret');
    const device = await loggedIn(stack, 'uma', 'uma-secret');
    await device.client.close();
    expect(await setDisabled(getDeps(), device.userId, true)).toBe(true);
    const again = await TestClient.connect(stack.url);
    expect((await again.request('auth by token', { userId: device.userId, token: device.token })).error).toBe('wrong token, use credentials');
    expect((await again.request('who am i')).error).toBe('not authenticated');
    await again.close();
  });
});
