// The layering rules of ARCHITECTURE.md, checked on the sources.
import {expect} from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import {ROOT} from '../helpers/paths.js';

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(ROOT, dir), {withFileTypes: true})) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(rel));
    else if (e.name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

const importsOf = (file: string) =>
  [...fs.readFileSync(path.join(ROOT, file), 'utf8').matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g)].map(
    (m) => m[1] ?? m[2] ?? m[3],
  );

describe('layers', () => {
  const all = [...sources('src'), ...sources('commands')];

  it('only src/abi/ loads koffi', () => {
    const offenders = all.filter((f) => !f.startsWith('src/abi/') && importsOf(f).includes('koffi'));
    expect(offenders).to.deep.equal([]);
    const loaders = all.filter((f) => importsOf(f).includes('koffi'));
    expect(loaders).to.deep.equal(['src/abi/koffi.ts']);
  });

  it('only src/exec/ imports execa', () => {
    expect(all.filter((f) => !f.startsWith('src/exec/') && importsOf(f).includes('execa'))).to.deep.equal([]);
  });

  it('commands/ import nothing below src/ but the CLI base and src/index', () => {
    const bad = sources('commands').flatMap((f) =>
      importsOf(f)
        .filter((i) => /^(\.\.\/)+src\//.test(i) && !/^(\.\.\/)+src\/(index|cli\/[\w-]+)\.js$/.test(i))
        .map((i) => `${f}: ${i}`),
    );
    expect(bad).to.deep.equal([]);
  });

  it('nothing in src/ calls process.exit', () => {
    expect(sources('src').filter((f) => /process\.exit\(/.test(fs.readFileSync(path.join(ROOT, f), 'utf8')))).to.deep.equal([]);
  });
});
