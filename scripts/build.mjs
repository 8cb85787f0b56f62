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

step('bundle dist/bundle/ (cr, cr_checkpoint, cr_restart, cr_run)');
const esbuild = await import('esbuild');
fs.rmSync(path.join(root, 'dist', 'bundle'), {recursive: true, force: true});
// oclif core requires these at load time but uses them only on some paths (plugin globbing, help
// templates, spinners): each is loaded on first use instead, behind a proxy. `debug` is loaded only
// when DEBUG is set (otherwise its loggers do nothing, as they would anyway).
const {createRequire} = await import('node:module');
const requireHere = createRequire(path.join(root, 'package.json'));
const LAZY = ['tinyglobby', 'ejs', 'cli-spinners'];
const esModuleFlag = Object.fromEntries(LAZY.map((m) => [m, Boolean(requireHere(m).__esModule)]));
const lazyModules = {
  name: 'lazy-modules',
  setup(build) {
    build.onResolve({filter: new RegExp(`^(${[...LAZY, 'debug'].join('|')})$`)}, (args) =>
      args.pluginData === 'real' ? undefined : {path: args.path, namespace: 'lazy'},
    );
    build.onLoad({filter: /.*/, namespace: 'lazy'}, (args) => ({
      resolveDir: root,
      loader: 'js',
      contents:
        args.path === 'debug'
          ? `const off = () => { const log = () => {}; log.enabled = false; log.extend = () => log; return log; };
module.exports = process.env.DEBUG ? require('debug?real') : Object.assign(off, {enable() {}, disable: () => '', enabled: () => false});`
          : `let real; const load = () => (real ??= require(${JSON.stringify(`${args.path}?real`)}));
module.exports = new Proxy({}, {get: (_, k) => (k === '__esModule' ? ${esModuleFlag[args.path]} : load()[k]), has: (_, k) => k in load(), ownKeys: () => Reflect.ownKeys(load()), getOwnPropertyDescriptor: (_, k) => Object.getOwnPropertyDescriptor(load(), k)});`,
    }));
    build.onResolve({filter: /\?real$/}, async (args) => {
      const r = await build.resolve(args.path.replace(/\?real$/, ''), {kind: 'require-call', resolveDir: root, pluginData: 'real'});
      return {path: r.path};
    });
  },
};

await esbuild.build({
  plugins: [lazyModules],
  absWorkingDir: root,
  // cr, and BLCR's three tools (src/cli/blcr/): separate entries sharing chunks, no oclif in theirs.
  entryPoints: {
    cr: 'commands/index.ts',
    cr_checkpoint: 'src/cli/blcr/cr-checkpoint.ts',
    cr_restart: 'src/cli/blcr/cr-restart.ts',
    cr_run: 'src/cli/blcr/cr-run.ts',
  },
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
