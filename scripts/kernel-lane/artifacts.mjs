// Kernel lane, host side, Debian's kernel: the packages the lane needs, the project build, and
// the boot artifacts (the uncompressed vmlinux and a small initramfs), cached per kernel and
// guest-init version.
import {execFileSync, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {aptInstall, dpkgInstalled, fileStamp, have, log, pruneCache, sha256} from './host.mjs';
import {buildInitramfs, initramfsInputs} from './initramfs.mjs';

// Modules stage 1 loads before it can mount anything (their dependencies come from modprobe).
const INITRAMFS_MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'overlay'];
// Bump when the initramfs layout built below changes (the init scripts are hashed anyway).
const LAYOUT_VERSION = 1;

/** Kernel releases that have both /boot/vmlinuz-KVER and modules, newest first. */
export function installedKernels() {
  let names = [];
  try {
    names = fs.readdirSync('/boot');
  } catch {
    return [];
  }
  const kvers = names
    .map((n) => /^vmlinuz-(.+-amd64)$/.exec(n)?.[1])
    .filter((k) => k && fs.existsSync(`/lib/modules/${k}/modules.dep`));
  return kvers.sort((a, b) => b.localeCompare(a, 'en', {numeric: true}));
}

/** apt-get install what the lane needs and this machine lacks (CI machines start clean). */
export function ensurePackages() {
  const want = [];
  if (!have('qemu-system-x86_64')) want.push('qemu-system-x86');
  if (installedKernels().length === 0) want.push('linux-image-amd64');
  if (!dpkgInstalled('busybox-static')) want.push('busybox-static');
  if (!have('xz')) want.push('xz-utils');
  if (!have('modprobe')) want.push('kmod');
  if (!have('dmsetup')) want.push('dmsetup');
  if (!have('losetup')) want.push('util-linux');
  // Used by the scenarios in the guest, which runs this machine's /usr/bin (not a user's PATH).
  if (!fs.existsSync('/usr/bin/python3')) want.push('python3');
  if (!fs.existsSync('/usr/sbin/mkfs.ext4') && !fs.existsSync('/sbin/mkfs.ext4')) want.push('e2fsprogs');
  aptInstall(want);
}

/** The guest runs bin/cr.js and the test kernel from this tree: build them if they are missing. */
export function ensureProjectBuilt(root) {
  if (!fs.existsSync(path.join(root, 'dist/bundle/cr.js'))) {
    log('dist/bundle missing: npm run build');
    execFileSync('npm', ['run', 'build'], {cwd: root, stdio: 'inherit'});
  }
  if (!fs.existsSync(path.join(root, 'test/kernel/build/libcr_testkernel.so'))) {
    log('test/kernel/build missing: make -C test/kernel');
    execFileSync('make', ['-C', 'test/kernel'], {cwd: root, stdio: 'inherit'});
  }
}

/**
 * Debian's vmlinuz is a bzImage whose payload is one xz stream; the ELF inside has a PVH note,
 * so qemu can boot it directly and skip the (slow under TCG) decompressor.
 */
function extractVmlinux(vmlinuz, out) {
  const data = fs.readFileSync(vmlinuz);
  const magic = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
  for (let i = data.indexOf(magic); i >= 0; i = data.indexOf(magic, i + 1)) {
    const r = spawnSync('xz', ['-dc', '--single-stream'], {input: data.subarray(i), maxBuffer: 1 << 30});
    if (r.status === 0 && r.stdout.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) {
      fs.writeFileSync(out, r.stdout);
      return;
    }
  }
  throw new Error(`${vmlinuz}: no xz stream holding an ELF kernel found`);
}

/** Module files (in load order) that INITRAMFS_MODULES need, from modprobe's dependency view. */
function moduleFiles(kver) {
  const files = [];
  for (const m of INITRAMFS_MODULES) {
    const out = execFileSync('modprobe', ['-S', kver, '--show-depends', m], {encoding: 'utf8'});
    for (const line of out.split('\n')) {
      const f = /^insmod (\S+)/.exec(line)?.[1];
      if (f && !files.includes(f)) files.push(f);
    }
  }
  return files;
}

function moduleBytes(file) {
  if (file.endsWith('.ko')) return fs.readFileSync(file);
  if (file.endsWith('.ko.xz')) return execFileSync('xz', ['-dc', file], {maxBuffer: 1 << 28});
  if (file.endsWith('.ko.zst')) return execFileSync('zstd', ['-dcq', file], {maxBuffer: 1 << 28});
  throw new Error(`unsupported module file ${file}`);
}

/** The INITRAMFS_MODULES in load order, uncompressed, for buildInitramfs. */
function initramfsModules(kver) {
  return moduleFiles(kver).map((f) => ({name: path.basename(f).replace(/\.(xz|zst)$/, ''), data: moduleBytes(f)}));
}

/**
 * The vmlinux and initramfs for the newest installed kernel, built into
 * CACHE/<KVER>-<hash>/ unless already there. The hash covers the kernel image, busybox and the
 * guest init files, so any change to them gives a fresh directory.
 */
export function ensureBootArtifacts(root) {
  const kver = process.env.CR_KERNEL_LANE_KVER || installedKernels()[0];
  if (!kver) throw new Error('no /boot/vmlinuz-*-amd64 with modules installed');
  const guestDir = path.join(root, 'test/vm/guest');
  const vmlinuz = `/boot/vmlinuz-${kver}`;
  const [busybox, ...scripts] = initramfsInputs(guestDir);
  const hash = sha256(
    String(LAYOUT_VERSION),
    kver,
    fileStamp(vmlinuz),
    fileStamp(busybox),
    INITRAMFS_MODULES.join(','),
    ...scripts.map((f) => fs.readFileSync(f)),
  ).slice(0, 12);
  const cacheRoot = process.env.CR_KERNEL_LANE_CACHE || '/var/cache/cr-kernel-lane';
  const dir = path.join(cacheRoot, `${kver}-${hash}`);
  const kernel = path.join(dir, 'vmlinux');
  const initrd = path.join(dir, 'initramfs.cpio.gz');
  if (fs.existsSync(kernel) && fs.existsSync(initrd)) return {kver, kernel, initrd, dir, built: false};

  const t0 = Date.now();
  fs.mkdirSync(cacheRoot, {recursive: true});
  // Build in a private directory and rename it into place: concurrent runs never see half a cache.
  const tmp = fs.mkdtempSync(path.join(cacheRoot, `.build-${kver}-`));
  try {
    extractVmlinux(vmlinuz, path.join(tmp, 'vmlinux'));
    const mods = initramfsModules(kver);
    buildInitramfs(guestDir, path.join(tmp, 'initramfs.cpio.gz'), mods);
    fs.writeFileSync(path.join(tmp, 'modules.txt'), mods.map((m) => `${m.name}\n`).join(''));
    try {
      fs.renameSync(tmp, dir);
    } catch (e) {
      if (!fs.existsSync(kernel)) throw e; // someone else finished first: use theirs
      fs.rmSync(tmp, {recursive: true, force: true});
    }
  } catch (e) {
    fs.rmSync(tmp, {recursive: true, force: true});
    throw e;
  }
  pruneCache(cacheRoot, dir);
  log(`boot artifacts built in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${dir}`);
  return {kver, kernel, initrd, dir, built: true};
}

