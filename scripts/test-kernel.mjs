#!/usr/bin/env node
// The kernel test lanes: every scenario runs in its own qemu VM (TCG) with the host's / shared
// read-only. Two kernels:
//   debian  Debian's 6.1 kernel, device-mapper modules loaded: test/vm/scenarios/*.sh (npm run test:kernel)
//   blcr    Linux 3.10 with the real BLCR modules loaded, both built from the BLCR lab and cached:
//           test/vm/blcr/*.sh (npm run test:blcr)
//
//   node scripts/test-kernel.mjs [options] [filter...]
//     filter          run only scenarios whose name contains one of these strings
//     --kernel K      debian (default) or blcr
//     --scenarios DIR scenarios from DIR instead of the kernel's own directory (npm run bench:
//                     test/vm/blcr-bench)
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
import {ensureBootArtifacts, ensurePackages, ensureProjectBuilt} from './kernel-lane/artifacts.mjs';
import {blcrLabDir, ensureBlcrArtifacts, ensureBlcrPackages, recipeInputs} from './kernel-lane/blcr-artifacts.mjs';
import {touchArtifacts} from './kernel-lane/host.mjs';
import {HOST_GRACE_S, READY_MARKER, readHeader, runVm} from './kernel-lane/vm.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_TIMEOUT_S = 240;
const DEFAULT_MEM_MIB = 1536;

/** What differs between the kernels; everything else (guest, runner, report) is shared. */
const KERNELS = {
  debian: {
    label: 'kernel lane',
    scenarioDir: 'test/vm/scenarios',
    preflight: () => {},
    ensurePackages,
    artifacts: async () => ensureBootArtifacts(root),
    guestEnv: (a) => [`CRVM_MODULES='${a.modules}'`],
    seedEntropy: false,
    dmesgFailures: [],
  },
  blcr: {
    label: 'blcr lane',
    scenarioDir: 'test/vm/blcr',
    // The BLCR lab's sources and patches are there (checked before anything is installed or built).
    preflight: () => recipeInputs(blcrLabDir(root)),
    ensurePackages: ensureBlcrPackages,
    artifacts: () => ensureBlcrArtifacts(root),
    guestEnv: (a) => [`CR_BLCR_PREFIX='${a.prefix}'`],
    // 3.10 has no getrandom(2): the guest credits host randomness before anything runs node.
    seedEntropy: true,
    // The whole kernel log of every scenario's VM is checked for these: the module's complaint
    // when a ctrl fd is closed mid-request, and kernel bugs.
    dmesgFailures: [/File descriptor closed unexpectedly!/, /BUG:/, /Oops/],
  },
};

function usage(msg) {
  process.stderr.write(
    `test:kernel: ${msg}\nusage: node scripts/test-kernel.mjs [--kernel debian|blcr] [--jobs N] [--boot-limit S] [--keep] [--self-test] [filter...]\n`,
  );
  process.exit(2);
}

function parseArgs(argv) {
  const o = {kernel: 'debian', jobs: 2, bootLimitS: Number(process.env.CR_KERNEL_LANE_BOOT_LIMIT || 300), keep: false, selfTest: false, filters: []};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const n = Number(argv[++i]);
      if (!Number.isFinite(n) || n <= 0) usage(`${a} needs a positive number`);
      return n;
    };
    if (a === '--kernel') {
      o.kernel = argv[++i];
      if (!Object.hasOwn(KERNELS, o.kernel ?? '')) usage(`--kernel must be one of ${Object.keys(KERNELS).join(', ')}, got ${o.kernel ?? 'nothing'}`);
    } else if (a === '--scenarios') {
      o.scenarioDir = argv[++i];
      if (!o.scenarioDir || !fs.existsSync(path.resolve(root, o.scenarioDir))) usage(`--scenarios needs an existing directory, got ${o.scenarioDir ?? 'nothing'}`);
    } else if (a === '--jobs') o.jobs = Math.floor(num());
    else if (a === '--boot-limit') o.bootLimitS = num();
    else if (a === '--keep') o.keep = true;
    else if (a === '--self-test') o.selfTest = true;
    else if (a === '-h' || a === '--help') usage('help');
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else o.filters.push(a);
  }
  return o;
}

/** A positive number from a scenario header (`# timeout: 300`, `# mem: 3072`), else the default. */
function headerNumber(file, key, dflt) {
  const t = readHeader(file)[key];
  if (t === undefined) return dflt;
  const n = Number(t);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${file}: bad "# ${key}: ${t}" header`);
  return n;
}

/** The package's commands (package.json "bin") as the guest's CRVM_BINS: "name:path ...". */
function packageBins() {
  const bin = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).bin ?? {};
  return Object.entries(bin).map(([name, file]) => {
    if (!/^[\w.-]+$/.test(name) || !/^[\w./-]+$/.test(file)) throw new Error(`package.json: bin entry ${name}: ${file} is not a plain name and path`);
    return `${name}:${path.normalize(file)}`;
  });
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
  if (r.dmesgHits?.length) out.push('  --- kernel log lines the lane does not accept (dmesg.full in the job dir) ---', indent(r.dmesgHits.slice(0, 20)));
  const bgDir = path.join(r.jobDir, 'bg');
  for (const f of fs.existsSync(bgDir) ? fs.readdirSync(bgDir).sort() : []) {
    const text = fs.readFileSync(path.join(bgDir, f), 'utf8');
    if (text) out.push(`  --- bg/${f} (tail) ---`, indent(tail(text, 20)));
  }
  out.push(`  job dir: ${r.jobDir}`);
  return out.join('\n');
}

/** The directory of this run's job dirs (made once the artifacts are there). */
const newRunBase = () => fs.mkdtempSync(path.join(os.tmpdir(), 'cr-kernel-lane-'));

/** The runVm options that depend on the kernel, not on the scenario. */
function kernelVmOpts(kernel, artifacts) {
  const k = KERNELS[kernel];
  return {
    root,
    artifacts,
    kernel,
    bins: packageBins(),
    guestEnv: k.guestEnv(artifacts),
    seedEntropy: k.seedEntropy,
    dmesgFailures: k.dmesgFailures,
  };
}

async function runAll(specs, o) {
  const t0 = Date.now();
  const k = KERNELS[o.kernel];
  const artifacts = await k.artifacts();
  touchArtifacts(artifacts.dir);
  const common = kernelVmOpts(o.kernel, artifacts);
  const runBase = newRunBase();
  const tVms = Date.now();
  process.stdout.write(`${k.label}: ${artifacts.kver}, ${specs.length} scenario(s), ${Math.min(o.jobs, specs.length)} VM(s) at a time, artifacts ${artifacts.dir}\n`);
  const results = await pool(
    specs.map((s) => async () => {
      const jobDir = path.join(runBase, s.name);
      const r = await runVm({...common, bootLimitS: o.bootLimitS, ...s, jobDir});
      process.stdout.write(`${report(r)}\n`);
      if (r.ok && !o.keep) fs.rmSync(jobDir, {recursive: true, force: true});
      return r;
    }),
    o.jobs,
  );
  const failed = results.filter((r) => !r.ok);
  const wall = (Date.now() - t0) / 1000;
  const prep = artifacts.built ? ` (artifacts built in ${((tVms - t0) / 1000).toFixed(1)} s)` : '';
  process.stdout.write(
    `${k.label}: ${results.length - failed.length} passed, ${failed.length} failed` +
      `${failed.length ? ` (${failed.map((r) => r.name).join(', ')})` : ''} in ${wall.toFixed(1)} s${prep}\n`,
  );
  if (failed.length === 0 && !o.keep) fs.rmSync(runBase, {recursive: true, force: true});
  else process.stdout.write(`${k.label}: job dirs kept under ${runBase}\n`);
  return results;
}

function scenarioSpecs(kernel, filters, scenarioDir) {
  const rel = scenarioDir ?? KERNELS[kernel].scenarioDir;
  const dir = path.join(root, rel);
  const names = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.sh'))
    .map((f) => f.slice(0, -3))
    .sort();
  const chosen = filters.length ? names.filter((n) => filters.some((f) => n.includes(f))) : names;
  if (chosen.length === 0) usage(`no scenario in ${rel} matches ${filters.join(' ')}`);
  // Longest time limit first (then by name): the long scenarios start at once and overlap.
  return chosen
    .map((name) => {
      const file = path.join(dir, `${name}.sh`);
      return {
        name,
        file,
        timeoutS: headerNumber(file, 'timeout', DEFAULT_TIMEOUT_S),
        memMiB: headerNumber(file, 'mem', DEFAULT_MEM_MIB),
        cpus: headerNumber(file, 'cpus', 1),
      };
    })
    .sort((a, b) => b.timeoutS - a.timeoutS || a.name.localeCompare(b.name));
}

/** The runner checked against scenarios whose outcome is known. */
async function selfTest(o) {
  const k = KERNELS[o.kernel];
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
      expect: (r) => !r.ok && /^timed out/.test(r.reason) && r.output.includes('hanging now') && r.runS < 10 + HOST_GRACE_S,
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
  if (o.kernel === 'debian') {
    // A failed step in the worst state: a userspace-log mirror whose server was killed, a write
    // blocked on it, a suspended device with a write held. Cleanup must undo all of it promptly
    // (without a server, the mirror's suspend and remove would block in the kernel for good).
    const body = [
      '# timeout: 300',
      '. "$CR_ROOT/test/vm/lib.sh"',
      '. "$CR_ROOT/test/vm/dmlog.sh"',
      'step "a mirror served by cr dmlog serve, a suspended linear device, writes held on both"',
      'LEGS=($(make_loops 16 3)); LOGS=($(make_loops 1 1))',
      'N=$(blockdev --getsz "${LEGS[0]}")',
      'start_dmlog',
      'dm_create m "0 $N mirror userspace 4 cr-uuid-selftest clustered-disk ${LOGS[0]} 1024 2 ${LEGS[0]} 0 ${LEGS[1]} 0"',
      'dm_create l "0 $N linear ${LEGS[2]} 0"',
      'dmsetup suspend --noudevsync l',
      'start_bg held dd if=/dev/zero of=/dev/mapper/l bs=4k count=1 oflag=direct',
      'kill -9 "$(bg_pid dmlog)"',
      "wait_for '! bg_running dmlog' 30 || fail \"the server did not die\"",
      'start_bg stuck dd if=/dev/zero of=/dev/mapper/m bs=64k count=64 oflag=direct',
      'step "the failing step"',
      'fail "failing on purpose, the mirror\'s log server dead"',
    ].join('\n');
    cases.push({
      spec: {name: 'selftest-teardown', file: write('selftest-teardown', body), timeoutS: 300},
      expect: (r) => !r.ok && r.rc === 1 && r.reason === 'exit status 1' && r.output.includes('failing on purpose') &&
        r.output.includes('no log server running for the remaining userspace-log mirrors: starting one') &&
        r.output.includes('== end (status 1)') && !/cleanup: (could not|.* left behind|.* did not end)/.test(r.output),
      what: 'a failed step leaving a mirror whose log server is dead, held writes and a suspended device is torn down at once: FAIL status 1, not a timeout',
    });
  }
  if (k.dmesgFailures.length) {
    cases.push({
      spec: {
        name: 'selftest-dmesg',
        file: write('selftest-dmesg', 'echo "blcr: selftest: File descriptor closed unexpectedly!" > /dev/kmsg\necho "exiting 0"'),
        timeoutS: 30,
      },
      expect: (r) => !r.ok && r.rc === 0 && /File descriptor closed unexpectedly!/.test(r.reason) && r.dmesgHits.length === 1,
      what: 'a scenario that exits 0 with "File descriptor closed unexpectedly!" in the kernel log is FAIL, the line named',
    });
  }
  const artifacts = await k.artifacts();
  const common = kernelVmOpts(o.kernel, artifacts);
  const runBase = newRunBase();
  process.stdout.write(`${k.label} self-test: ${artifacts.kver}, ${cases.length} cases\n`);
  const t0 = Date.now();
  const results = await pool(
    cases.map((c) => async () => {
      const r = await runVm({...common, bootLimitS: c.bootLimitS ?? o.bootLimitS, ...c.spec, jobDir: path.join(runBase, c.spec.name)});
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
  process.stdout.write(`${k.label} self-test: ${cases.length - bad}/${cases.length} as expected in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  fs.rmSync(dir, {recursive: true, force: true});
  if (!bad && !o.keep) {
    fs.rmSync(runBase, {recursive: true, force: true});
    process.stdout.write(`${k.label} self-test: job dirs removed (all verdicts as expected)\n`);
  } else process.stdout.write(`${k.label} self-test: job dirs kept under ${runBase}\n`);
  return bad === 0;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) usage('needs root (apt-get, the artifact cache, loop and dm devices in the guest)');
  const specs = o.selfTest ? [] : scenarioSpecs(o.kernel, o.filters, o.scenarioDir);
  try {
    KERNELS[o.kernel].preflight();
  } catch (e) {
    usage(e.message);
  }
  KERNELS[o.kernel].ensurePackages();
  ensureProjectBuilt(root);
  if (o.selfTest) {
    process.exitCode = (await selfTest(o)) ? 0 : 1;
    return;
  }
  const results = await runAll(specs, o);
  process.exitCode = results.every((r) => r.ok) ? 0 : 1;
}

main().catch((e) => {
  process.stderr.write(`test:kernel: ${e.brief ? e.message : (e.stack ?? e)}\n`);
  process.exit(1);
});
