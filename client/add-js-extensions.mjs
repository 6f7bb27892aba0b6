// Declaration files as tsc writes them keep the source's extensionless relative
// imports, which `moduleResolution: node16 / nodenext` refuse in an ES module
// package (TS2834). This adds `.js` (or `/index.js` for a directory) to every
// relative specifier under dist/types, so the types work under node16,
// nodenext and bundler alike. Run by `npm run build`.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, 'dist/types');

function* declarations(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* declarations(path);
    else if (name.endsWith('.d.ts')) yield path;
  }
}

function withExtension(file, specifier) {
  if (/\.(js|mjs|cjs|json)$/.test(specifier)) return specifier;
  const target = resolve(dirname(file), specifier);
  if (existsSync(`${target}.d.ts`)) return `${specifier}.js`;
  if (existsSync(join(target, 'index.d.ts'))) return `${specifier}/index.js`;
  throw new Error(`${file}: cannot resolve ${specifier}`);
}

for (const file of declarations(root)) {
  const text = readFileSync(file, 'utf8');
  const fixed = text.replace(/(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]*)\2/g, (_, lead, quote, specifier) => `${lead}${quote}${withExtension(file, specifier)}${quote}`);
  if (fixed !== text) writeFileSync(file, fixed);
}
