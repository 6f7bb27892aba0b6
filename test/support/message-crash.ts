/**
 * Kills the whole local stack (kill -9) while it stores messages to a group
 * dialog, restarts it on the same data, and checks the guarantees of
 * docs/protocol.md ("Delivery"): every acked message is stored; within a few
 * seconds every stored message has every recipient's copy and none is left
 * pending; no copy exists of a message that was not stored. The restart runs
 * the stream consumers: the stream records not delivered before the kill are
 * lost locally (local/dynamo/streams.ts), so the repair comes from the
 * outboxes' expiry (domain/delivery.ts) — the path of last resort on AWS.
 */
import { fileURLToPath } from 'node:url';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { startLocalStack } from '../../local/stack';
import { seededRandom } from '../../local/seeded-random';
import { localDynamo } from './dynamo';
import { BULK_RATE_LIMITS, TEST_ENV } from './stack';
import { runUntilKilled } from './crash-child';

const CHILD = fileURLToPath(new URL('./message-crash-child.ts', import.meta.url));

/** Short outbox expiry and grace, so that a repair after a restart is due within seconds. */
export const CRASH_ENV = { ...TEST_ENV, ...BULK_RATE_LIMITS, OUTBOX_TTL_SECONDS: '2', DELIVERY_GRACE_MS: '300' };

export interface MessageCrashOptions {
  dataDir: string;
  kills: number;
  recipients: number;
  inFlight: number;
  /** The kill comes this long at most (uniformly) after the first ack of a round. */
  maxDelayMs: number;
  seed: number;
  /** How long the restarted stack has to finish every pending message. @default 15000 */
  repairWithinMs?: number;
  onRound?: (round: MessageCrashRound) => void;
}

export interface MessageCrashRound {
  acked: number;
  stored: number;
  /** Messages the restart found pending (their request died before the copies were done). */
  pendingAtRestart: number;
  /** From the restart until none of those was pending any more. */
  repairMs: number;
  violations: string[];
}

async function runAndKill(options: MessageCrashOptions, delayMs: number): Promise<number[]> {
  const acked: number[] = [];
  await runUntilKilled(CHILD, [options.dataDir, String(options.recipients), String(options.inFlight)], ([word, id], kill) => {
    if (word !== 'acked') return;
    acked.push(Number(id));
    kill(delayMs);
  });
  return acked;
}

type Items = Record<string, unknown>[];

/** Restarts the stack on the data, waits for the repair, and checks every message of the dialog. */
async function check(options: MessageCrashOptions, acked: readonly number[]): Promise<MessageCrashRound> {
  const stack = await startLocalStack({ port: 0, dataDir: options.dataDir, sweepIntervalMs: 500, env: CRASH_ENV });
  const { raw, doc } = localDynamo(stack.dynamoEndpoint);
  const scan = async (): Promise<Items> => {
    const items: Items = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(new ScanCommand({ TableName: 'Data', ExclusiveStartKey: start, ConsistentRead: true }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  };
  try {
    const started = Date.now();
    const records = (items: Items) => items.filter((i) => String(i.pk).startsWith('MSG#'));
    // A Scan is no snapshot: taken while the consumer writes copies it could see a finished item and not all its
    // copies. So: the pending ones from a first Scan, then GetItem of those until none is, then the Scan checked.
    const pending = records(await scan()).filter((r) => r.pending).map((r) => ({ pk: String(r.pk), sk: String(r.sk) }));
    const stillPending = async () => {
      const found = await Promise.all(pending.map(async (Key) => (await doc.send(new GetCommand({ TableName: 'Data', Key, ConsistentRead: true }))).Item?.pending));
      return found.some(Boolean);
    };
    while ((await stillPending()) && Date.now() - started < (options.repairWithinMs ?? 15_000)) await new Promise((r) => setTimeout(r, 100));
    const repairMs = Date.now() - started;
    const pendingAtRestart = pending.length;
    const items = await scan();
    const violations: string[] = [];
    const stored = new Map(records(items).map((r) => [Number(r.id), r]));
    const copies = new Set(items.filter((i) => String(i.pk).startsWith('INBOX#')).map((i) => `${i.recipient_id as number}:${i.id as number}`));
    for (const id of acked) if (!stored.has(id)) violations.push(`acked message ${id} not stored`);
    for (const [id, record] of stored) {
      if (record.pending) violations.push(`message ${id} still pending after ${repairMs} ms`);
      const missing = (record.recipients as number[]).filter((u) => !copies.has(`${u}:${id}`));
      if (missing.length > 0) violations.push(`message ${id}: no copy for ${missing.length} of ${(record.recipients as number[]).length} recipients`);
    }
    for (const copy of copies) if (!stored.has(Number(copy.split(':')[1]))) violations.push(`copy ${copy} of a message not stored`);
    return { acked: acked.length, stored: stored.size, pendingAtRestart, repairMs, violations };
  } finally {
    raw.destroy();
    await stack.close();
  }
}

export async function crashMessages(options: MessageCrashOptions): Promise<MessageCrashRound[]> {
  const next = seededRandom(options.seed);
  const rounds: MessageCrashRound[] = [];
  for (let k = 0; k < options.kills; k++) {
    const acked = await runAndKill(options, Math.floor(next() * options.maxDelayMs));
    const round = await check(options, acked);
    options.onRound?.(round);
    rounds.push(round);
  }
  return rounds;
}
