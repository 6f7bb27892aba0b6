import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { README, spliceRoutes } from '../local/route-docs';
import { routes } from '../lambdas/routes/table';

describe('README', () => {
  it('shows the route table as it is (run `npm run docs` after changing it)', () => {
    const readme = readFileSync(README, 'utf8');
    expect(readme).toBe(spliceRoutes(readme));
    for (const route of routes) expect(readme).toContain(`| \`${route.event}\` |`);
  });

  it('starts with the two commands', () => {
    const head = readFileSync(README, 'utf8').split('\n').slice(0, 15).join('\n');
    expect(head).toContain('npm ci && npm start');
    expect(head).toContain('npm test');
  });
});
