// Kernel lane, host side: small helpers both kernels' artifacts use (packages, hashing, the
// artifact caches under /var/cache).
import {execFileSync, spawnSync} from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const log = (msg) => process.stderr.write(`test:kernel: ${msg}\n`);

export function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], {stdio: 'ignore'}).status === 0;
}

export function dpkgInstalled(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], {encoding: 'utf8'});
  return r.status === 0 && r.stdout.includes('install ok installed');
}

/** apt-get install the packages in `want` (nothing when empty). */
export function aptInstall(want) {
  if (want.length === 0) return;
  log(`installing ${want.join(' ')}`);
  const env = {...process.env, DEBIAN_FRONTEND: 'noninteractive'};
  execFileSync('apt-get', ['update', '-qq'], {stdio: 'inherit', env});
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
