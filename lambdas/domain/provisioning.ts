/** Operator actions (CLI, demo seed): domains and accounts. No route calls these. */
import { createDomain, DomainExistsError, findDomainByName, updateDomainSettings, DEFAULT_SETTINGS, type DomainRecord, type DomainSettings } from '../storage/domains';
import type { Store } from '../storage/store';
import { createUser, setDisabled, updateUser, type UserRecord } from '../storage/users';
import type { Deps } from '../deps';
import { clearFailures } from '../storage/login-failures';
import { hashPassword } from './passwords';
import { endOtherLogins, logOutEverywhere } from './sessions';

export const DEFAULT_DOMAIN = 'default';

export async function ensureDomain(store: Store, name: string, settings: Partial<DomainSettings> = {}): Promise<DomainRecord> {
  const existing = await findDomainByName(store, name);
  if (existing) return existing;
  try {
    return await createDomain(store, name, settings);
  } catch (error) {
    if (error instanceof DomainExistsError) return (await findDomainByName(store, name))!;
    throw error;
  }
}

export interface NewAccount {
  username: string;
  password: string;
  firstName?: string;
  lastName?: string;
  domain?: string;
  plannedPasswordChange?: boolean;
}

export async function createAccount(store: Store, scryptLogN: number, account: NewAccount): Promise<UserRecord> {
  const domain = await ensureDomain(store, account.domain ?? DEFAULT_DOMAIN, account.domain ? {} : { is_base: true });
  return createUser(store, {
    username: account.username,
    domain_id: domain.id,
    passwordHash: await hashPassword(account.password, scryptLogN),
    first_name: account.firstName ?? '',
    last_name: account.lastName ?? '',
    is_planned_password_change: account.plannedPasswordChange ?? false,
  });
}

/** Parses `key=value` for a domain setting; refuses unknown keys and ill-typed values. */
export function parseSetting(assignment: string): Partial<DomainSettings> {
  const at = assignment.indexOf('=');
  const key = assignment.slice(0, at) as keyof DomainSettings;
  const raw = assignment.slice(at + 1);
  if (at < 1 || !(key in DEFAULT_SETTINGS)) {
    throw new Error(`unknown setting "${assignment}"; known: ${Object.keys(DEFAULT_SETTINGS).join(', ')}`);
  }
  if (typeof DEFAULT_SETTINGS[key] === 'boolean') {
    if (raw !== 'true' && raw !== 'false') throw new Error(`${key} takes true or false`);
    return { [key]: raw === 'true' };
  }
  return { [key]: raw };
}

const parseSettings = (assignments: readonly string[]) => Object.assign({}, ...assignments.map(parseSetting)) as Partial<DomainSettings>;

/** Sets a domain's settings, creating the domain if need be (tests and the demo seed). */
export async function configureDomain(store: Store, name: string, assignments: string[]): Promise<DomainRecord> {
  const settings = parseSettings(assignments);
  const domain = await ensureDomain(store, name, name === DEFAULT_DOMAIN ? { is_base: true } : {});
  return updateDomainSettings(store, domain.id, settings);
}

/** Changes an existing domain's settings (the operator's domain-config): a misspelt name is an error, not a new domain. */
export async function reconfigureDomain(store: Store, name: string, assignments: string[]): Promise<DomainRecord> {
  const settings = parseSettings(assignments);
  const domain = await findDomainByName(store, name);
  if (!domain) throw new Error(`no domain ${name} (create-domain makes one)`);
  return updateDomainSettings(store, domain.id, settings);
}

/** A new domain with the settings given; an existing name is refused. */
export async function createNamedDomain(store: Store, name: string, assignments: readonly string[] = []): Promise<DomainRecord> {
  if (name.trim() === '') throw new Error('a domain needs a name');
  const settings = parseSettings(assignments);
  return createDomain(store, name, name === DEFAULT_DOMAIN ? { is_base: true, ...settings } : settings);
}

/**
 * An operator's password reset: the new hash is stored, a lockout from failed
 * attempts is lifted, and every login of the user ends (as after a password
 * change, keeping none), so a device logged in by whoever knew the old
 * password is out. `plannedChange` asks the user to choose their own at the
 * next login.
 */
export async function resetPassword(deps: Deps, user: UserRecord, password: string, plannedChange: boolean): Promise<number> {
  if (password === '') throw new Error('the new password is empty');
  const passwordHash = await hashPassword(password, deps.config.scryptLogN);
  await updateUser(deps, user.id, { passwordHash, is_planned_password_change: plannedChange }, { now: deps.now() });
  // An operator's reset clears the attempt window even when it is full.
  await clearFailures(deps, user.username, Number.MAX_SAFE_INTEGER);
  return (await endOtherLogins(deps, user.id, '')).length;
}

/**
 * Disables an account: the flag is written first, so no login started from
 * now on succeeds (`wrong password` / `wrong token, use credentials`, as for
 * an account that does not exist); then every login is revoked and every
 * device told `log out please` and closed. Re-running it is harmless.
 * Returns the connections closed.
 */
export async function disableUser(deps: Deps, userId: number): Promise<string[]> {
  if (!(await setDisabled(deps, userId, true))) throw new Error(`no user ${userId}`);
  return logOutEverywhere(deps, userId);
}

/** Lifts the flag only: the user logs in again with their password (their logins ended when they were disabled). */
export async function enableUser(deps: Deps, userId: number): Promise<void> {
  if (!(await setDisabled(deps, userId, false))) throw new Error(`no user ${userId}`);
}
