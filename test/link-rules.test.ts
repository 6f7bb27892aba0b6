/**
 * The contact-link state machine (lambdas/domain/link-rules.ts) against a
 * table: every action, in every state of the pair, from both sides. A state
 * is what the acting user sees (no link, my request, their request, accepted,
 * rejected by me or by them, withdrawn); fast-check varies everything the
 * table does not fix — which of the two items exist, each side's `listed` and
 * `read`, the ids — and each case is run with either user acting.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planTransition, statusFor, type LinkAction, type PairState } from '../lambdas/domain/link-rules';
import type { CanonicalStatus, LinkItem } from '../lambdas/storage/links';

type View = 'none' | 'requested' | 'received' | 'accepted' | 'rejected by me' | 'rejected by them' | 'withdrawn';
const VIEWS: View[] = ['none', 'requested', 'received', 'accepted', 'rejected by me', 'rejected by them', 'withdrawn'];
const ACTIONS: LinkAction[] = ['request', 'accept', 'reject', 'withdraw', 'remove'];

interface Outcome {
  status: CanonicalStatus;
  /** Who the link is from after the action: the actor, the other user, or as before. */
  from: 'me' | 'them' | 'unchanged';
  /** The actor still lists the other user. */
  listed: boolean;
  /** The status changed (dates and author move). */
  touch: boolean;
  /** What the other user is told, by whether they list the link. */
  notify: { listed: 'container' | 'update' | 'none'; unlisted: 'container' | 'update' | 'none' };
}

const tell = (listed: Outcome['notify']['listed'], unlisted: Outcome['notify']['unlisted']) => ({ listed, unlisted });

/** The protocol's rules (§4 `handle userlink`, docs/access-patterns.md): anything absent is refused. */
const TABLE: Record<LinkAction, Partial<Record<View, Outcome>>> = {
  request: {
    none: { status: 'requested', from: 'me', listed: true, touch: true, notify: tell('update', 'container') },
    withdrawn: { status: 'requested', from: 'me', listed: true, touch: true, notify: tell('update', 'container') },
    // Changing one's mind after rejecting.
    'rejected by me': { status: 'requested', from: 'me', listed: true, touch: true, notify: tell('update', 'container') },
    // Both asked at once: the second request accepts.
    received: { status: 'accepted', from: 'them', listed: true, touch: true, notify: tell('container', 'container') },
  },
  accept: {
    received: { status: 'accepted', from: 'them', listed: true, touch: true, notify: tell('container', 'container') },
  },
  reject: {
    received: { status: 'rejected', from: 'them', listed: false, touch: true, notify: tell('update', 'none') },
  },
  withdraw: {
    requested: { status: 'withdrawn', from: 'unchanged', listed: true, touch: true, notify: tell('update', 'none') },
    accepted: { status: 'withdrawn', from: 'unchanged', listed: true, touch: true, notify: tell('update', 'none') },
  },
  // Only dead entries leave the caller's list, and only if it lists them.
  remove: {
    withdrawn: { status: 'withdrawn', from: 'unchanged', listed: false, touch: false, notify: tell('none', 'none') },
    'rejected by them': { status: 'rejected', from: 'unchanged', listed: false, touch: false, notify: tell('none', 'none') },
  },
};

/** The canonical link behind a view, `me` acting on `them`. */
function linkFor(view: Exclude<View, 'none'>, me: number, them: number): { status: CanonicalStatus; from: number; to: number } {
  switch (view) {
    case 'requested':
      return { status: 'requested', from: me, to: them };
    case 'received':
      return { status: 'requested', from: them, to: me };
    case 'accepted':
      return { status: 'accepted', from: me, to: them };
    case 'rejected by me':
      return { status: 'rejected', from: them, to: me };
    case 'rejected by them':
      return { status: 'rejected', from: me, to: them };
    case 'withdrawn':
      return { status: 'withdrawn', from: them, to: me };
  }
}

const side = fc.record({ listed: fc.boolean(), read: fc.boolean() });

/** A pair in `view`: the shared link, and one or both items (each with its own flags). */
const pairIn = (view: View, me: number, them: number) =>
  fc.record({ which: fc.constantFrom('both', 'mine', 'theirs'), mine: side, theirs: side, version: fc.nat(100), id: fc.nat(1000) }).map(({ which, mine, theirs, version, id }): PairState => {
    if (view === 'none') return {};
    const link = linkFor(view, me, them);
    const item = (owner: number, other: number, flags: { listed: boolean; read: boolean }): LinkItem => ({
      id,
      from_user_id: link.from,
      to_user_id: link.to,
      status: link.status,
      created_at: '2026-01-01 00:00:00',
      updated_at: '2026-01-01 00:00:00',
      created_by: link.from,
      updated_by: link.from,
      owner,
      other,
      version,
      ...flags,
    });
    return {
      ...(which !== 'theirs' ? { mine: item(me, them, mine) } : {}),
      ...(which !== 'mine' ? { theirs: item(them, me, theirs) } : {}),
    };
  });

// The two users; each case runs with either one acting.
const A = 7;
const B = 11;

describe('planTransition', () => {
  for (const action of ACTIONS) {
    for (const view of VIEWS) {
      for (const [me, them] of [
        [A, B],
        [B, A],
      ] as const) {
        const expected = TABLE[action][view];
        it(`${action} when the link is ${view}, user ${me} acting: ${expected ? expected.status : 'refused'}`, () => {
          fc.assert(
            fc.property(pairIn(view, me, them), (pair) => {
              const plan = planTransition(action, pair, me, them);
              const removable = action !== 'remove' || pair.mine?.listed === true;
              if (!expected || !removable) {
                expect(plan).toBeUndefined();
                return;
              }
              const before = pair.mine ?? pair.theirs;
              const from = expected.from === 'me' ? me : expected.from === 'them' ? them : before!.from_user_id;
              expect(plan).toBeDefined();
              expect(plan!.status).toBe(expected.status);
              expect([plan!.from, plan!.to]).toEqual([from, from === me ? them : me]);
              expect(plan!.me).toEqual({ listed: expected.listed, read: true });
              expect(plan!.touch).toBe(expected.touch);
              const theyList = pair.theirs?.listed ?? false;
              expect(plan!.notify).toBe(theyList ? expected.notify.listed : expected.notify.unlisted);
              // The other side: told of every change (unread), its list untouched unless the link is new to it.
              if (expected.touch) expect(plan!.them.read).toBe(false);
              else expect(plan!.them).toEqual({ listed: theyList, read: pair.theirs?.read ?? true });
              if (expected.status === 'requested' || expected.status === 'accepted') expect(plan!.them.listed).toBe(true);
              else expect(plan!.them.listed).toBe(theyList);
            }),
            { numRuns: 50 },
          );
        });
      }
    }
  }

  it('the view each side gets of the result is the table’s: the requester sees requested, the addressee received', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ACTIONS), fc.constantFrom(...VIEWS), fc.boolean(), (action, view, aActs) => {
        const [me, them] = aActs ? [A, B] : [B, A];
        const pair = fc.sample(pairIn(view, me, them), 1)[0]!;
        const plan = planTransition(action, { ...pair, mine: pair.mine && { ...pair.mine, listed: true } }, me, them);
        if (!plan) return;
        const link = { status: plan.status, from_user_id: plan.from };
        if (plan.status === 'requested') expect([statusFor(link, plan.from), statusFor(link, plan.to)]).toEqual(['requested', 'received']);
        else expect([statusFor(link, me), statusFor(link, them)]).toEqual([plan.status, plan.status]);
      }),
    );
  });
});
