// `cr run`: start a program with BLCR's libcr_run (or libcr_omit) preloaded, by exec, as cr_run does.
import fs from 'node:fs';
import path from 'node:path';
import {execProgram} from '../../abi/process.js';
import {CrError, E} from '../../errors/index.js';

export const LIBCR_RUN = 'libcr_run.so.0';
export const LIBCR_OMIT = 'libcr_omit.so.0';

/** Directories ld.so searches after LD_LIBRARY_PATH and its cache (x86_64 Debian and others). */
const DEFAULT_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib'];
const LIBCR_RE = /(^|\/)lib(cr_run|cr_omit)\.so(\.\d+)*$/;

/** The new LD_PRELOAD: `lib` first, earlier libcr_run/libcr_omit entries removed, others kept. */
export function preloadWith(lib: string, current: string | undefined): string {
  const kept = (current ?? '').split(/[\s:]+/).filter((e) => e.length > 0 && !LIBCR_RE.test(e));
  return [lib, ...kept].join(' ');
}

/** Paths recorded in /etc/ld.so.cache that end in `/name` (the cache's string table holds full paths). */
function fromLdCache(name: string, cache = '/etc/ld.so.cache'): string[] {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(cache);
  } catch {
    return [];
  }
  const found: string[] = [];
  const needle = Buffer.from(`/${name}\0`);
  for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) {
    const start = bytes.lastIndexOf(0, at) + 1;
    found.push(bytes.toString('utf8', start, at + needle.length - 1));
  }
  return found;
}

/** Where the dynamic linker would find `name`: LD_LIBRARY_PATH, ld.so.cache, default directories. */
export function findLibrary(name: string, env: NodeJS.ProcessEnv = process.env): {path?: string; searched: string[]} {
  const dirs = (env.LD_LIBRARY_PATH ?? '').split(/[:;]/).filter((d) => d.length > 0);
  const searched = [...dirs, '/etc/ld.so.cache', ...DEFAULT_DIRS];
  for (const d of dirs) if (fs.existsSync(path.join(d, name))) return {path: path.join(d, name), searched};
  for (const p of fromLdCache(name)) if (fs.existsSync(p)) return {path: p, searched};
  for (const d of DEFAULT_DIRS) if (fs.existsSync(path.join(d, name))) return {path: path.join(d, name), searched};
  return {searched};
}

export interface RunPlan {
  file: string;
  argv: string[];
  env: Record<string, string>;
}

/** Work out what to exec; throws a clear error when the library cannot be found. */
export function planRun(program: string, args: string[], omit: boolean, env: NodeJS.ProcessEnv = process.env): RunPlan {
  const lib = omit ? LIBCR_OMIT : LIBCR_RUN;
  const where = findLibrary(lib, env);
  if (!where.path) {
    throw new CrError(`cr run: ${lib} not found where the dynamic linker looks (${where.searched.join(', ')}); install BLCR's libcr or add its directory to LD_LIBRARY_PATH`, {
      exitCode: E.ENOENT,
      code: 'ENOENT',
    });
  }
  const next = {...env, LD_PRELOAD: preloadWith(lib, env.LD_PRELOAD)} as Record<string, string>;
  return {file: program, argv: [program, ...args], env: next};
}

/** Exec `program` with libcr_run (or libcr_omit) preloaded; returns only by throwing. */
export function runProgram(program: string, args: string[], omit: boolean): never {
  const plan = planRun(program, args, omit);
  return execProgram(plan.file, plan.argv, plan.env);
}
