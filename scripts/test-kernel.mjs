#!/usr/bin/env node
// The kernel test lane: every test/vm/scenarios/*.sh runs in its own qemu VM (TCG) booting
// Debian's kernel with the host's / shared read-only, device-mapper modules loaded.
//
//   node scripts/test-kernel.mjs [options] [filter...]
//     filter          run only scenarios whose name contains one of these strings
//     --jobs N        VMs at a time (default 2)
//     --boot-limit S  seconds from qemu start to the guest's ready marker (default 120)
//     --keep          keep every job dir (failed ones are always kept)
//     --self-test     check the runner itself: a hang, a wedged guest, exit 3, a boot limit
//
// test/vm/README.md describes the lane and how to write a scenario.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {ensureBootArtifacts, ensurePackages, ensureProjectBuilt, touchArtifacts} from './kernel-lane/artifacts.mjs';
import {READY_MARKER, readHeader, runVm} from './kernel-lane/vm.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const scenarioDir = path.join(root, 'test/vm/scenarios');
const DEFAULT_TIMEOUT_S = 240;

function usage(msg) {
  process.stderr.write(`test:kernel: ${msg}\nusage: node scripts/test-kernel.mjs [--jobs N] [--boot-limit S] [--keep] [--self-test] [filter...]\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = {jobs: 2, bootLimitS: Number(process.env.CR_KERNEL_LANE_BOOT_LIMIT || 120), keep: false, selfTest: false, filters: []};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const n = Number(argv[++i]);
      if (!Number.isFinite(n) || n <= 0) usage(`${a} needs a positive number`);
      return n;
    };
    if (a === '--jobs') o.jobs = Math.floor(num());
    else if (a === '--boot-limit') o.bootLimitS = num();
    else if (a === '--keep') o.keep = true;
    else if (a === '--self-test') o.selfTest = true;
    else if (a === '-h' || a === '--help') usage('help');
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else o.filters.push(a);
  }
  return o;
}

function scenarioTimeout(file) {
  const t = readHeader(file).timeout;
  if (t === undefined) return DEFAULT_TIMEOUT_S;
  const n = Number(t);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${file}: bad "# timeout: ${t}" header`);
  return n;
}

/** Run tasks (functions returning promises) at most `limit` at a time, results in task order. */
async function pool(tasks, limit) {
  const results = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({length: Math.min(limit, tasks.length)}, worker));
  return results;
}

const tail = (text, n) => {
  const lines = text.replace(/\n$/, '').split('\n');
  return (lines.length > n ? [`... (${lines.length - n} earlier lines in the job dir)`] : []).concat(lines.slice(-n));
};
const indent = (lines) => lines.map((l) => `    | ${l}`).join('\n');

function report(r) {
  const times = `(boot ${r.bootS.toFixed(1)} s, run ${r.runS.toFixed(1)} s)`;
  if (r.ok) return `PASS ${r.name} ${times}`;
  const out = [`FAIL ${r.name} ${times}: ${r.reason}`];
  const afterReady = r.console.includes(READY_MARKER) ? r.console.slice(r.console.indexOf(READY_MARKER)) : undefined;
  if (r.output !== undefined && r.rc !== undefined) {
    out.push('  --- scenario output ---', indent(tail(r.output, 80)));
  } else if (afterReady !== undefined) {
    out.push('  --- console since the ready marker (output so far) ---', indent(tail(afterReady, 80)));
  } else {
    out.push('  --- console (boot) ---', indent(tail(r.console, 60)));
  }
  if (r.dmesg) out.push('  --- dmesg since the scenario started (tail, captured by the guest) ---', indent(tail(r.dmesg, 40)));
  const bgDir = path.join(r.jobDir, 'bg');
  for (const f of fs.existsSync(bgDir) ? fs.readdirSync(bgDir).sort() : []) {
    const text = fs.readFileSync(path.join(bgDir, f), 'utf8');
    if (text) out.push(`  --- bg/${f} (tail) ---`, indent(tail(text, 20)));
  }
  out.push(`  job dir: ${r.jobDir}`);
  return out.join('\n');
}

async function runAll(specs, o, runBase) {
  const t0 = Date.now();
  const artifacts = ensureBootArtifacts(root);
  touchArtifacts(artifacts.dir);
  process.stdout.write(`kernel lane: ${artifacts.kver}, ${specs.length} scenario(s), ${Math.min(o.jobs, specs.length)} VM(s) at a time, artifacts ${artifacts.dir}\n`);
  const results = await pool(
    specs.map((s) => async () => {
      const jobDir = path.join(runBase, s.name);
      const r = await runVm({root, artifacts, bootLimitS: o.bootLimitS, ...s, jobDir});
      process.stdout.write(`${report(r)}\n`);
      if (r.ok && !o.keep) fs.rmSync(jobDir, {recursive: true, force: true});
      return r;
    }),
    o.jobs,
  );
  const failed = results.filter((r) => !r.ok);
  const wall = (Date.now() - t0) / 1000;
  process.stdout.write(
    `kernel lane: ${results.length - failed.length} passed, ${failed.length} failed` +
      `${failed.length ? ` (${failed.map((r) => r.name).join(', ')})` : ''} in ${wall.toFixed(1)} s\n`,
  );
  if (failed.length === 0 && !o.keep) fs.rmSync(runBase, {recursive: true, force: true});
  else process.stdout.write(`kernel lane: job dirs kept under ${runBase}\n`);
  return results;
}

function scenarioSpecs(filters) {
  const names = fs
    .readdirSync(scenarioDir)
    .filter((f) => f.endsWith('.sh'))
    .map((f) => f.slice(0, -3))
    .sort();
  const chosen = filters.length ? names.filter((n) => filters.some((f) => n.includes(f))) : names;
  if (chosen.length === 0) usage(`no scenario in test/vm/scenarios matches ${filters.join(' ')}`);
  return chosen.map((name) => {
    const file = path.join(scenarioDir, `${name}.sh`);
    return {name, file, timeoutS: scenarioTimeout(file)};
  });
}

/** The runner checked against scenarios whose outcome is known. */
async function selfTest(o, runBase) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-kernel-selftest-'));
  const write = (name, body) => {
    const file = path.join(dir, `${name}.sh`);
    fs.writeFileSync(file, `#!/bin/bash\n${body}\n`);
    return file;
  };
  const cases = [
    {
      spec: {name: 'selftest-pass', file: write('selftest-pass', 'echo "all good"'), timeoutS: 30},
      expect: (r) => r.ok,
      what: 'a passing scenario is PASS',
    },
    {
      spec: {name: 'selftest-exit3', file: write('selftest-exit3', 'echo "crvm-selftest: a kernel message" > /dev/kmsg\necho "about to exit 3"; exit 3'), timeoutS: 30},
      expect: (r) => !r.ok && r.rc === 3 && r.reason === 'exit status 3' && r.output.includes('about to exit 3') &&
        r.dmesg.includes('crvm-selftest: a kernel message'),
      what: 'exit 3 is FAIL with status 3, its output and the kernel messages since it started',
    },
    {
      spec: {
        name: 'selftest-hang',
        file: write('selftest-hang', '# timeout: 10\n. "$CR_ROOT/test/vm/lib.sh"\nstep "going to hang"\necho "hanging now"; sleep 100000'),
        timeoutS: 10,
      },
      expect: (r) => !r.ok && /^timed out/.test(r.reason) && r.output.includes('hanging now') && r.runS < 10 + 20,
      what: 'a hang is killed at its limit in the guest, FAIL with its output and a dmesg tail',
    },
    {
      spec: {
        name: 'selftest-wedged',
        file: write('selftest-wedged', '# timeout: 6\necho "wedged now"; sleep 100000'),
        timeoutS: 6,
        guestTimeout: false,
      },
      expect: (r) => !r.ok && /qemu killed/.test(r.reason) && r.console.includes('wedged now'),
      what: 'a wedged guest (no guest-side timeout) is killed by the host, FAIL with the output so far',
    },
    {
      spec: {name: 'selftest-boot-limit', file: write('selftest-boot-limit', 'true'), timeoutS: 30},
      bootLimitS: 1,
      expect: (r) => !r.ok && /boot limit/.test(r.reason),
      what: 'a boot past the boot limit is killed, FAIL',
    },
  ];
  const artifacts = ensureBootArtifacts(root);
  process.stdout.write(`kernel lane self-test: ${artifacts.kver}, ${cases.length} cases\n`);
  const t0 = Date.now();
  const results = await pool(
    cases.map((c) => async () => {
      const r = await runVm({root, artifacts, bootLimitS: c.bootLimitS ?? o.bootLimitS, ...c.spec, jobDir: path.join(runBase, c.spec.name)});
      process.stdout.write(`${report(r)}\n`);
      return r;
    }),
    o.jobs,
  );
  let bad = 0;
  process.stdout.write('--- self-test verdicts ---\n');
  cases.forEach((c, i) => {
    const good = c.expect(results[i]);
    if (!good) bad++;
    process.stdout.write(`${good ? 'ok  ' : 'BAD '} ${c.spec.name}: ${c.what}\n`);
  });
  process.stdout.write(`kernel lane self-test: ${cases.length - bad}/${cases.length} as expected in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  fs.rmSync(dir, {recursive: true, force: true});
  if (!bad && !o.keep) {
    fs.rmSync(runBase, {recursive: true, force: true});
    process.stdout.write('kernel lane self-test: job dirs removed (all verdicts as expected)\n');
  } else process.stdout.write(`kernel lane self-test: job dirs kept under ${runBase}\n`);
  return bad === 0;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) usage('needs root (apt-get, the artifact cache, loop and dm devices in the guest)');
  const specs = o.selfTest ? [] : scenarioSpecs(o.filters);
  ensurePackages();
  ensureProjectBuilt(root);
  const runBase = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-kernel-lane-'));
  if (o.selfTest) {
    process.exitCode = (await selfTest(o, runBase)) ? 0 : 1;
    return;
  }
  const results = await runAll(specs, o, runBase);
  process.exitCode = results.every((r) => r.ok) ? 0 : 1;
}

main().catch((e) => {
  process.stderr.write(`test:kernel: ${e.stack ?? e}\n`);
  process.exit(1);
});
