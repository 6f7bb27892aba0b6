/**
 * Checks shared by the dialog, group and message frames, and the retry loop
 * of their read-decide-write transactions.
 */
import type { Deps } from '../deps';
import { ERRORS, ProtocolError } from '../protocol/errors';
import type { NameBodyInput } from '../protocol/schemas';
import type { StoredName } from '../storage/dialogs';
import { linkRef } from '../storage/links';
import { readEach } from '../storage/store';
import { retry } from '../storage/retry';
import { TransactionCancelled, TransactionTooLarge } from '../storage/transact';

/**
 * Reads and writes of one frame are tried this often when the items changed
 * in between. Messages of one dialog commit in id order, so senders racing in
 * one dialog take turns: the loser reads the new `lastId` and goes again
 * after a short random pause.
 */

export const denied = (detail: string) => new ProtocolError(ERRORS.accessDenied, detail);
export const wrongData = (detail: string) => new ProtocolError(ERRORS.wrongData, detail);

/** No id twice. */
export function assertDistinct(ids: readonly number[], what: string): void {
  if (new Set(ids).size !== ids.length) throw wrongData(`${what}: an id twice`);
}

/** Exactly one body per recipient: none missing, none extra, no duplicates. */
export function assertOnePerRecipient(bodies: readonly { recipient_id: number }[], recipients: readonly number[], what: string): void {
  const wanted = new Set(recipients);
  const seen = new Set<number>();
  for (const { recipient_id } of bodies) {
    if (!wanted.has(recipient_id) || seen.has(recipient_id)) throw wrongData(`${what}: a body for ${recipient_id} that is not wanted`);
    seen.add(recipient_id);
  }
  if (seen.size !== wanted.size) throw wrongData(`${what}: ${wanted.size - seen.size} bodies missing`);
}

export const sameMembers = (a: readonly number[], b: readonly number[]) => a.length === b.length && new Set([...a, ...b]).size === a.length;

/** Encrypted names as stored, by recipient. */
export function storedNames(bodies: readonly NameBodyInput[], date: string): Record<string, StoredName> {
  return Object.fromEntries(
    bodies.map((b) => [String(b.recipient_id), { key_id: b.key_id, key_from_id: b.key_from_id, nonce: b.nonce, name: b.name, created_at: date, updated_at: date }]),
  );
}

/**
 * Outside groups, two users write to each other only while their link is
 * `accepted` (protocol §3). Reads the caller's side of each link; refuses
 * with `access denied` if one is not accepted.
 */
export async function requireAccepted(deps: Deps, me: number, others: readonly number[]): Promise<void> {
  if (others.length === 0) return;
  const found = await readEach(deps, others, (other) => ({ link: linkRef(me, other) }), { consistent: true });
  for (const [other, { link }] of found) {
    if (link?.status !== 'accepted') throw denied(`no accepted link with ${other}`);
  }
}

/**
 * Runs a read-decide-write attempt again when its transaction was cancelled
 * (the items changed since they were read, an id was taken); each attempt
 * reads afresh, so a refusal that has become true meanwhile is answered as
 * such. A transaction over DynamoDB's 100 actions is `wrong data provided`.
 */
export async function withRetries<T>(attempt: () => Promise<T>): Promise<T> {
  try {
    return await retry(attempt, (error) => error instanceof TransactionCancelled);
  } catch (error) {
    if (error instanceof TransactionTooLarge) throw wrongData(`too many changes for one transaction (${error.message})`);
    throw error;
  }
}
