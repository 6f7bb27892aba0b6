/** Demo data for an empty local store, so `npm start` is usable at once. */
import type { Deps } from '../lambdas/deps';
import { linkUsers } from '../lambdas/domain/contacts';
import { createAccount, DEFAULT_DOMAIN } from '../lambdas/domain/provisioning';
import { findDomainByName } from '../lambdas/storage/domains';
import { findUsername } from '../lambdas/storage/users';

export const DEMO_USERS = [
  { username: 'alice', password: 'alice-secret', firstName: 'Alice', lastName: 'Liddell' },
  { username: 'bob', password: 'bob-secret', firstName: 'Bob', lastName: 'Builder' },
] as const;

/** Seeds a store that has no default domain yet (the demo users, as contacts); returns the demo users present afterwards. */
export async function seedDemoData(deps: Deps): Promise<{ created: boolean; present: typeof DEMO_USERS[number][] }> {
  const empty = !(await findDomainByName(deps, DEFAULT_DOMAIN));
  if (empty) {
    const ids: number[] = [];
    for (const user of DEMO_USERS) ids.push((await createAccount(deps, deps.config.scryptLogN, user)).id);
    await linkUsers(deps, ids[0]!, ids[1]!);
  }
  const present = [];
  for (const user of DEMO_USERS) if (await findUsername(deps, user.username)) present.push(user);
  return { created: empty, present };
}
