/**
 * `edit group`'s plan (lambdas/domain/groups.ts `planEdit`), pure: decided
 * from the group, profiles, links and dialogs as read, without a store. The
 * socket-level behaviour is test/groups.test.ts; here, every way of kicking
 * members out of a group with several dialogs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planEdit, type EditReads } from '../lambdas/domain/groups';
import type { FrameData } from '../lambdas/protocol/events';
import type { DialogHead, StoredName } from '../lambdas/storage/dialogs';
import type { GroupRecord } from '../lambdas/storage/groups';
import type { UserRecord } from '../lambdas/storage/users';

const DATE = '2026-01-01 00:00:00';
const ADMIN = 1;
const MEMBERS = [1, 2, 3, 4, 5];
const NOW = new Date('2026-06-01T00:00:00Z');

const stamps = { created_at: DATE, updated_at: DATE, created_by: ADMIN, updated_by: ADMIN };
const user = (id: number): UserRecord => ({
  id,
  username: `u${id}`,
  first_name: '',
  last_name: '',
  avatar: null,
  domain_id: 1,
  passwordHash: 'x',
  is_planned_password_change: false,
  is_planned_client_update: false,
  created_at: DATE,
  updated_at: DATE,
});
const name = (): StoredName => ({ key_id: 1, key_from_id: 1, nonce: 'bm9uY2U=', name: 'bmFtZQ==', created_at: DATE, updated_at: DATE });
const names = (ids: readonly number[]) => Object.fromEntries(ids.map((id) => [String(id), name()]));
const nameBodies = (ids: readonly number[]) => ids.map((id) => ({ recipient_id: id, key_id: 1, key_from_id: 1, nonce: 'bm9uY2U=', name: 'bmV3' }));

const group: GroupRecord = {
  id: 100,
  admin_id: ADMIN,
  avatar: null,
  ...stamps,
  members: Object.fromEntries(MEMBERS.map((id) => [String(id), { id, username: `u${id}`, domain_id: 1 }])),
  bodies: names(MEMBERS),
  dialogs: [10, 11, 12],
  version: 7,
};
const head = (id: number, recipients: number[]): DialogHead => ({ id, group_id: group.id, ...stamps, recipients, version: 3, lastId: 0 });
const DIALOGS = { 10: [1, 2, 3, 4, 5], 11: [2, 3], 12: [1, 4] } as Record<number, number[]>;

const reads: EditReads = {
  group,
  self: user(ADMIN),
  joining: new Map(),
  dialogs: new Map(Object.entries(DIALOGS).map(([id, recipients]) => [Number(id), { head: head(Number(id), recipients), names: names(recipients) }])),
};

const kick = (kicked: number[]): FrameData<'edit group'> => {
  const after = MEMBERS.filter((m) => !kicked.includes(m));
  return { group: { id: group.id, recipients: after, added: [], kicked, bodies: [] }, dialogs: [], messages: [] };
};

let nextId = 1000;
const ids = (after: number) => Math.max(after, nextId++) + 1;

describe('planEdit', () => {
  it('kicking any members takes them out of the group and of every dialog they were in, and nothing else', () => {
    fc.assert(
      fc.property(fc.subarray(MEMBERS.filter((m) => m !== ADMIN), { minLength: 1 }), (kicked) => {
        const plan = planEdit(kick(kicked), ADMIN, reads, NOW, ids);
        expect(Object.keys(plan.group.members).map(Number).sort()).toEqual(MEMBERS.filter((m) => !kicked.includes(m)));
        expect(Object.keys(plan.group.bodies).map(Number).some((id) => kicked.includes(id))).toBe(false);
        expect(plan.group.former).toEqual(kicked);
        expect([plan.version, plan.group.version]).toEqual([7, 8]);
        expect(plan.kicked).toEqual(kicked);
        const touched = Object.entries(DIALOGS).filter(([, r]) => r.some((m) => kicked.includes(m))).map(([id]) => Number(id));
        expect(plan.dialogs.map((d) => d.head.id).sort()).toEqual(touched);
        for (const d of plan.dialogs) {
          expect(d.head.recipients).toEqual(DIALOGS[d.head.id]!.filter((m) => !kicked.includes(m)));
          expect(Object.keys(d.names).map(Number)).toEqual(d.head.recipients);
          expect([d.changed, d.listed, d.head.version]).toEqual([true, false, 4]);
        }
        expect(plan.messages).toEqual([]);
      }),
    );
  });

  it('a listed dialog is re-encrypted for its new recipients, and a service message goes to them with an id after the last', () => {
    const input: FrameData<'edit group'> = {
      group: { id: group.id, recipients: [1, 2, 4, 5], added: [], kicked: [3], bodies: [] },
      dialogs: [{ id: 10, recipients: [1, 2, 4], bodies: nameBodies([1, 2, 4]) }],
      messages: [
        {
          message: { dialog_id: 10, type: 'service.group.user.kicked' },
          bodies: [1, 2, 4].map((r) => ({ recipient_id: r, key_id: 1, key_from_id: 1, nonce: 'bm9uY2U=', body: 'Ym9keQ==' })),
          attachments: [],
          as_read: false,
        },
      ],
    };
    const plan = planEdit(input, ADMIN, reads, NOW, () => 5000);
    const main = plan.dialogs.find((d) => d.head.id === 10)!;
    expect([main.listed, main.head.recipients, Object.keys(main.names).map(Number)]).toEqual([true, [1, 2, 4], [1, 2, 4]]);
    expect(main.head.lastId).toBe(5000);
    expect(plan.messages.map((m) => [m.record.id, m.copies.map((c) => c.recipient_id)])).toEqual([[5000, [1, 2, 4]]]);
    // Dialog 11 had the kicked member: it loses them without being listed.
    expect(plan.dialogs.find((d) => d.head.id === 11)).toMatchObject({ listed: false, head: { recipients: [2] } });
  });

  it('refuses what does not add up, before planning anything', () => {
    expect(() => planEdit(kick([ADMIN]), ADMIN, reads, NOW, ids)).toThrow('the admin cannot be kicked');
    expect(() => planEdit(kick([9]), ADMIN, reads, NOW, ids)).toThrow('kicked: not a member');
    expect(() => planEdit(kick([2]), 2, reads, NOW, ids)).toThrow('access denied');
    expect(() => planEdit({ ...kick([2]), group: { ...kick([2]).group, recipients: MEMBERS } }, ADMIN, reads, NOW, ids)).toThrow('recipients are not members');
  });
});
