import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chunkOf } from '../lambdas/protocol/chunks';
import { ERRORS } from '../lambdas/protocol/errors';
import { isAckId } from '../lambdas/protocol/frames';
import { isFrameRoute, routes } from '../lambdas/routes/table';
import { anchorOf, payloadBlocksOf, PROTOCOL, spliceProtocol } from '../local/protocol-docs';
import { README, spliceRoutes } from '../local/route-docs';

const ROOT = resolve(dirname(README));
const read = (file: string) => readFileSync(file, 'utf8');

describe('README', () => {
  it('shows the route table as it is (run `npm run docs` after changing it)', () => {
    const readme = read(README);
    expect(readme).toBe(spliceRoutes(readme));
    for (const route of routes) expect(readme).toContain(`| \`${route.event}\` |`);
  });

  it('starts with the two commands', () => {
    const head = read(README).split('\n').slice(0, 15).join('\n');
    expect(head).toContain('npm ci && npm start');
    expect(head).toContain('npm test');
  });
});

describe('docs/protocol.md', () => {
  const page = read(PROTOCOL);
  const frames = routes.filter(isFrameRoute);

  it('shows the frames, payloads and limits as the route table and schemas define them (run `npm run docs`)', () => {
    expect(page).toBe(spliceProtocol(page));
  });

  it('has a section and one payload block for every frame, and none for a frame that is gone', () => {
    expect(payloadBlocksOf(page).sort()).toEqual(frames.map((r) => r.event).sort());
    for (const route of frames) expect(page).toContain(`\n#### ${route.event}\n`);
  });

  it('gives every frame an example request that its schema accepts', () => {
    const blocks = [...page.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!) as { event?: string; data?: unknown; ackId?: unknown });
    // Chunk frames (Extensions) name their whole frame's event but carry a slice of its text: valid chunks, not payload examples.
    const chunks = blocks.filter((e) => 'chunk' in e);
    for (const chunk of chunks) expect(chunkOf(chunk), JSON.stringify(chunk)).toBeDefined();
    const examples = blocks.filter((e) => !('chunk' in e));
    for (const route of frames) {
      const mine = examples.filter((e) => e.event === route.event && !('error' in e));
      expect(mine.length, `an example of ${route.event}`).toBeGreaterThan(0);
      for (const example of mine) {
        if ('ackId' in example) expect(isAckId(example.ackId), `${route.event} ackId`).toBe(true);
        if (route.schema) expect(route.schema.safeParse(example.data).error?.issues, route.event).toBeUndefined();
        else expect(example.data ?? null).toBeNull();
      }
    }
  });

  it('lists every error string', () => {
    const table = page.slice(page.indexOf('## 6. Errors'), page.indexOf('## 7.'));
    for (const error of Object.values(ERRORS)) expect(table, error).toContain(`\`${error}\``);
  });

  it('keeps a place for later extensions', () => {
    expect(page).toMatch(/## Extensions\n[\s\S]*<!-- extensions: later additions/);
  });
});

/** The repository's Markdown files as git tracks them (plus new ones not yet added). */
function markdownFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.md'], { cwd: ROOT, encoding: 'utf8' });
  return out.split('\n').filter((f) => f && !f.includes('node_modules/') && existsSync(resolve(ROOT, f)));
}

/** Anchors GitHub makes of a page's headings (repeats get -1, -2, …), and explicit `<a id>`s. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const prose = markdown.replace(/```[\s\S]*?```/g, '');
  for (const [, heading] of prose.matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const base = anchorOf(heading!.replace(/`/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1'));
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n ? `${base}-${n}` : base);
  }
  for (const [, id] of prose.matchAll(/<a (?:id|name)="([^"]+)"/g)) anchors.add(id!);
  return anchors;
}

describe('links in the Markdown files', () => {
  it('stay inside the repository and point at files and anchors that exist', () => {
    const broken: string[] = [];
    for (const file of markdownFiles()) {
      const text = read(resolve(ROOT, file)).replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target!)) continue; // https:, mailto:: not a file of ours
        const [path, anchor] = target!.split('#') as [string, string | undefined];
        const resolved = path ? resolve(ROOT, dirname(file), decodeURI(path)) : resolve(ROOT, file);
        const inside = relative(ROOT, resolved);
        if (inside.startsWith('..') || resolve(ROOT, inside) !== resolved) broken.push(`${file}: ${target} leaves the repository`);
        else if (!existsSync(resolved)) broken.push(`${file}: ${target} is missing`);
        else if (anchor && (statSync(resolved).isDirectory() || !resolved.endsWith('.md') || !anchorsOf(read(resolved)).has(anchor))) broken.push(`${file}: ${target} has no such anchor`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('and no file refers to the workspace outside it', () => {
    const outside = ['..', 'shared'].join('/');
    const machine = ['', 'work', ''].join('/');
    const grep = spawnSync('git', ['grep', '--untracked', '-n', '-I', '-e', outside, '-e', machine, '--', '.', ':!package-lock.json'], { cwd: ROOT, encoding: 'utf8' });
    expect(grep.stdout).toBe('');
    expect(grep.status).toBe(1); // git grep: nothing found
  });
});
