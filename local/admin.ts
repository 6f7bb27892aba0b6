/**
 * Operator CLI: `npm run admin -- <command> [flags]`.
 * Local (default): acts on the running `npm start` stack found through PORT
 * (DynamoDB on PORT+1), or on DATA_DIR: through the stack serving it when one
 * runs, directly otherwise. DATA_DIR given while another stack answers on
 * PORT is refused. Says on stderr which store it acted on.
 * AWS: `--region R --data-table T --connections-table C [--management-endpoint URL]`.
 */
import { parseArgs } from 'node:util';
import type { Config } from '../lambdas/config';
import { createDeps, type Deps } from '../lambdas/deps';
import { linkUsers } from '../lambdas/domain/contacts';
import { deleteUser } from '../lambdas/domain/account-deletion';
import { addKey } from '../lambdas/domain/keys';
import { createAccount, createNamedDomain, disableUser, enableUser, reconfigureDomain, resetPassword } from '../lambdas/domain/provisioning';
import { endOtherLogins } from '../lambdas/domain/sessions';
import { findDomainByName, getDomain, listDomains, type DomainRecord } from '../lambdas/storage/domains';
import { connectionsOfUser } from '../lambdas/storage/connections';
import { familiesOfUser } from '../lambdas/storage/token-families';
import { findUsername, getUser, listUsers, type UserRecord } from '../lambdas/storage/users';
import { tables } from '../lambdas/storage/tables';
import { startEmbeddedDynamo, type EmbeddedDynamo } from './embedded-dynamo';
import { runningStackOf } from './stack-marker';
import { provisionNetwork } from './provision-network';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const USAGE = `usage: npm run admin -- <command> [flags]

commands:
  create-user --username U --password P [--first-name F] [--last-name L] [--domain NAME] [--planned-password-change]
  link --user U1 --user U2          make two users accepted contacts (username or id), whatever the domain allows
  add-key --user U --key BASE64 [--default]   add a public key (base64 of 32 bytes) for a user
  network --user U --contacts N [--keys 2] [--dialogs D] [--groups G]
      give a user N new accepted contacts (each with its keys, logging in with U's password),
      D dialogs and G groups with them, in bulk (scale tests; see local/provision-network.ts)
  domain-config --domain NAME --set key=value [--set key=value …]   change an existing domain
      keys: key_management_by_user, contactlist_management_by_user, single_device (true|false), url, passphrase, is_base
  create-domain --domain NAME [--set key=value …]   a new domain (an existing name is refused)
  list-domains                      every domain with its settings
  list-users [--domain NAME]        every user (of one domain): id, username, names, domain
  show-user --user U                one user: profile, domain, open connections, live logins
  revoke-logins --user U            end every login of the user: tokens revoked, connections asked to log in again
  reset-password --user U --password P [--planned-password-change]   new password; every login ends
  disable-user --user U             no login succeeds any more; every login ends, every device is told to log out and closed
  enable-user --user U              lifts disable-user (the user logs in again with their password)
  delete-user --user U              every item of the user goes; their messages to others become deleted messages
      (one full pass of the data table; safe to run again after a crash: docs/design.md, "Deleting a user")

target (default: the local stack on PORT; with DATA_DIR, the stack serving DATA_DIR, or DATA_DIR itself when none runs;
        DATA_DIR while another stack answers on PORT is refused):
  --region R --data-table T --connections-table C [--management-endpoint URL]   the deployed stack`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    username: { type: 'string' },
    password: { type: 'string' },
    'first-name': { type: 'string' },
    'last-name': { type: 'string' },
    domain: { type: 'string' },
    'planned-password-change': { type: 'boolean' },
    user: { type: 'string', multiple: true },
    set: { type: 'string', multiple: true },
    key: { type: 'string' },
    contacts: { type: 'string' },
    keys: { type: 'string' },
    dialogs: { type: 'string' },
    groups: { type: 'string' },
    default: { type: 'boolean' },
    region: { type: 'string' },
    'data-table': { type: 'string' },
    'connections-table': { type: 'string' },
    'management-endpoint': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

function need(name: keyof typeof values): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') fail(`--${name} is required`);
  return value;
}

const baseConfig: Config = {
  connectionsTable: 'Connections',
  dataTable: 'Data',
  chunksTable: 'Chunks',
  chunkTtlSeconds: 120,
  region: 'local',
  managementEndpoint: '',
  tokenTtlSeconds: 0,
  connectionTtlSeconds: 0,
  connectionIdleSeconds: 600,
  connectionRefreshSeconds: 60,
  scryptLogN: Number(process.env.SCRYPT_LOG_N ?? 17),
  loginMaxFailures: 0,
  loginWindowSeconds: 0,
  allowedOrigins: [],
  filesUrl: '',
  pushConcurrency: 16,
  outboxTtlSeconds: 60,
  deliveryGraceMs: 2000,
  rateLimits: {},
};

async function reachable(endpoint: string): Promise<boolean> {
  try {
    await fetch(endpoint, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

/** Deps for the chosen target, what to close afterwards, and what to tell the operator it was. */
interface Target {
  deps: Deps;
  embedded?: EmbeddedDynamo;
  /** Which store the command acts on, in words. */
  store: string;
}

/** The operator asked for something two different stores could serve: acting on either would surprise. */
function refuse(message: string): never {
  console.error(message);
  process.exit(2);
}

async function connect(): Promise<Target> {
  if (values.region || values['data-table']) {
    const config = {
      ...baseConfig,
      region: need('region'),
      dataTable: need('data-table'),
      connectionsTable: need('connections-table'),
      managementEndpoint: values['management-endpoint'] ?? '',
    };
    return { deps: createDeps(config), store: `AWS ${config.region}, tables ${config.dataTable} and ${config.connectionsTable}` };
  }
  const port = Number(process.env.PORT ?? 8080);
  const dataDir = process.env.DATA_DIR || undefined;
  const onPort = process.env.DYNAMODB_ENDPOINT ?? `http://127.0.0.1:${port + 1}`;
  const answering = await reachable(onPort);
  const owner = dataDir ? runningStackOf(dataDir) : undefined;
  const viaStack = (dynamoEndpoint: string, managementEndpoint: string, store: string): Target => ({
    deps: createDeps({ ...baseConfig, managementEndpoint, dynamoEndpoint }),
    store,
  });
  if (dataDir && owner) {
    if (answering && owner.dynamoEndpoint !== onPort) {
      refuse(`ambiguous target: DATA_DIR=${dataDir} is served by the stack on PORT=${owner.port}, but another stack answers on PORT=${port}; set PORT=${owner.port}, or unset DATA_DIR to act on the stack on PORT=${port}`);
    }
    return viaStack(owner.dynamoEndpoint, owner.managementEndpoint, `the local stack on PORT=${owner.port} (pid ${owner.pid}), store DATA_DIR=${dataDir}`);
  }
  if (dataDir && answering) {
    refuse(`ambiguous target: DATA_DIR=${dataDir} is not the store of the stack that answers on PORT=${port} (${onPort}); unset DATA_DIR to act on that stack, or stop it to act on DATA_DIR directly`);
  }
  if (answering) return viaStack(onPort, `http://127.0.0.1:${port}`, `the local stack on PORT=${port} (DynamoDB ${onPort})`);
  if (!dataDir) fail(`no local stack at ${onPort}: run \`npm start\` (same PORT), or set DATA_DIR`);
  const embedded = await startEmbeddedDynamo({ dataDir, port: 0, sweepIntervalMs: 0, tables });
  return {
    deps: createDeps({ ...baseConfig, managementEndpoint: `http://127.0.0.1:${port}`, dynamoEndpoint: embedded.endpoint }),
    embedded,
    store: `DATA_DIR=${dataDir} directly (no stack is running on it)`,
  };
}

/** A user by username, or by id when the argument is a number and no such username exists. */
async function userIdOf(deps: Deps, nameOrId: string): Promise<number> {
  const byName = await findUsername(deps, nameOrId);
  if (byName) return byName.userId;
  if (/^\d+$/.test(nameOrId) && (await getUser(deps, Number(nameOrId)))) return Number(nameOrId);
  throw new Error(`no user ${nameOrId}`);
}

async function run(command: string | undefined, deps: Deps): Promise<unknown> {
  switch (command) {
    case 'create-user': {
      const user = await createAccount(deps, deps.config.scryptLogN, {
        username: need('username'),
        password: need('password'),
        firstName: values['first-name'],
        lastName: values['last-name'],
        domain: values.domain,
        plannedPasswordChange: values['planned-password-change'],
      });
      return { id: user.id, username: user.username, domain_id: user.domain_id };
    }
    case 'link': {
      const users = values.user ?? [];
      if (users.length !== 2) fail('link takes exactly two --user flags');
      const [a, b] = await Promise.all(users.map((u) => userIdOf(deps, u)));
      const link = await linkUsers(deps, a!, b!);
      return { users: [a, b], status: link.status };
    }
    case 'add-key': {
      const key = await addKey(deps, await userIdOf(deps, (values.user ?? [])[0] ?? fail('--user is required')), need('key'), values.default ?? false);
      return key;
    }
    case 'network': {
      const count = (name: 'contacts' | 'keys' | 'dialogs' | 'groups', fallback?: number) => {
        const value = values[name] === undefined ? fallback : Number(values[name]);
        if (value === undefined || !Number.isSafeInteger(value) || value < 0) fail(`--${name} must be a whole number`);
        return value;
      };
      const owner = await userIdOf(deps, (values.user ?? [])[0] ?? fail('--user is required'));
      const network = await provisionNetwork(deps, owner, { contacts: count('contacts'), keysPerContact: count('keys', 2), dialogs: count('dialogs', 0), groups: count('groups', 0) });
      return { user: owner, contacts: network.contactIds.length, dialogs: network.dialogIds.length, groups: network.groupIds.length };
    }
    case 'domain-config': {
      if (!values.set?.length) fail('--set key=value is required');
      return domainView(await reconfigureDomain(deps, need('domain'), values.set));
    }
    case 'create-domain':
      return domainView(await createNamedDomain(deps, need('domain'), values.set ?? []));
    case 'list-domains':
      return (await listDomains(deps)).map(domainView);
    case 'list-users': {
      const domain = values.domain === undefined ? undefined : ((await findDomainByName(deps, values.domain)) ?? fail(`no domain ${values.domain}`));
      return (await listUsers(deps, domain?.id)).map(userView);
    }
    case 'show-user': {
      const userId = await userIdOf(deps, oneUser());
      const user = (await getUser(deps, userId))!;
      const [domain, connections, logins] = await Promise.all([getDomain(deps, user.domain_id), connectionsOfUser(deps, userId), familiesOfUser(deps, userId)]);
      return { ...userView(user), domain: domain && domainView(domain), connections: connections.map((c) => c.connectionId), logins: logins.length };
    }
    case 'revoke-logins': {
      const userId = await userIdOf(deps, oneUser());
      const logins = await familiesOfUser(deps, userId);
      // No login is kept: the one domain function that ends a user's logins, as a password change does.
      const ended = await endOtherLogins(deps, userId, '');
      return { user: userId, loginsRevoked: logins.length, connectionsAskedToLogIn: ended };
    }
    case 'reset-password': {
      const user = (await getUser(deps, await userIdOf(deps, oneUser())))!;
      const ended = await resetPassword(deps, user, need('password'), values['planned-password-change'] ?? false);
      return { user: user.id, connectionsAskedToLogIn: ended, plannedPasswordChange: values['planned-password-change'] ?? false };
    }
    case 'disable-user': {
      const userId = await userIdOf(deps, oneUser());
      return { user: userId, disabled: true, connectionsLoggedOut: await disableUser(deps, userId) };
    }
    case 'enable-user': {
      const userId = await userIdOf(deps, oneUser());
      await enableUser(deps, userId);
      return { user: userId, disabled: false };
    }
    case 'delete-user':
      return deleteUser(deps, await userIdOf(deps, oneUser()));
    default:
      fail(command ? `unknown command ${command}` : 'no command');
  }
}

function oneUser(): string {
  const users = values.user ?? [];
  if (users.length !== 1) fail('--user is required, once');
  return users[0]!;
}

/** What an operator sees of a user: never the password hash. */
function userView({ passwordHash: _hash, disabled, ...user }: UserRecord) {
  return { ...user, disabled: disabled ?? false };
}

function domainView({ id, name, url, is_base, config, single_device }: DomainRecord) {
  return { id, name, url, is_base, config, single_device };
}

if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const command = positionals[0];
if (!['create-user', 'link', 'add-key', 'network', 'domain-config', 'create-domain', 'list-domains', 'list-users', 'show-user', 'revoke-logins', 'reset-password', 'disable-user', 'enable-user', 'delete-user'].includes(command ?? '')) fail(command ? `unknown command ${command}` : 'no command');
const { deps, embedded, store } = await connect();
// On stderr, so that stdout stays the result as JSON.
console.error(`${command} on ${store}`);
try {
  console.log(JSON.stringify(await run(command, deps), null, 2));
} catch (error) {
  console.error(`${command} failed on ${store}: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await embedded?.close();
}
