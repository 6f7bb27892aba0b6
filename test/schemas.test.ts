/**
 * Every frame schema against a table of accepted and refused payloads
 * (test/support/schema-cases.ts): what passes, what the handler gets, and
 * which fields a refusal names. Parsed the way the chain parses them: each
 * route's `schema` with `safeParse`.
 */
import { describe, expect, it } from 'vitest';
import { isBase64, parseDate, publicKey, schemas } from '../lambdas/protocol/schemas';
import { routes } from '../lambdas/routes/table';
import { CASES, KEY, type SchemaName } from './support/schema-cases';

const issuesOf = (error: { issues: readonly { path: readonly PropertyKey[]; code: string }[] }) =>
  error.issues.map((i) => `${i.path.map(String).join('.')}: ${i.code}`);

/** What the chain writes after `wrong data provided: ` in the log line. */
const detailOf = (error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }) =>
  error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');

const preview = (v: unknown) => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 100 ? `${s.slice(0, 100)}…` : s;
};

describe('frame schemas', () => {
  it('have a table of cases each, and the route table uses no other', () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(schemas).sort());
    const used = new Set(Object.values(schemas));
    for (const route of routes) if (route.schema) expect(used.has(route.schema as never)).toBe(true);
  });

  for (const name of Object.keys(CASES) as SchemaName[]) {
    describe(name, () => {
      const schema = schemas[name];
      for (const c of CASES[name].accept) {
        it(`accepts ${c.note ?? preview(c.in)}`, () => {
          const parsed = schema.safeParse(structuredClone(c.in));
          expect(parsed.error?.issues).toBeUndefined();
          expect(parsed.data).toStrictEqual('out' in c ? c.out : c.in);
        });
      }
      for (const c of CASES[name].refuse) {
        it(`refuses ${c.note ?? preview(c.in)}`, () => {
          const parsed = schema.safeParse(structuredClone(c.in));
          expect(parsed.success).toBe(false);
          expect(issuesOf(parsed.error!)).toEqual(c.issues);
        });
      }
    });
  }

  it('explain a refusal in words in the log line', () => {
    const detail = (name: SchemaName, data: unknown) => {
      const parsed = schemas[name].safeParse(data);
      return parsed.success ? undefined : detailOf(parsed.error);
    };
    expect(detail('authByCredentials', { username: 'a'.repeat(65), password: '' })).toBe(
      'username: Too big: expected string to have <=64 characters; password: Too small: expected string to have >=1 characters',
    );
    expect(detail('setDefaultKey', { id: '2' })).toBe('id: Invalid input: expected number, received string');
    expect(detail('newKey', { name: 'x', is_default: true })).toBe('name: base64 of 32 bytes');
    expect(detail('handleUserlink', { from_user_id: 1, to_user_id: 2, action: 'x' })).toBe(
      'action: Invalid option: expected one of "request"|"accept"|"reject"|"withdraw"|"remove"|"read"',
    );
    expect(detail('getMessagesBefore', { dialog_id: 1, last_date: 'x' })).toBe('last_date: a date YYYY-MM-DD HH:mm:ss');
    expect(detail('readMessages', { ids: [1, 1.5] })).toBe('ids.1: Invalid input: expected int, received number');
  });

  it('refuse a hostile `length` where a string or an array is due, without throwing (issue 14)', () => {
    const hostile = { length: { toString: 'x', valueOf: 'x' } };
    const fields: [SchemaName, unknown][] = [
      ['authByCredentials', { username: hostile, password: 'x' }],
      ['authByCredentials', { username: 'x', password: hostile }],
      ['readMessages', { ids: hostile }],
      ['renameDialog', { id: 1, bodies: hostile }],
      ['newDialog', { bodies: [], recipients: hostile }],
      ['findContacts', { search: hostile }],
      ['changeProfile', { first_name: hostile, last_name: 'x' }],
      ['newMessage', { message: { dialog_id: 1, client_id: hostile }, bodies: [] }],
    ];
    for (const [name, payload] of fields) expect(schemas[name].safeParse(payload).success, name).toBe(false);
    // Every field of every accepted case, replaced by the hostile value: refused or accepted, never a throw.
    const paths = (value: unknown, at: PropertyKey[] = []): PropertyKey[][] =>
      value && typeof value === 'object' ? Object.entries(value).flatMap(([k, v]) => [[...at, k], ...paths(v, [...at, k])]) : [];
    for (const name of Object.keys(CASES) as SchemaName[]) {
      for (const c of CASES[name].accept) {
        for (const path of paths(c.in)) {
          const payload = structuredClone(c.in) as Record<PropertyKey, unknown>;
          let parent = payload;
          for (const key of path.slice(0, -1)) parent = parent[key] as Record<PropertyKey, unknown>;
          parent[path.at(-1)!] = hostile;
          expect(() => schemas[name].safeParse(payload), `${name} ${path.join('.')}`).not.toThrow();
        }
      }
    }
  });

  it('publicKey stands alone too (operators adding keys)', () => {
    expect(publicKey.safeParse(KEY).success).toBe(true);
    expect(publicKey.safeParse(`${KEY}=`).success).toBe(false);
    expect(publicKey.safeParse(32).success).toBe(false);
  });
});

describe('isBase64 and parseDate', () => {
  it('tell base64 and dates apart', () => {
    expect(['', 'QQ==', 'QUI=', 'QUJD', 'QUI', 'QQ', '-_-_', '+/+/'].filter((v) => !isBase64(v))).toEqual([]);
    expect(['Q', 'QQ=', 'QQ===', '+_', 'QU JD', '=QQ=', 'QUJD\n'].filter(isBase64)).toEqual([]);
    expect(parseDate('2024-03-05 10:20:30')).toBe(Date.UTC(2024, 2, 5, 10, 20, 30));
    expect(parseDate('2024-03-05T10:20:30.5+01:00')).toBe(Date.UTC(2024, 2, 5, 9, 20, 30, 500));
    expect(parseDate('2024-03-05')).toBeUndefined();
  });
});
