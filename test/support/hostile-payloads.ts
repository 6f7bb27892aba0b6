/**
 * Hostile payloads for the frame fuzz test: a valid example of a frame
 * (test/support/schema-cases.ts) bent by a few mutations at random places —
 * a field replaced by a value of the wrong type, a hostile object, a string of
 * a boundary length or odd unicode; a field dropped; an extra key (`__proto__`
 * among them); an array grown to a limit and past it — or the whole payload
 * replaced.
 */
import fc from 'fast-check';
import { LIMITS } from '../../lambdas/protocol/schemas';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

/**
 * Objects that break code reading `.length` or converting to a primitive
 * before (or instead of) checking the type. Parsed from JSON so `__proto__`
 * is an own key, as it is in a frame the server parses.
 */
const HOSTILE_OBJECTS: Json[] = [
  '{"length":{"toString":"x","valueOf":"x"}}',
  '{"toString":"x","valueOf":"x"}',
  '{"toString":{},"valueOf":{},"toJSON":1}',
  '{"length":1e9}',
  '{"length":-1,"0":"a"}',
  '{"__proto__":{"length":5,"isAdmin":true}}',
  '{"__proto__":null}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '{"hasOwnProperty":1,"then":"x"}',
  '[{"__proto__":{"id":1}}]',
].map((text) => JSON.parse(text) as Json);

const ODD_SCALARS: Json[] = [null, true, false, 0, -1, 1.5, -0.5, 2 ** 53, 2 ** 53 + 2, 1e308, -1e308, '', ' ', '0', '1', 'null', 'NaN', '\u0000', '\ud800', '🙂', 'é', [], {}];

/** Lengths at and around every limit, capped below one 128 KB message. */
const BOUNDARY_LENGTHS = [...new Set(Object.values(LIMITS).flatMap((n) => [n - 1, n, n + 1]))].filter((n) => n >= 0 && n <= 110_000);

const oddString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.tuple(fc.constantFrom(...BOUNDARY_LENGTHS), fc.constantFrom('a', 'é', '🙂', 'Q', ' ', '\u0000')).map(([n, c]) => c.repeat(Math.ceil(n / c.length)).slice(0, n)),
);

/** A value to put anywhere; `ids` are real ids of the test's users and objects, so checks of ownership are reached. */
export const hostileValue = (ids: number[]): fc.Arbitrary<Json> =>
  fc.oneof(
    fc.constantFrom(...HOSTILE_OBJECTS),
    fc.constantFrom(...ODD_SCALARS),
    fc.constantFrom(...ids),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    oddString,
    fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  );

const EXTRA_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'length', 'id', 'user_id', 'admin_id', 'extra', ''];

type Mutation =
  | { kind: 'replace'; at: number; value: Json }
  | { kind: 'drop'; at: number }
  | { kind: 'extra'; at: number; key: string; value: Json }
  | { kind: 'grow'; at: number; size: number };

const mutation = (ids: number[]): fc.Arbitrary<Mutation> =>
  fc.oneof(
    fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: hostileValue(ids) }),
    fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('extra' as const), at: fc.nat(), key: fc.oneof(fc.constantFrom(...EXTRA_KEYS), fc.string({ maxLength: 8 })), value: hostileValue(ids) }),
    fc.record({ kind: fc.constant('grow' as const), at: fc.nat(), size: fc.constantFrom(0, 1, LIMITS.recipients, LIMITS.recipients + 1, LIMITS.readIds, LIMITS.readIds + 1, 257) }),
  );

/** Every place in a value: the root, each key of each object, each element of each array. */
function pathsOf(value: Json, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries: [string | number, Json][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => pathsOf(v, [...prefix, k]))];
}

/** `value` with the node at `path` passed through `change` (copies along the path; spread keeps a `__proto__` own key). */
function update(value: Json, path: Path, change: (node: Json) => Json | undefined): Json | undefined {
  if (path.length === 0) return change(value);
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    const copy = [...value];
    const next = update(copy[head as number]!, rest, change);
    if (next === undefined) copy.splice(head as number, 1);
    else copy[head as number] = next;
    return copy;
  }
  const copy: { [key: string]: Json } = { ...(value as { [key: string]: Json }) };
  const next = update(copy[head as string]!, rest, change);
  if (next === undefined) delete copy[head as string];
  else Object.defineProperty(copy, head as string, { value: next, enumerable: true, writable: true, configurable: true });
  return copy;
}

function apply(value: Json | undefined, m: Mutation): Json | undefined {
  if (value === undefined) return m.kind === 'replace' ? m.value : value;
  const paths = pathsOf(value);
  const path = paths[m.at % paths.length]!;
  switch (m.kind) {
    case 'replace':
      return update(value, path, () => m.value);
    case 'drop':
      return path.length === 0 ? undefined : update(value, path, () => undefined);
    case 'extra':
      return update(value, path, (node) =>
        node !== null && typeof node === 'object' && !Array.isArray(node)
          ? Object.defineProperty({ ...node }, m.key, { value: m.value, enumerable: true, writable: true, configurable: true })
          : node,
      );
    case 'grow':
      return update(value, path, (node) => (Array.isArray(node) ? Array.from({ length: m.size }, (_, i) => node[i % Math.max(node.length, 1)] ?? i + 1) : node));
  }
}

/** Payloads for a frame whose valid example is `base` (undefined for frames without data). */
export const hostilePayload = (base: unknown, ids: number[]): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.array(mutation(ids), { minLength: 1, maxLength: 3 }).map((ms) => ms.reduce<Json | undefined>(apply, base as Json)) },
    { weight: 1, arbitrary: hostileValue(ids) },
    { weight: 1, arbitrary: fc.constant(base) },
  );
