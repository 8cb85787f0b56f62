// Kernel lane, host side, the BLCR kernel: Linux 3.10 and BLCR 0.8.6_b4 built from the BLCR lab
// (`<repo>/../shared/blcr-lab`, or $CR_BLCR_LAB: sources/ and patches/), cached in
// /var/cache/cr-blcr-lane/<hash>/ ($CR_BLCR_LANE_CACHE), where the hash covers the source
// tarballs, the patches, the kernel config fragment, the compiler and RECIPE_VERSION.
//
// A cache entry:
//   bzImage, kernel.release, kernel.config   the kernel (booted with qemu -kernel: 3.10 has no PVH entry)
//   blcr/                                    BLCR's prefix: bin/ lib/ (modules in lib/blcr/<release>/)
//                                            include/ libexec/blcr-testsuite/ (RUN_ME) share/
//   examples/                                BLCR's example programs (counting, pthread_counting, ...)
//   build.json                               inputs, versions and step timings
// BLCR bakes its prefix into its binaries, libtool files and RUN_ME, so it is configured with the
// entry's final path as prefix, installed with DESTDIR into a private build directory and the
// finished entry renamed into place: concurrent runs never see half an entry, a failed build
// leaves none (its logs are kept under $TMPDIR and their tail printed).
import {execFileSync, spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {aptInstall, busyboxFile, fileStamp, have, log, pruneCache, sha256, touchArtifacts} from './host.mjs';
import {buildInitramfs, initramfsInputs} from './initramfs.mjs';

// Bump when the recipe below changes in a way that changes the result.
const RECIPE_VERSION = 1;
const KERNEL = 'linux-3.10.108';
const BLCR = 'blcr-0.8.6_b4';
// Bump when the initramfs layout changes (its input files are hashed anyway).
const INITRAMFS_VERSION = 1;

/** apt-get install what the BLCR lane needs and this machine lacks (busybox-static is only unpacked: busyboxFile). */
export function ensureBlcrPackages() {
  const want = [];
  if (!have('qemu-system-x86_64')) want.push('qemu-system-x86');
  if (!have('gcc')) want.push('gcc', 'libc6-dev');
  if (!have('make')) want.push('make');
  if (!have('bc')) want.push('bc'); // the 3.10 build computes its timer constants with bc
  if (!have('perl')) want.push('perl');
  if (!have('patch')) want.push('patch');
  if (!have('xz')) want.push('xz-utils');
  // In the guest: insmod for the modules, /sbin/lsmod for RUN_ME, python3 credits the entropy.
  if (!fs.existsSync('/sbin/lsmod') || !have('insmod')) want.push('kmod');
  if (!fs.existsSync('/usr/bin/python3')) want.push('python3');
  aptInstall(want);
}

/** The BLCR lab directory: $CR_BLCR_LAB, else ../shared/blcr-lab beside the repository. */
export function blcrLabDir(root) {
  return path.resolve(process.env.CR_BLCR_LAB || path.join(root, '..', 'shared', 'blcr-lab'));
}

/** The recipe's input files, checked to exist (a clear error naming the path otherwise). */
export function recipeInputs(lab) {
  const need = (rel) => {
    const f = path.join(lab, rel);
    if (!fs.existsSync(f)) throw new Error(`BLCR lab: ${f} is missing (the lab is ${lab}; set CR_BLCR_LAB to another)`);
    return f;
  };
  const patches = (prefix) => {
    const dir = need('patches');
    return fs.readdirSync(dir).filter((n) => n.startsWith(`${prefix}-`) && n.endsWith('.patch')).sort().map((n) => path.join(dir, n));
  };
  return {
    kernelTar: need(`sources/${KERNEL}.tar.xz`),
    blcrTar: need(`sources/${BLCR}.tar.xz`),
    kernelPatches: patches(KERNEL),
    kernelConfig: need(`patches/${KERNEL}-blcr-vm.config`),
    blcrPatches: patches(BLCR),
  };
}

/** The cache key: every input's content, the compiler, the recipe version. */
function recipeHash(inputs) {
  const files = [inputs.kernelTar, inputs.blcrTar, ...inputs.kernelPatches, inputs.kernelConfig, ...inputs.blcrPatches];
  return sha256(
    String(RECIPE_VERSION),
    KERNEL,
    BLCR,
    execFileSync('gcc', ['--version'], {encoding: 'utf8'}).split('\n')[0],
    ...files.flatMap((f) => [path.basename(f), sha256(fs.readFileSync(f))]),
  ).slice(0, 12);
}

/** The environment of every build command: no make flags inherited from a calling make. */
function buildEnv() {
  const env = {...process.env, LC_ALL: 'C'};
  for (const k of ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES', 'GNUMAKEFLAGS']) delete env[k];
  return env;
}

class StepError extends Error {
  constructor(step, logFile, detail) {
    super(`${step} failed (${detail}); log: ${logFile}`);
    this.name = 'BlcrBuildError';
    this.brief = true; // the message says it all: no stack trace
    this.step = step;
    this.logFile = logFile;
  }
}

/**
 * The build, run as named steps; each step's commands write to logs/<step>.log in the build
 * directory. Children are tracked so an interrupted build can kill them.
 */
class Build {
  constructor(tmp) {
    this.tmp = tmp;
    this.logs = path.join(tmp, 'logs');
    fs.mkdirSync(this.logs);
    this.timings = {};
    this.children = new Set();
    this.env = buildEnv();
  }

  /** Run the commands [cmd, args, {cwd}] of one step in order, timed. */
  async step(name, commands) {
    const logFile = path.join(this.logs, `${name}.log`);
    const fd = fs.openSync(logFile, 'a');
    const t0 = Date.now();
    log(`blcr build: ${name} ...`);
    try {
      for (const [cmd, args, opts = {}] of commands) {
        fs.writeSync(fd, `$ ${[cmd, ...args].join(' ')}${opts.cwd ? `   (in ${opts.cwd})` : ''}\n`);
        const code = await new Promise((resolve) => {
          // Its own process group, so that an interrupted build can kill make and all its compilers.
          const child = spawn(cmd, args, {cwd: opts.cwd, env: this.env, stdio: ['ignore', fd, fd], detached: true});
          this.children.add(child);
          child.on('error', (e) => {
            fs.writeSync(fd, `${cmd}: ${e.message}\n`);
            resolve(`could not start: ${e.message}`);
          });
          child.on('close', (c, sig) => {
            this.children.delete(child);
            resolve(c === 0 ? 0 : `${cmd} exit ${c ?? sig}`);
          });
        });
        if (code !== 0) throw new StepError(name, logFile, code);
      }
    } finally {
      fs.closeSync(fd);
    }
    this.timings[name] = (Date.now() - t0) / 1000;
    log(`blcr build: ${name} ${this.timings[name].toFixed(1)} s`);
  }

  kill() {
    for (const c of this.children) {
      try {
        process.kill(-c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** The single directory a tarball unpacked into. */
function topDir(dir) {
  const names = fs.readdirSync(dir);
  if (names.length !== 1) throw new Error(`${dir}: expected one top-level directory after unpacking, found ${names.join(' ') || 'none'}`);
  return path.join(dir, names[0]);
}

/** Every CONFIG_X=v line of the fragment must be in the resulting .config, else the fragment is not what we booted. */
function checkConfig(fragment, config, logFile) {
  if (!fs.existsSync(config)) throw new StepError('kernel-config', logFile, `no ${config} written`);
  const have = new Set(fs.readFileSync(config, 'utf8').split('\n'));
  const lost = fs
    .readFileSync(fragment, 'utf8')
    .split('\n')
    .filter((l) => /^CONFIG_\w+=/.test(l) && !have.has(l));
  if (lost.length) throw new StepError('kernel-config', logFile, `${lost.join(', ')} from ${fragment} did not stick (a missing dependency?)`);
}

async function buildEntry(inputs, b, final) {
  const tmp = b.tmp;
  const jobs = String(os.availableParallelism());
  const src = path.join(tmp, 'src');
  const out = path.join(tmp, 'out');
  const destdir = path.join(tmp, 'destdir');
  const prefix = path.join(final, 'blcr');
  fs.mkdirSync(path.join(src, 'kernel'), {recursive: true});
  fs.mkdirSync(path.join(src, 'blcr'));
  fs.mkdirSync(out);

  await b.step('kernel-unpack', [['tar', ['-xJf', inputs.kernelTar, '-C', path.join(src, 'kernel')]]]);
  const k = topDir(path.join(src, 'kernel'));
  await b.step('kernel-patch', inputs.kernelPatches.map((p) => ['patch', ['-p1', '-s', '-d', k, '-i', p]]));
  await b.step('kernel-config', [['make', ['-C', k, 'ARCH=x86_64', `KCONFIG_ALLCONFIG=${inputs.kernelConfig}`, 'allnoconfig']]]);
  checkConfig(inputs.kernelConfig, path.join(k, '.config'), path.join(b.logs, 'kernel-config.log'));
  await b.step('kernel-build', [['make', ['-C', k, `-j${jobs}`, 'ARCH=x86_64', 'bzImage', 'modules']]]);
  const release = fs.readFileSync(path.join(k, 'include/config/kernel.release'), 'utf8').trim();

  await b.step('blcr-unpack', [['tar', ['-xJf', inputs.blcrTar, '-C', path.join(src, 'blcr')]]]);
  const s = topDir(path.join(src, 'blcr'));
  await b.step('blcr-patch', inputs.blcrPatches.map((p) => ['patch', ['-p1', '-s', '-d', s, '-i', p]]));
  const bb = path.join(tmp, 'build-blcr');
  fs.mkdirSync(bb);
  // LDFLAGS: Debian's gcc links with --as-needed, which drops libcr from programs that only need
  // its constructor ("support missing from application"). The stack-direction test answers "up"
  // with gcc 12 -O2, and every multithreaded restart then crashes in clone(): it grows down.
  await b.step('blcr-configure', [
    [path.join(s, 'configure'), [`--prefix=${prefix}`, `--with-linux=${k}`, '--enable-testsuite', 'LDFLAGS=-Wl,--no-as-needed', 'cr_cv_check_stack_direction=down'], {cwd: bb}],
  ]);
  await b.step('blcr-build', [
    ['make', [`-j${jobs}`], {cwd: bb}],
    ['make', [`-j${jobs}`, '-C', 'examples'], {cwd: bb}],
  ]);
  await b.step('blcr-install', [['make', ['install', `DESTDIR=${destdir}`], {cwd: bb}]]);

  fs.copyFileSync(path.join(k, 'arch/x86/boot/bzImage'), path.join(out, 'bzImage'));
  fs.copyFileSync(path.join(k, '.config'), path.join(out, 'kernel.config'));
  fs.writeFileSync(path.join(out, 'kernel.release'), `${release}\n`);
  fs.renameSync(path.join(destdir, prefix), path.join(out, 'blcr'));
  const examples = copyExamples(path.join(bb, 'examples'), path.join(out, 'examples'));
  for (const f of [
    'bin/cr_checkpoint',
    'bin/cr_restart',
    'bin/cr_run',
    'lib/libcr.so.0',
    `lib/blcr/${release}/blcr_imports.ko`,
    `lib/blcr/${release}/blcr.ko`,
    'libexec/blcr-testsuite/RUN_ME',
  ]) {
    if (!fs.existsSync(path.join(out, 'blcr', f))) throw new StepError('blcr-install', path.join(b.logs, 'blcr-install.log'), `${f} not installed`);
  }
  const info = {
    recipe: RECIPE_VERSION,
    kernel: KERNEL,
    blcr: BLCR,
    release,
    prefix,
    examples,
    inputs: Object.values(inputs).flat().map(fileStamp),
    jobs: Number(jobs),
    timings: b.timings,
    builtAt: new Date().toISOString(),
  };
  fs.writeFileSync(path.join(out, 'build.json'), `${JSON.stringify(info, null, 2)}\n`);
  return out;
}

/** BLCR's examples are libtool programs: the real binaries are in <name>/.libs/<name>. */
function copyExamples(from, to) {
  fs.mkdirSync(to);
  const names = [];
  for (const n of fs.readdirSync(from)) {
    const bin = path.join(from, n, '.libs', n);
    if (!fs.existsSync(bin)) continue;
    fs.copyFileSync(bin, path.join(to, n));
    fs.chmodSync(path.join(to, n), 0o755);
    names.push(n);
  }
  if (!names.includes('counting')) throw new Error(`BLCR examples: no counting in ${from}`);
  return names.sort();
}

const tailOf = (file, n) => {
  try {
    return fs.readFileSync(file, 'utf8').replace(/\n$/, '').split('\n').slice(-n);
  } catch {
    return ['(no log)'];
  }
};

/** Build into a private directory under cacheRoot, rename into `final`; on failure keep the logs only. */
async function buildInto(inputs, cacheRoot, final) {
  const tmp = fs.mkdtempSync(path.join(cacheRoot, `.build-${path.basename(final)}-`));
  const build = new Build(tmp);
  const interrupted = (sig) => {
    build.kill();
    fs.rmSync(tmp, {recursive: true, force: true});
    process.stderr.write(`test:kernel: blcr build interrupted (${sig}); nothing left in ${cacheRoot}\n`);
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const out = await buildEntry(inputs, build, final).catch((e) => {
      if (e instanceof StepError) {
        const keep = fs.mkdtempSync(path.join(os.tmpdir(), `cr-blcr-build-${path.basename(final)}-`));
        fs.cpSync(path.join(tmp, 'logs'), keep, {recursive: true});
        e.message = `${e.message.replace(e.logFile, path.join(keep, path.basename(e.logFile)))}\n` +
          `  --- tail of ${path.basename(e.logFile)} (all build logs kept in ${keep}) ---\n` +
          tailOf(e.logFile, 40).map((l) => `    | ${l}`).join('\n');
      }
      throw e;
    });
    try {
      fs.renameSync(out, final);
    } catch (e) {
      if (!fs.existsSync(path.join(final, 'build.json'))) throw e; // else another run finished first: use theirs
    }
  } finally {
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
    fs.rmSync(tmp, {recursive: true, force: true});
  }
}

/** The initramfs (no modules: the 3.10 kernel has virtio and 9p built in), one file per input hash. */
function ensureInitramfs(root, cacheRoot) {
  const guestDir = path.join(root, 'test/vm/guest');
  const [busybox, ...scripts] = initramfsInputs(guestDir, busyboxFile(cacheRoot));
  const hash = sha256(String(INITRAMFS_VERSION), fileStamp(busybox), ...scripts.map((f) => fs.readFileSync(f))).slice(0, 12);
  const file = path.join(cacheRoot, `initramfs-${hash}.cpio.gz`);
  if (!fs.existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    buildInitramfs(guestDir, tmp, [], busybox);
    fs.renameSync(tmp, file);
  }
  touchArtifacts(file);
  return file;
}

/**
 * The boot artifacts of the BLCR kernel, built first when the cache has no entry for the current
 * inputs. Returns {kver, kernel, initrd, dir, prefix, examples, built}.
 */
export async function ensureBlcrArtifacts(root) {
  const lab = blcrLabDir(root);
  const inputs = recipeInputs(lab);
  const cacheRoot = process.env.CR_BLCR_LANE_CACHE || '/var/cache/cr-blcr-lane';
  fs.mkdirSync(cacheRoot, {recursive: true});
  const dir = path.join(cacheRoot, recipeHash(inputs));
  let built = false;
  if (!fs.existsSync(path.join(dir, 'build.json'))) {
    const t0 = Date.now();
    log(`blcr build: ${KERNEL} and ${BLCR} from ${lab} into ${dir} (make -j${os.availableParallelism()})`);
    await buildInto(inputs, cacheRoot, dir);
    log(`blcr build: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    built = true;
  }
  touchArtifacts(dir);
  const initrd = ensureInitramfs(root, cacheRoot);
  pruneCache(cacheRoot, dir);
  const info = JSON.parse(fs.readFileSync(path.join(dir, 'build.json'), 'utf8'));
  return {
    kver: info.release,
    kernel: path.join(dir, 'bzImage'),
    initrd,
    dir,
    prefix: path.join(dir, 'blcr'),
    examples: path.join(dir, 'examples'),
    built,
  };
}
