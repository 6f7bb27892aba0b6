/**
 * What must hold in the store after any run, faults or not, once it is quiet
 * (no frame in flight, the streams drained): read by Scans of both tables, so
 * it sees what no single frame can. Run after a faulted run (test/support's
 * stacks do when FAULTS is set; bench/load.ts --check) with the faults off.
 * Each check names the one piece of logic that should have kept it:
 *
 * - messages: every message is held by every recipient it was sent to, every
 *   copy belongs to a message of that dialog and recipient, no copy is past
 *   its dialog's `lastId`, and every `client_id` names a stored message of
 *   its sender (new message's one transaction);
 * - acked messages (when the caller lists them): stored, and held by each of
 *   their recipients (nothing acked is lost);
 * - presence: every live member is a live connection item bound to that
 *   user, and every bound live connection item is a member (bindSession,
 *   connectionEnded, the connection-removed consumer);
 * - logins: every bound live connection's token family exists, is its
 *   user's, and lists it, so revoking the login reaches it (openSession,
 *   revokeLogins).
 */
import { paginateScan } from '@aws-sdk/lib-dynamodb';
import { epochSeconds, type Store } from '../lambdas/storage/store';
import type { Connection } from '../lambdas/storage/connections';
import type { TokenFamily } from '../lambdas/storage/token-families';

type Item = Record<string, unknown> & { pk: string; sk: string };

export interface AckedMessage {
  id: number;
  dialogId: number;
  recipients: readonly number[];
}

async function scan<T>(store: Store, table: string): Promise<T[]> {
  const items: T[] = [];
  for await (const page of paginateScan({ client: store.db }, { TableName: table, ConsistentRead: true })) items.push(...((page.Items ?? []) as T[]));
  return items;
}

const live = (item: object, nowSeconds: number) => typeof (item as { expiresAt?: unknown }).expiresAt !== 'number' || (item as { expiresAt: number }).expiresAt > nowSeconds;

/** The violations found (empty: every invariant holds). */
export async function checkInvariants(store: Store, options: { acked?: readonly AckedMessage[]; now?: number } = {}): Promise<string[]> {
  const nowSeconds = epochSeconds(options.now ?? Date.now());
  const [data, connectionItems] = await Promise.all([scan<Item>(store, store.config.dataTable), scan<Connection>(store, store.config.connectionsTable)]);
  const violations: string[] = [];
  const byKind = (prefix: string, sk?: string) => data.filter((i) => i.pk.startsWith(prefix) && (sk === undefined || i.sk === sk));

  // Messages.
  const messages = new Map(byKind('MSG#', 'MSG').map((m) => [Number(m.id), m as Item & { dialog_id: number; recipients: number[] }]));
  const copies = new Set<string>();
  const lastIds = new Map(byKind('DIALOG#', 'HEAD').map((h) => [Number(h.id), Number(h.lastId)]));
  for (const copy of byKind('INBOX#').filter((i) => i.sk.startsWith('MSG#')) as (Item & { id: number; dialog_id: number; recipient_id: number })[]) {
    copies.add(`${copy.recipient_id}/${copy.dialog_id}/${copy.id}`);
    const message = messages.get(copy.id);
    if (!message || message.dialog_id !== copy.dialog_id) violations.push(`copy of message ${copy.id} held by ${copy.recipient_id} has no message in dialog ${copy.dialog_id}`);
    else if (!message.recipients.includes(copy.recipient_id)) violations.push(`message ${copy.id} is held by ${copy.recipient_id}, not one of its recipients`);
    if (copy.id > (lastIds.get(copy.dialog_id) ?? 0)) violations.push(`message ${copy.id} is past the lastId of dialog ${copy.dialog_id}`);
  }
  const holds = (recipient: number, dialogId: number, id: number) => copies.has(`${recipient}/${dialogId}/${id}`);
  for (const message of messages.values()) {
    for (const r of message.recipients) if (!holds(r, message.dialog_id, Number(message.id))) violations.push(`message ${message.id} is not held by its recipient ${r}`);
  }
  for (const client of byKind('CLIENTMSG#').filter((i) => live(i, nowSeconds)) as (Item & { messageId: number; dialogId: number })[]) {
    const sender = Number(client.pk.split('#')[1]);
    if (!holds(sender, client.dialogId, client.messageId)) violations.push(`${client.pk} names message ${client.messageId}, which its sender does not hold`);
  }
  for (const acked of options.acked ?? []) {
    if (!messages.has(acked.id)) violations.push(`acked message ${acked.id} is not stored`);
    for (const r of acked.recipients) if (!holds(r, acked.dialogId, acked.id)) violations.push(`acked message ${acked.id} is not held by ${r}`);
  }

  // Presence and connections.
  const connections = new Map(connectionItems.filter((c) => live(c, nowSeconds)).map((c) => [c.connectionId, c]));
  const members = new Set<string>();
  for (const presence of byKind('USER#', 'PRESENCE')) {
    const userId = Number(presence.pk.slice('USER#'.length));
    for (const [name, value] of Object.entries(presence)) {
      if (!name.startsWith('c#') || (value as { exp: number }).exp <= nowSeconds) continue;
      const connectionId = name.slice(2);
      members.add(`${userId}/${connectionId}`);
      const connection = connections.get(connectionId);
      if (connection?.userId === userId) continue;
      const state = !connection ? 'no live connection' : connection.userId === undefined ? 'not logged in' : `bound to user ${connection.userId}`;
      violations.push(`presence member ${connectionId} of user ${userId} is ${state}`);
    }
  }

  // Logins.
  const families = new Map(byKind('TOKENFAMILY#', 'TOKENFAMILY').filter((f) => live(f, nowSeconds)).map((f) => [String(f.familyId), f as unknown as TokenFamily]));
  for (const c of connections.values()) {
    if (c.userId === undefined) continue;
    if (!members.has(`${c.userId}/${c.connectionId}`)) violations.push(`connection ${c.connectionId} is bound to user ${c.userId} but not a presence member`);
    const family = families.get(c.familyId ?? '');
    if (!family) violations.push(`connection ${c.connectionId} of user ${c.userId} is bound under login ${c.familyId}, which is gone`);
    else if (family.userId !== c.userId) violations.push(`connection ${c.connectionId} of user ${c.userId} is bound under login ${c.familyId} of user ${family.userId}`);
    else if (!(c.connectionId in (family.connections ?? {}))) violations.push(`connection ${c.connectionId} is bound under login ${c.familyId}, which does not list it`);
  }
  return violations;
}
