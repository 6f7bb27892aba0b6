/**
 * A dialog's history, page by page, with the `before_id` cursor (an extension
 * of `get messages before`): each page starts below the oldest message of the
 * previous one, so messages sent within one second are never skipped or seen
 * twice, however many there are.
 */
import type { Message } from '../lambdas/protocol/objects';
import type { MessengerClient } from './client';
import type { AckOptions } from './types';

const NEWEST = '9999-12-31 23:59:59';

export interface HistoryPage {
  dialogId: number;
  /** The oldest message of the previous page; none for the newest page. */
  after?: Pick<Message, 'id' | 'created_at'>;
  /** @default 30 (the server's; at most 100) */
  limit?: number;
}

/** One page, newest first: the messages older than `after`. */
export async function messagesBefore(client: MessengerClient, page: HistoryPage, options?: AckOptions): Promise<Message[]> {
  const data = {
    dialog_id: page.dialogId,
    last_date: page.after?.created_at ?? NEWEST,
    ...(page.after ? { before_id: page.after.id } : {}),
    ...(page.limit ? { limit: page.limit } : {}),
  };
  return client.emitWithAck('get messages before', data, ...(options ? [options] : [])) as Promise<Message[]>;
}

/** Every page, newest first, until the history's start. */
export async function* historyPages(client: MessengerClient, dialogId: number, limit?: number, options?: AckOptions): AsyncGenerator<Message[]> {
  let after: Message | undefined;
  for (;;) {
    const page = await messagesBefore(client, { dialogId, ...(after ? { after } : {}), ...(limit ? { limit } : {}) }, options);
    if (page.length === 0) return;
    yield page;
    after = page.at(-1);
  }
}
