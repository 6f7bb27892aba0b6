/**
 * Messages across kill -9 of the whole local stack (docs/protocol.md,
 * "Delivery"): no acked message lost, none left half delivered after the
 * restart. Lean here (a few kills, 40 recipients); `npm run crash:messages`
 * runs many, at 256.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashMessages } from './support/message-crash';

describe('messages across kill -9 of the local stack', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'msg-crash-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('finds every acked message stored and every stored one with all its copies, within seconds of the restart', async () => {
    const rounds = await crashMessages({ dataDir, kills: 3, recipients: 40, inFlight: 6, maxDelayMs: 400, seed: 13 });
    console.info('message crash rounds:', JSON.stringify(rounds));
    expect(rounds.flatMap((r) => r.violations)).toEqual([]);
    expect(rounds.every((r) => r.stored >= r.acked && r.repairMs < 15_000)).toBe(true);
  }, 180_000);
});
