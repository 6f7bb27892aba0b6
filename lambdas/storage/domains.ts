/** Domains: a user's organisation, with the settings that limit what users may do. */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Domain, DomainConfig } from '../protocol/objects';
import { idsUpTo, lastId, nextId } from './ids';
import { readEach, ref, withoutKey, type Store } from './store';
import { transaction, TransactionCancelled } from './transact';

export interface DomainRecord extends Domain {
  /** One live device per user: a new login logs the others out. */
  single_device: boolean;
}

export type DomainSettings = DomainConfig & { single_device: boolean; url: string; passphrase: string; is_base: boolean };

export const DEFAULT_SETTINGS: DomainSettings = {
  key_management_by_user: true,
  contactlist_management_by_user: true,
  single_device: false,
  url: '',
  passphrase: '',
  is_base: false,
};

export const domainKey = (id: number) => ({ pk: `DOMAIN#${id}`, sk: 'DOMAIN' });
const nameKey = (name: string) => ({ pk: `DOMAINNAME#${name.toLowerCase()}`, sk: 'DOMAINNAME' });

export class DomainExistsError extends Error {}

export async function createDomain(store: Store, name: string, settings: Partial<DomainSettings> = {}): Promise<DomainRecord> {
  const s = { ...DEFAULT_SETTINGS, ...settings };
  const id = await nextId(store, 'domain');
  const record: DomainRecord = {
    id,
    name,
    url: s.url,
    passphrase: s.passphrase,
    is_base: s.is_base,
    config: { key_management_by_user: s.key_management_by_user, contactlist_management_by_user: s.contactlist_management_by_user },
    single_device: s.single_device,
  };
  const tx = transaction(store);
  tx.put('name', { ...nameKey(name), domainId: id }, { expression: 'attribute_not_exists(pk)' });
  tx.put('domain', { ...domainKey(id), ...record });
  try {
    await tx.commitRetryingConflicts(store);
  } catch (error) {
    if (error instanceof TransactionCancelled && error.failed.has('name')) throw new DomainExistsError(`domain ${name} exists`);
    throw error;
  }
  return record;
}

export const domainRef = (id: number) => ref(domainKey(id), withoutKey<DomainRecord>);

export async function getDomain(store: Store, id: number): Promise<DomainRecord | undefined> {
  const { Item } = await store.db.send(new GetCommand({ TableName: store.config.dataTable, Key: domainKey(id) }));
  return withoutKey<DomainRecord>(Item);
}

export async function findDomainByName(store: Store, name: string): Promise<DomainRecord | undefined> {
  const { Item } = await store.db.send(new GetCommand({ TableName: store.config.dataTable, Key: nameKey(name) }));
  return Item ? getDomain(store, Item.domainId as number) : undefined;
}

/** Public view: the protocol's Domain object, without server-only settings. */
export function publicDomain({ single_device: _s, ...domain }: DomainRecord): Domain {
  return domain;
}

export async function updateDomainSettings(store: Store, id: number, settings: Partial<DomainSettings>): Promise<DomainRecord> {
  const sets: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings)) {
    const inConfig = key === 'key_management_by_user' || key === 'contactlist_management_by_user';
    names[`#${key}`] = key;
    values[`:${key}`] = value;
    sets.push(inConfig ? `#config.#${key} = :${key}` : `#${key} = :${key}`);
    if (inConfig) names['#config'] = 'config';
  }
  if (sets.length === 0) return (await getDomain(store, id))!;
  const { Attributes } = await store.db.send(
    new UpdateCommand({
      TableName: store.config.dataTable,
      Key: domainKey(id),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_NEW',
    }),
  );
  return withoutKey<DomainRecord>(Attributes)!;
}

/** Every domain, by id: BatchGets of the ids the counter handed out (an operator listing; domains are few). */
export async function listDomains(store: Store): Promise<DomainRecord[]> {
  const found = await readEach(store, idsUpTo(await lastId(store, 'domain')), (id) => ({ domain: domainRef(id) }));
  return [...found.values()].flatMap(({ domain }) => domain ?? []);
}
