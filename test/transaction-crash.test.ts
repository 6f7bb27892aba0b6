/**
 * A transaction of the embedded DynamoDB is all or nothing across a kill -9
 * of the process, as on DynamoDB, and an acknowledged one survives it. Lean
 * here (a few kills); `npm run crash:transactions` runs many.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashTransactions } from './support/tx-crash';

describe('transactions across kill -9 of the local store', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tx-crash-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('finds every transaction whole or absent after each restart, and every acked one kept', async () => {
    const rounds = await crashTransactions({ dataDir, kills: 8, items: 97, maxDelayMs: 200, seed: 14 });
    expect(rounds.flatMap((r) => r.violations)).toEqual([]);
    // The kills landed while the child was committing: it got further each time.
    expect(rounds.at(-1)!.found).toBeGreaterThanOrEqual(rounds.length);
  }, 120_000);
});
