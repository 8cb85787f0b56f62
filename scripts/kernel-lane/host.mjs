// Kernel lane, host side: small helpers both kernels' artifacts use (packages installed, or only
// downloaded and unpacked; hashing; the artifact caches under /var/cache).
import {execFileSync, spawnSync} from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const log = (msg) => process.stderr.write(`test:kernel: ${msg}\n`);

export function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], {stdio: 'ignore'}).status === 0;
}

/** apt-cache's candidate version of `pkg`, or '' (after one `apt-get update` if the lists lack it). */
let aptUpdated = false;
export function aptCandidate(pkg) {
  for (;;) {
    const r = spawnSync('apt-cache', ['show', '--no-all-versions', pkg], {encoding: 'utf8'});
    const v = r.status === 0 ? /^Version: (\S+)$/m.exec(r.stdout)?.[1] : undefined;
    if (v || aptUpdated) return v ?? '';
    aptUpdate();
  }
}

function aptUpdate() {
  execFileSync('apt-get', ['update', '-qq'], {stdio: 'inherit', env: {...process.env, DEBIAN_FRONTEND: 'noninteractive'}});
  aptUpdated = true;
}

/**
 * The files of Debian package `pkg` (the candidate version), without installing it:
 * `apt-get download` + `dpkg-deb -x` into CACHE/deb-<pkg>_<version>/root, once. `prepare(root)`
 * runs on the fresh tree before it is renamed into place (e.g. depmod). Returns the root.
 */
export function debFiles(cacheRoot, pkg, prepare = () => {}) {
  const version = aptCandidate(pkg);
  if (!version) throw new Error(`apt-cache knows no package ${pkg}`);
  const dir = path.join(cacheRoot, `deb-${pkg}_${version.replace(/[^A-Za-z0-9.+~-]/g, '_')}`);
  const root = path.join(dir, 'root');
  if (fs.existsSync(root)) {
    touchArtifacts(dir);
    return root;
  }
  fs.mkdirSync(cacheRoot, {recursive: true});
  const tmp = fs.mkdtempSync(path.join(cacheRoot, `.deb-${pkg}-`));
  try {
    log(`downloading ${pkg} ${version} (files only, not installed)`);
    // (As root into a private directory: no sandbox user, who could not write there.)
    execFileSync('apt-get', ['download', '-qq', '-o', 'APT::Sandbox::User=root', `${pkg}=${version}`], {cwd: tmp, stdio: 'inherit'});
    const deb = fs.readdirSync(tmp).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${pkg}=${version} left no .deb`);
    execFileSync('dpkg-deb', ['-x', path.join(tmp, deb), path.join(tmp, 'root')], {stdio: 'inherit'});
    fs.rmSync(path.join(tmp, deb));
    prepare(path.join(tmp, 'root'));
    try {
      fs.renameSync(tmp, dir);
    } catch (e) {
      if (!fs.existsSync(root)) throw e; // a concurrent run finished first: use theirs
      fs.rmSync(tmp, {recursive: true, force: true});
    }
  } catch (e) {
    fs.rmSync(tmp, {recursive: true, force: true});
    throw e;
  }
  return root;
}

/** busybox-static's binary (for the initramfs), its package unpacked into cacheRoot, not installed. */
export function busyboxFile(cacheRoot) {
  const f = path.join(debFiles(cacheRoot, 'busybox-static'), 'bin', 'busybox');
  if (!fs.existsSync(f)) throw new Error(`busybox-static unpacked into ${cacheRoot} has no bin/busybox`);
  return f;
}

/** apt-get install the packages in `want` (nothing when empty). */
export function aptInstall(want) {
  if (want.length === 0) return;
  log(`installing ${want.join(' ')}`);
  const env = {...process.env, DEBIAN_FRONTEND: 'noninteractive'};
  if (!aptUpdated) aptUpdate();
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...want], {stdio: 'inherit', env});
}

export function sha256(...parts) {
  const h = crypto.createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
}

/** "path:size:mtime" of a file, for cache keys over files too big to hash on every run. */
export function fileStamp(f) {
  const s = fs.statSync(f);
  return `${f}:${s.size}:${s.mtimeMs}`;
}

/** Drop cache entries (files or directories) under cacheRoot not used for a week, except `keep`. */
export function pruneCache(cacheRoot, keep) {
  const weekAgo = Date.now() - 7 * 24 * 3600 * 1000;
  for (const name of fs.readdirSync(cacheRoot)) {
    const p = path.join(cacheRoot, name);
    if (p === keep) continue;
    try {
      if (fs.statSync(p).mtimeMs < weekAgo) fs.rmSync(p, {recursive: true, force: true});
    } catch {
      // gone already
    }
  }
}

/** Mark a cache entry as used (keeps it from being pruned). */
export function touchArtifacts(dir) {
  const now = new Date();
  fs.utimesSync(dir, now, now);
}
