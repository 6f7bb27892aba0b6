/**
 * Valid writes racing on one item all succeed: 24 `rename dialog`, `edit
 * group` and `new key` at once on one dialog, group and keyring (issue 14's
 * reproduction answered 13, 13 and 14 of them `something went wrong`). Each
 * is an optimistic write conditional on the version read; the losers read
 * again after a jittered, growing pause (lambdas/storage/retry.ts). The local
 * store applies writes one at a time, so the races here are lost conditions,
 * not DynamoDB's TransactionConflict (that path is the same retry). The
 * per-user limits are raised out of reach: 24 `edit group` at once from one
 * admin would otherwise be `too many attempts` by design (rate-limits.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialog, EditedGroup, Group, Key } from '../lambdas/protocol/objects';
import type { LocalStack } from '../local/stack';
import { keyName } from './support/contacts';
import { closeAll, ids, nameOfDialog, nameOfGroup, names, newDialog, people } from './support/conversations';
import { BULK_RATE_LIMITS, startTestStack } from './support/stack';

const RACERS = 24;

let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack({ env: BULK_RATE_LIMITS });
});
afterAll(() => stack.close());

const labels = Array.from({ length: RACERS }, (_, i) => `name ${i}`);

describe(`${RACERS} concurrent writes on one item`, () => {
  it('rename dialog: every rename succeeds, and the dialog ends with one of them', async () => {
    const [ann, bob] = await people(stack, 2);
    const dialog = await newDialog(ann!, [bob!]);
    const recipients = ids(ann!, bob!);
    const acks = await Promise.all(labels.map((label) => ann!.client.request('rename dialog', { id: dialog.id, bodies: names(label, recipients) })));
    expect(acks.map((a) => a.error)).toEqual(labels.map(() => null));
    const [final] = (await bob!.client.call<Dialog[]>('give me dialogs')).filter((d) => d.id === dialog.id);
    expect(labels.map((l) => `${l} for ${bob!.id}`)).toContain(nameOfDialog(final!, bob!.id));
    await closeAll(ann!, bob!);
  });

  it('edit group: every rename of the group succeeds, and the group ends with one of them', async () => {
    const [ann, bob, cat] = await people(stack, 3);
    const recipients = ids(ann!, bob!, cat!);
    const group = await ann!.client.call<Group>('new group', { bodies: names('v0', recipients), recipients, admin_id: ann!.id });
    const acks = await Promise.all(
      labels.map((label) =>
        ann!.client.request('edit group', { group: { id: group.id, recipients, added: [], kicked: [], bodies: names(label, recipients) }, dialogs: [], messages: [] }),
      ),
    );
    expect(acks.map((a) => a.error)).toEqual(labels.map(() => null));
    expect(acks.every((a) => (a.result as EditedGroup).group.id === group.id)).toBe(true);
    const [final] = (await cat!.client.call<Group[]>('give me groups')).filter((g) => g.id === group.id);
    expect(labels.map((l) => `${l} for ${cat!.id}`)).toContain(nameOfGroup(final!));
    await closeAll(ann!, bob!, cat!);
  });

  it('new key: every key is added, and exactly one is the default', async () => {
    const [ann] = await people(stack, 1);
    const acks = await Promise.all(labels.map(() => ann!.client.request('new key', { name: keyName(), is_default: true })));
    expect(acks.map((a) => a.error)).toEqual(labels.map(() => null));
    const added = acks.map((a) => (a.result as Key).id);
    const mine = (await ann!.client.call<Key[]>('give me keys')).filter((k) => k.user_id === ann!.id);
    expect(mine.map((k) => k.id).sort()).toEqual([...added].sort());
    expect(mine.filter((k) => k.is_default)).toHaveLength(1);
    await closeAll(ann!);
  });
});
