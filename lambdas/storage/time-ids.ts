/**
 * Ids of dialogs, groups and messages: integers that need no counter item, so
 * nothing on the message path is written by every message (architecture: no
 * hot keys).
 *
 *   id = (ms since 2025-01-01T00:00:00Z) · 2^12 + slot · 16 + sub
 *
 * - 41 bits of milliseconds: ids stay below 2^53 (JavaScript-safe) until
 *   2094-09-07;
 * - `slot`, 8 random bits: 256 ids per millisecond. Uniqueness is not left to
 *   chance: the item named by the id is put with `attribute_not_exists` in the
 *   same transaction as everything else, and a collision makes the writer try
 *   another id;
 * - `sub`, 4 bits, is 0 for the object itself; a message's attachments are
 *   `id + 1 … id + 15` (at most 15 attachments a message).
 *
 * So ids sort by time and a range of dates is a range of ids: a message's
 * `created_at` is the time its id carries, and `get messages before` turns its
 * dates into one key range of one Query.
 */
import { formatDate } from '../protocol/frames';

export const ID_EPOCH_MS = Date.UTC(2025, 0, 1);
/** Ids per millisecond. */
export const IDS_PER_MS = 2 ** 12;
/** Ids reserved per object: the object and up to 15 attachments. */
export const SUB_IDS = 16;
const SLOTS = IDS_PER_MS / SUB_IDS;
/** The last millisecond with a safe id (2094-09-07). */
export const LAST_ID_MS = ID_EPOCH_MS + Math.floor(Number.MAX_SAFE_INTEGER / IDS_PER_MS);
/** Width of an id in sort keys (`MSG#0000123456789012`): 2^53 has 16 digits. */
const DIGITS = 16;

const randomSlot = (above = -1) => above + 1 + Math.floor(Math.random() * (SLOTS - above - 1));

export const msOfId = (id: number): number => ID_EPOCH_MS + Math.floor(id / IDS_PER_MS);

const slotOf = (id: number) => Math.floor((id % IDS_PER_MS) / SUB_IDS);

function idAt(ms: number, slot: number): number {
  if (ms < ID_EPOCH_MS || ms > LAST_ID_MS) throw new Error(`no ids for ${new Date(ms).toISOString()}`);
  return (ms - ID_EPOCH_MS) * IDS_PER_MS + slot * SUB_IDS;
}

/**
 * A fresh id for `now`, greater than `after` (the newest id of the dialog, so
 * a dialog's messages are ordered by id the way they were committed). When the
 * clock has not moved past `after`, the id takes a later slot of the same
 * millisecond, or the next millisecond.
 */
export function newId(now: Date | number, after = 0): number {
  const ms = Math.max(new Date(now).getTime(), ID_EPOCH_MS + 1);
  const candidate = idAt(ms, randomSlot());
  if (candidate > after) return candidate;
  const last = msOfId(after);
  const slot = slotOf(after);
  return slot < SLOTS - 1 ? idAt(last, randomSlot(slot)) : idAt(last + 1, randomSlot());
}

/** `created_at` of the object an id names. */
export const dateOfId = (id: number): string => formatDate(msOfId(id));

/** The id in a sort key: zero-padded so string order is number order. */
export const padId = (id: number): string => String(id).padStart(DIGITS, '0');

/** The smallest id created at or after `ms` (whole seconds are the caller's business). */
export const firstIdAt = (ms: number): number => (ms <= ID_EPOCH_MS ? 0 : ms > LAST_ID_MS ? Number.MAX_SAFE_INTEGER : (ms - ID_EPOCH_MS) * IDS_PER_MS);

/** The greatest id created at or before `ms` (clamped to the id range). */
export const lastIdAt = (ms: number): number => (ms < ID_EPOCH_MS ? -1 : ms >= LAST_ID_MS ? Number.MAX_SAFE_INTEGER : (ms - ID_EPOCH_MS + 1) * IDS_PER_MS - 1);

/** The first id of a date's second, and the last one: inclusive bounds for `created_at` in [first, last]. */
export function idRangeOfDates(firstMs: number | undefined, lastMs: number): { min: number; max: number } {
  const second = (ms: number) => Math.floor(ms / 1000) * 1000;
  return { min: firstMs === undefined ? 0 : firstIdAt(second(firstMs)), max: lastIdAt(second(lastMs) + 999) };
}
