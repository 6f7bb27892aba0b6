/** Message ids (lambdas/storage/time-ids.ts): safe, ordered by time, after the dialog's newest, and date ranges that hold them. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDate } from '../lambdas/protocol/schemas';
import { dateOfId, ID_EPOCH_MS, idRangeOfDates, LAST_ID_MS, msOfId, newId, padId, SUB_IDS } from '../lambdas/storage/time-ids';

const times = fc.integer({ min: ID_EPOCH_MS + 10_000, max: LAST_ID_MS - 10_000 });

describe('time ids', () => {
  it('are safe integers with room for 15 attachments, carry their time, and sort as padded strings', () => {
    fc.assert(
      fc.property(times, times, (a, b) => {
        const [x, y] = [newId(a), newId(b)];
        for (const id of [x, y]) {
          expect(Number.isSafeInteger(id + SUB_IDS - 1)).toBe(true);
          expect(id % SUB_IDS).toBe(0);
        }
        expect(msOfId(x)).toBe(a);
        if (a < b) expect(x).toBeLessThan(y);
        expect(padId(x) < padId(y)).toBe(x < y);
      }),
    );
  });

  it('come after the newest id of the dialog, even when the clock is behind it', () => {
    fc.assert(
      fc.property(times, fc.integer({ min: -5000, max: 5000 }), (now, skew) => {
        const newest = newId(now + skew);
        const next = newId(now, newest);
        expect(next).toBeGreaterThan(newest);
        expect(msOfId(next) - Math.max(now, msOfId(newest))).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('the dates of a message fall in the id range of those dates (inclusive, whole seconds)', () => {
    fc.assert(
      fc.property(times, (now) => {
        const id = newId(now);
        const date = parseDate(dateOfId(id))!;
        const { min, max } = idRangeOfDates(date, date);
        expect(min).toBeLessThanOrEqual(id);
        expect(max).toBeGreaterThanOrEqual(id);
        // The second before and the second after do not hold it.
        expect(idRangeOfDates(undefined, date - 1000).max).toBeLessThan(id);
        expect(idRangeOfDates(date + 1000, date + 1000).min).toBeGreaterThan(id);
      }),
    );
  });

  it('outside the id range of time: before 2025 nothing, after 2094 everything', () => {
    expect(idRangeOfDates(undefined, Date.UTC(2024, 0, 1)).max).toBeLessThan(0);
    expect(idRangeOfDates(undefined, Date.UTC(2200, 0, 1)).max).toBe(Number.MAX_SAFE_INTEGER);
    expect(new Date(LAST_ID_MS).toISOString().slice(0, 10)).toBe('2094-09-07');
  });
});
