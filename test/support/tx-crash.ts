/**
 * Kills the embedded DynamoDB (on disk) with SIGKILL in the middle of its
 * transactions, again and again, and checks after every kill that each
 * transaction is all or nothing and that every acknowledged one is there.
 * The child (tx-crash-child.ts) commits one generation after another; every
 * generation rewrites `items` items (each with a GSI entry), updates a counter
 * under a condition, puts its marker item and deletes the previous one.
 */
import { fileURLToPath } from 'node:url';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { tables } from '../../lambdas/storage/tables';
import { startEmbeddedDynamo } from '../../local/embedded-dynamo';
import { seededRandom } from '../../local/seeded-random';
import { localDynamo } from './dynamo';
import { runUntilKilled } from './crash-child';

const CHILD = fileURLToPath(new URL('./tx-crash-child.ts', import.meta.url));

export interface CrashOptions {
  dataDir: string;
  kills: number;
  /** Items rewritten by each transaction (the counter and markers come on top). */
  items: number;
  /** The kill comes this long at most (uniformly) after the first commit of a round. */
  maxDelayMs: number;
  seed: number;
  onRound?: (round: CrashRound) => void;
}

export interface CrashRound {
  /** Highest generation the child acknowledged before it died. */
  acked: number;
  /** Generation found after the restart. */
  found: number;
  violations: string[];
}

/** Runs the child until a random moment after its first commit, then kills it; resolves with the highest acked generation. */
async function runAndKill(dataDir: string, items: number, delayMs: number): Promise<number> {
  let acked = -1;
  await runUntilKilled(CHILD, [dataDir, String(items)], ([word, gen], kill) => {
    if (word !== 'committed') return;
    acked = Number(gen);
    kill(delayMs);
  });
  return acked;
}

/** Opens the store as a restart would and checks the crash items against the generation found. */
async function check(dataDir: string, items: number, acked: number): Promise<CrashRound> {
  const db = await startEmbeddedDynamo({ dataDir, tables, sweepIntervalMs: 0 });
  const { raw, doc } = localDynamo(db.endpoint);
  try {
    const query = async (input: { IndexName?: string; key: string; value: string }) => {
      const name = input.IndexName ? 'gsi1pk' : 'pk';
      const { Items = [] } = await doc.send(
        new QueryCommand({ TableName: 'Data', IndexName: input.IndexName, KeyConditionExpression: `${name} = :v`, ExpressionAttributeValues: { ':v': input.value } }),
      );
      return Items;
    };
    const all = await query({ key: 'pk', value: 'crash' });
    const found = Number(all.find((i) => i.sk === 'counter')?.gen ?? 0);
    const violations: string[] = [];
    const gens = all.filter((i) => String(i.sk).startsWith('item#')).map((i) => Number(i.gen));
    const markers = all.filter((i) => String(i.sk).startsWith('marker#')).map((i) => String(i.sk));
    if (found < acked) violations.push(`acked generation ${acked} lost: counter at ${found}`);
    if (found > acked + 1) violations.push(`counter at ${found}, beyond the ${acked + 1} in flight`);
    if (gens.length !== items || gens.some((g) => g !== found)) violations.push(`items at generations ${JSON.stringify(gens)}, counter at ${found}`);
    if (JSON.stringify(markers) !== JSON.stringify([`marker#${found}`])) violations.push(`markers ${JSON.stringify(markers)}, counter at ${found}`);
    for (const gen of [found - 1, found, found + 1]) {
      const indexed = (await query({ IndexName: 'gsi1', key: 'gsi1pk', value: `crash#${gen}` })).length;
      const expected = gen === found ? items : 0;
      if (indexed !== expected) violations.push(`GSI holds ${indexed} items of generation ${gen}, expected ${expected} (counter at ${found})`);
    }
    return { acked, found, violations };
  } finally {
    raw.destroy();
    await db.close();
  }
}

export async function crashTransactions(options: CrashOptions): Promise<CrashRound[]> {
  const next = seededRandom(options.seed);
  const rounds: CrashRound[] = [];
  for (let k = 0; k < options.kills; k++) {
    const acked = await runAndKill(options.dataDir, options.items, Math.floor(next() * options.maxDelayMs));
    const round = await check(options.dataDir, options.items, acked);
    options.onRound?.(round);
    rounds.push(round);
  }
  return rounds;
}
