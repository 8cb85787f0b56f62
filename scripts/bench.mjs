#!/usr/bin/env node
// npm run bench: wall time of cr against bare Node start, measured side by side in one run;
// then cr dmlog serve's throughput and latency (bench-dmlog.mjs; BENCH_DMLOG=0 skips it).
// Runs are interleaved (node, cr --help, cr checkpoint, ...) so machine noise hits all alike.
import {execFileSync, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cr = path.join(root, 'bin', 'cr.js');
const tool = (name) => path.join(root, 'bin', `${name}.js`);
const tk = path.join(root, 'test', 'kernel', 'build');
const runs = Number(process.env.BENCH_RUNS ?? 30);

execFileSync('make', ['-s', '-C', path.join(root, 'test', 'kernel')], {stdio: 'inherit'});
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-bench-'));
const tkDir = path.join(work, 'tk');
fs.mkdirSync(tkDir, {mode: 0o1777});
const kernelEnv = {...process.env, LD_PRELOAD: path.join(tk, 'libcr_testkernel.so'), CR_TESTKERNEL_DIR: tkDir, CR_TESTKERNEL_IMAGE_SIZE: '65536'};

// A checkpointable target: the test counter with the stand-in libcr_run.
const ready = path.join(work, 'ready');
const target = (await import('node:child_process')).spawn(path.join(tk, 'counter'), ['--ready', ready, '--out', path.join(work, 'out')], {
  env: {...process.env, LD_PRELOAD: path.join(tk, 'libcr_run.so.0'), CR_TESTKERNEL_DIR: tkDir},
  stdio: 'ignore',
});
while (!fs.existsSync(ready)) await new Promise((r) => setTimeout(r, 10));

// A context file to restart: the counter checkpointed once. Each restart is sent --kill, so the
// restarted job ends at once and the figure is the restart itself (check, request, helper, exec, reap).
const ctx = path.join(work, 'restart.ctx');
execFileSync(process.execPath, [cr, 'checkpoint', '-q', '-f', ctx, String(target.pid)], {env: kernelEnv});

const cases = {
  'node -e 0': () => [process.execPath, ['-e', '0'], process.env],
  'cr --help': () => [process.execPath, [cr, '--help'], process.env],
  'cr checkpoint (test kernel, 64 KiB dump)': () => [process.execPath, [cr, 'checkpoint', '-q', '--clobber', '-f', path.join(work, 'bench.ctx'), String(target.pid)], kernelEnv],
  'cr restart (test kernel, job killed at once)': () => [process.execPath, [cr, 'restart', '-q', '--kill', '--no-restore-pid', ctx], kernelEnv, 'SIGKILL'],
  'cr_checkpoint --help': () => [process.execPath, [tool('cr_checkpoint'), '--help'], process.env],
  'cr_checkpoint (test kernel, 64 KiB dump)': () => [process.execPath, [tool('cr_checkpoint'), '-q', '--clobber', '-f', path.join(work, 'bench2.ctx'), String(target.pid)], kernelEnv],
  'cr_restart (test kernel, job killed at once)': () => [process.execPath, [tool('cr_restart'), '-q', '--kill', '--no-restore-pid', ctx], kernelEnv, 'SIGKILL'],
  'cr_run true': () => [process.execPath, [tool('cr_run'), 'true'], {...process.env, LD_LIBRARY_PATH: tk}],
};

function timeOnce([cmd, args, env, expectSignal]) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, {env, stdio: ['ignore', 'ignore', 'pipe']});
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const ok = expectSignal ? r.signal === expectSignal : r.status === 0;
  if (!ok) throw new Error(`${cmd} ${args.join(' ')} ended with ${r.status ?? r.signal}: ${r.stderr}`);
  return ms;
}

const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (const k of Object.keys(cases)) timeOnce(cases[k]()); // warm the page cache
for (let i = 0; i < runs; i++) for (const k of Object.keys(cases)) samples[k].push(timeOnce(cases[k]()));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const base = median(samples['node -e 0']);
console.log(`cr startup benchmark: ${runs} interleaved runs each, median wall time (node ${process.version}, ${os.cpus().length} cores)`);
console.log('');
console.log('| command | median ms | p90 ms | ratio to bare node |');
console.log('|---|---:|---:|---:|');
for (const [k, xs] of Object.entries(samples)) {
  const s = [...xs].sort((a, b) => a - b);
  console.log(`| ${k} | ${median(xs).toFixed(1)} | ${s[Math.floor(s.length * 0.9)].toFixed(1)} | ${(median(xs) / base).toFixed(2)}x |`);
}

// cr --help must not load koffi: ask the dynamic linker what it loaded.
const trace = spawnSync(process.execPath, [cr, '--help'], {env: {...process.env, LD_DEBUG: 'files'}, encoding: 'utf8'});
const koffi = /file=\S*koffi\.node/.test(trace.stderr);
console.log('');
console.log(`cr --help loads koffi: ${koffi ? 'YES (goal: no)' : 'no'}`);
console.log(`goal cr checkpoint <= 2.5x bare node: ${(median(samples['cr checkpoint (test kernel, 64 KiB dump)']) / base).toFixed(2)}x`);

// cr verify of a 1 GiB checkpoint against sha256sum of the same file (page cache warm for both).
if (process.env.BENCH_VERIFY !== '0') {
  const store = path.join(work, 'store');
  fs.mkdirSync(store);
  execFileSync(process.execPath, [cr, 'checkpoint', '-q', '-d', store, '--job', 'big', String(target.pid)], {env: {...kernelEnv, CR_TESTKERNEL_IMAGE_SIZE: String(1 << 30)}});
  const big = fs.readdirSync(store).find((n) => n.endsWith('.ctx'));
  const file = path.join(store, big);
  const vruns = Number(process.env.BENCH_VERIFY_RUNS ?? 5);
  const v = {verify: [], sha: []};
  timeOnce(['sha256sum', [file], process.env]);
  for (let i = 0; i < vruns; i++) {
    v.verify.push(timeOnce([process.execPath, [cr, 'verify', file], process.env]));
    v.sha.push(timeOnce(['sha256sum', [file], process.env]));
  }
  const size = fs.statSync(file).size;
  console.log('');
  console.log(`cr verify of a ${(size / (1 << 30)).toFixed(2)} GiB checkpoint against sha256sum, ${vruns} interleaved runs each, median:`);
  console.log('');
  console.log('| command | median ms | GiB/s |');
  console.log('|---|---:|---:|');
  for (const [k, xs] of [['sha256sum FILE', v.sha], ['cr verify FILE', v.verify]]) console.log(`| ${k} | ${median(xs).toFixed(0)} | ${(size / (1 << 30) / (median(xs) / 1000)).toFixed(2)} |`);
  console.log('');
  console.log(`ratio cr verify / sha256sum: ${(median(v.verify) / median(v.sha)).toFixed(2)}x (goal <= 1.1x)`);
}
target.kill('SIGKILL');
fs.rmSync(work, {recursive: true, force: true});

// cr dmlog serve: throughput and latency through the netlink connector (scripts/bench-dmlog.mjs).
if (process.env.BENCH_DMLOG !== '0') await (await import('./bench-dmlog.mjs')).benchDmlog();

// The real BLCR module (Linux 3.10 under qemu, the BLCR lane's guest): a 1 GiB target checkpointed
// and restarted by BLCR's tools and by cr, interleaved in one guest (test/vm/blcr-bench). Needs
// root and the BLCR lab beside the project; BENCH_BLCR=0 skips it.
if (process.env.BENCH_BLCR !== '0') await (await import('./bench-blcr.mjs')).benchBlcr(root);
