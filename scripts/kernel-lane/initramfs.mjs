// Kernel lane, host side: the guest's initramfs (busybox-static, the stage 1 and 2 scripts of
// test/vm/guest and any modules stage 1 has to load), built in memory as a newc cpio archive.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

/** Busybox applets stage 1 (test/vm/guest/init) uses. */
const APPLETS = ['sh', 'mount', 'mkdir', 'insmod', 'switch_root', 'echo', 'cat', 'cp', 'dd', 'printf', 'poweroff', 'sleep', 'grep', 'ln', 'readlink'];

/** A newc cpio archive (what the kernel unpacks as initramfs). */
class Cpio {
  constructor() {
    this.parts = [];
    this.ino = 1;
  }
  add(name, mode, data = Buffer.alloc(0), rdev = [0, 0]) {
    const nameBuf = Buffer.from(`${name}\0`);
    const fields = [this.ino++, mode, 0, 0, 1, 0, data.length, 0, 0, rdev[0], rdev[1], nameBuf.length, 0];
    const header = Buffer.from(`070701${fields.map((f) => f.toString(16).padStart(8, '0')).join('')}`);
    const pad = (n) => Buffer.alloc((4 - (n % 4)) % 4);
    this.parts.push(header, nameBuf, pad(header.length + nameBuf.length), data, pad(data.length));
  }
  dir(name) {
    this.add(name, 0o040755);
  }
  file(name, data, perm = 0o644) {
    this.add(name, 0o100000 | perm, data);
  }
  symlink(name, target) {
    this.add(name, 0o120777, Buffer.from(target));
  }
  chardev(name, major, minor) {
    this.add(name, 0o020600, Buffer.alloc(0), [major, minor]);
  }
  finish() {
    this.add('TRAILER!!!', 0);
    return Buffer.concat(this.parts);
  }
}

/** The files the initramfs is made of (for cache keys). busybox: a static busybox binary. */
export function initramfsInputs(guestDir, busybox = '/bin/busybox') {
  return [fs.realpathSync(busybox), path.join(guestDir, 'init'), path.join(guestDir, 'stage2')];
}

/**
 * Write the gzipped initramfs to `out`. modules: [{name, data}] in load order (stage 1 insmods
 * them from /modules, listed in /modules/order). busybox: the static busybox to put in.
 */
export function buildInitramfs(guestDir, out, modules = [], busybox = '/bin/busybox') {
  const c = new Cpio();
  for (const d of ['bin', 'dev', 'proc', 'sys', 'lower', 'rw', 'newroot', 'modules']) c.dir(d);
  c.chardev('dev/console', 5, 1);
  c.chardev('dev/null', 1, 3);
  c.file('bin/busybox', fs.readFileSync(fs.realpathSync(busybox)), 0o755);
  for (const a of APPLETS) c.symlink(`bin/${a}`, 'busybox');
  for (const m of modules) c.file(`modules/${m.name}`, m.data);
  c.file('modules/order', Buffer.from(modules.map((m) => `${m.name}\n`).join('')));
  c.file('init', fs.readFileSync(path.join(guestDir, 'init')), 0o755);
  c.file('stage2', fs.readFileSync(path.join(guestDir, 'stage2')), 0o755);
  fs.writeFileSync(out, zlib.gzipSync(c.finish(), {level: 1}));
}
