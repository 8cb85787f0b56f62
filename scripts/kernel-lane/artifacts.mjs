// Kernel lane, host side, Debian's kernel: the packages the lane needs, the project build, and
// the boot artifacts (the uncompressed vmlinux and a small initramfs), cached per kernel and
// guest-init version. The kernel and busybox-static are only needed as files: their packages are
// downloaded and unpacked into the cache, never installed on this machine.
import {execFileSync, spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {aptCandidate, aptInstall, busyboxFile, debFiles, fileStamp, have, log, pruneCache, sha256} from './host.mjs';
import {buildInitramfs, initramfsInputs} from './initramfs.mjs';

// Modules stage 1 loads before it can mount anything (their dependencies come from modprobe).
const INITRAMFS_MODULES = ['virtio_pci', '9pnet_virtio', '9p', 'overlay'];
// Bump when the initramfs layout built below changes (the init scripts are hashed anyway).
const LAYOUT_VERSION = 1;

const cacheRoot = () => process.env.CR_KERNEL_LANE_CACHE || '/var/cache/cr-kernel-lane';

/**
 * The kernel's files: Debian's image package (the one linux-image-amd64 depends on, or
 * linux-image-$CR_KERNEL_LANE_KVER) unpacked into the cache, with depmod run over its modules
 * (the package leaves that to its postinst). Returns {kver, root, vmlinuz, modules}.
 */
function kernelFiles() {
  let pkg = process.env.CR_KERNEL_LANE_KVER ? `linux-image-${process.env.CR_KERNEL_LANE_KVER}` : '';
  if (!pkg) {
    aptCandidate('linux-image-amd64'); // updates apt's lists once if they do not know it
    const r = spawnSync('apt-cache', ['depends', 'linux-image-amd64'], {encoding: 'utf8'});
    pkg = /Depends: (linux-image-\S+-amd64)$/m.exec(r.status === 0 ? r.stdout : '')?.[1] ?? '';
    if (!pkg) throw new Error('apt-cache depends linux-image-amd64 names no linux-image-*-amd64 package');
  }
  const kver = pkg.slice('linux-image-'.length);
  const root = debFiles(cacheRoot(), pkg, (r) => execFileSync('depmod', ['-b', r, kver], {stdio: 'inherit'}));
  const vmlinuz = path.join(root, 'boot', `vmlinuz-${kver}`);
  const modules = path.join(root, 'lib', 'modules', kver);
  for (const f of [vmlinuz, path.join(modules, 'modules.dep')]) {
    if (!fs.existsSync(f)) throw new Error(`${pkg} unpacked into ${root} has no ${path.relative(root, f)}`);
  }
  return {kver, root, vmlinuz, modules};
}

/**
 * apt-get install the tools this machine itself runs (the runner, and the guest, which runs this
 * machine's userland) when missing; CI machines start clean. The kernel and busybox are not
 * installed: see kernelFiles and host.mjs's busyboxFile.
 */
export function ensurePackages() {
  const want = [];
  if (!have('qemu-system-x86_64')) want.push('qemu-system-x86');
  if (!have('xz')) want.push('xz-utils');
  if (!have('modprobe') || !have('depmod')) want.push('kmod');
  if (!have('dpkg-deb')) want.push('dpkg');
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
function moduleFiles(k) {
  const files = [];
  for (const m of INITRAMFS_MODULES) {
    const out = execFileSync('modprobe', ['-d', k.root, '-S', k.kver, '--show-depends', m], {encoding: 'utf8'});
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
function initramfsModules(k) {
  return moduleFiles(k).map((f) => ({name: path.basename(f).replace(/\.(xz|zst)$/, ''), data: moduleBytes(f)}));
}

/**
 * The vmlinux and initramfs for Debian's kernel package, built into CACHE/<KVER>-<hash>/ unless
 * already there. The hash covers the kernel image, busybox and the guest init files, so any
 * change to them gives a fresh directory. `modules` is the unpacked package's modules directory,
 * which the guest (seeing this machine's / read-only) binds at /lib/modules/KVER.
 */
export function ensureBootArtifacts(root) {
  const k = kernelFiles();
  const {kver, vmlinuz} = k;
  const guestDir = path.join(root, 'test/vm/guest');
  const [busybox, ...scripts] = initramfsInputs(guestDir, busyboxFile(cacheRoot()));
  const hash = sha256(
    String(LAYOUT_VERSION),
    kver,
    fileStamp(vmlinuz),
    fileStamp(busybox),
    INITRAMFS_MODULES.join(','),
    ...scripts.map((f) => fs.readFileSync(f)),
  ).slice(0, 12);
  const cache = cacheRoot();
  const dir = path.join(cache, `${kver}-${hash}`);
  const kernel = path.join(dir, 'vmlinux');
  const initrd = path.join(dir, 'initramfs.cpio.gz');
  const found = {kver, kernel, initrd, dir, modules: k.modules};
  if (fs.existsSync(kernel) && fs.existsSync(initrd)) return {...found, built: false};

  const t0 = Date.now();
  fs.mkdirSync(cache, {recursive: true});
  // Build in a private directory and rename it into place: concurrent runs never see half a cache.
  const tmp = fs.mkdtempSync(path.join(cache, `.build-${kver}-`));
  try {
    extractVmlinux(vmlinuz, path.join(tmp, 'vmlinux'));
    const mods = initramfsModules(k);
    buildInitramfs(guestDir, path.join(tmp, 'initramfs.cpio.gz'), mods, busybox);
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
  pruneCache(cache, dir);
  log(`boot artifacts built in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${dir}`);
  return {...found, built: true};
}

