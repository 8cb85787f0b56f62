#!/usr/bin/env node
// Build everything `cr` needs: type-check and compile (tests run from dist/), bundle the CLI,
// build the native helper, and regenerate oclif.manifest.json with `oclif manifest`.
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => {
  try {
    execFileSync(cmd, args, {cwd: root, stdio: 'inherit'});
  } catch {
    process.stderr.write(`build: ${path.basename(cmd)} ${args.join(' ')} failed\n`);
    process.exit(1);
  }
};
const step = (what) => process.stderr.write(`build: ${what}\n`);

step('tsc');
run(bin('tsc'), ['-p', 'tsconfig.json']);

step('bundle dist/bundle/cr.js');
const esbuild = await import('esbuild');
fs.rmSync(path.join(root, 'dist', 'bundle'), {recursive: true, force: true});
await esbuild.build({
  absWorkingDir: root,
  entryPoints: {cr: 'commands/index.ts'},
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  keepNames: true,
  sourcemap: 'linked',
  external: ['koffi', 'typescript'],
  banner: {js: "import {createRequire as __crCreateRequire} from 'node:module'; const require = __crCreateRequire(import.meta.url);"},
  logLevel: 'warning',
});

if (fs.existsSync(path.join(root, 'native', 'Makefile'))) {
  step('native helper');
  run('make', ['-s', '-C', 'native']);
}

step('oclif manifest');
process.env.OCLIF_SKIP_NEW_VERSION_CHECK = 'true';
run(bin('oclif'), ['manifest']);
