// Processes for end-to-end tests: the cr CLI as a subprocess, and test programs under the kernel
// the tests run against (the test kernel, or the real BLCR module: ./kernel.ts).
import {spawn, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {LIBCR_DIR, libcr, ON_BLCR, POLL_MS, scaled} from './kernel.js';
import {CR_BIN, TESTKERNEL_SO, TK_BUILD, toolBin} from './paths.js';

export interface CrRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A private rendezvous directory for the test kernel and the stand-in libcr. */
export const TK_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-tk-'));
fs.chmodSync(TK_DIR, 0o1777);

/** Environment that makes /proc/checkpoint/ctrl exist for a cr process (with BLCR it does already). */
export function kernelEnv(extra: Record<string, string> = {}): Record<string, string> {
  if (ON_BLCR) return {...extra};
  return {LD_PRELOAD: TESTKERNEL_SO, CR_TESTKERNEL_DIR: TK_DIR, ...extra};
}

/** Environment for a checkpoint target: `lib` (libcr_run by default) preloaded, where the
 *  kernel's libcr is found first (LD_LIBRARY_PATH, so `cr run` and BLCR's libcr_run find it too). */
export function targetEnv(lib: 'run' | 'omit' | 'none' = 'run'): Record<string, string> {
  const env: Record<string, string> = {LD_LIBRARY_PATH: [LIBCR_DIR, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':')};
  if (!ON_BLCR) env.CR_TESTKERNEL_DIR = TK_DIR;
  if (lib !== 'none') env.LD_PRELOAD = libcr(lib);
  return env;
}

/** Run `cr ARGS` to completion. `kernel: false` runs it with no test kernel (as on any machine). */
export function runCr(args: string[], opts: {env?: Record<string, string>; kernel?: boolean; cwd?: string; uid?: number; gid?: number; timeoutMs?: number} = {}): Promise<CrRun> {
  const env: Record<string, string> = {...(process.env as Record<string, string>), ...(opts.kernel === false ? {} : kernelEnv()), ...opts.env};
  delete env.CI;
  if (opts.kernel === false) delete env.LD_PRELOAD;
  return runProcess(process.execPath, [CR_BIN, ...args], {...opts, env});
}

/** Run cr's `cr_checkpoint`, `cr_restart` or `cr_run` ARGS to completion, as runCr does `cr`. */
export function runTool(tool: 'cr_checkpoint' | 'cr_restart' | 'cr_run', args: string[], opts: Parameters<typeof runCr>[1] = {}): Promise<CrRun> {
  const env: Record<string, string> = {...(process.env as Record<string, string>), ...(opts.kernel === false ? {} : kernelEnv()), ...opts.env};
  delete env.CI;
  if (opts.kernel === false) delete env.LD_PRELOAD;
  return runProcess(process.execPath, [toolBin(tool), ...args], {...opts, env});
}

/** Run a program to completion with output captured, killed after `timeoutMs` (30 s, scaled). */
export function runProcess(cmd: string, args: string[], opts: {env: Record<string, string>; cwd?: string; uid?: number; gid?: number; timeoutMs?: number}): Promise<CrRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {env: opts.env, cwd: opts.cwd, uid: opts.uid, gid: opts.gid, stdio: ['ignore', 'pipe', 'pipe']});
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? scaled(30_000));
    child.on('error', reject);
    let settled = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({code, signal, stdout, stderr});
    };
    child.on('close', finish);
    // A restarted job may keep the output open after the program ends: do not wait for it for long.
    child.on('exit', (code, signal) => setTimeout(() => finish(code, signal), 1000));
  });
}

/** Start `cr ARGS` and return the child, for tests that kill it midway. */
export function spawnCr(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [CR_BIN, ...args], {env: {...(process.env as Record<string, string>), ...kernelEnv(), ...env}, stdio: ['ignore', 'pipe', 'pipe']});
}

export interface Program {
  child: ChildProcess;
  pid: number;
  /** Lines the program wrote to its --out file. */
  out: string;
}

const started: ChildProcess[] = [];

/** The target program (test/kernel/counter.c). */
export const COUNTER = path.join(TK_BUILD, 'counter');

/** Start the counter (or a copy of it, `exe`) with libcr_run (or libcr_omit, or none) preloaded;
 *  waits until ready. */
export async function startCounter(args: string[] = [], opts: {lib?: 'run' | 'omit' | 'none'; env?: Record<string, string>; detached?: boolean; exe?: string; cwd?: string} = {}): Promise<Program> {
  const dir = fs.mkdtempSync(path.join(TK_DIR, 'prog-'));
  const ready = path.join(dir, 'ready');
  const out = path.join(dir, 'out');
  const env: Record<string, string> = {...(process.env as Record<string, string>), ...opts.env};
  delete env.LD_PRELOAD;
  Object.assign(env, targetEnv(opts.lib ?? 'run'));
  const child = spawn(opts.exe ?? COUNTER, ['--ready', ready, '--out', out, ...args], {env, cwd: opts.cwd, stdio: 'ignore', detached: opts.detached ?? false});
  started.push(child);
  const deadline = Date.now() + scaled(10_000);
  while (!fs.existsSync(ready)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`counter ${args.join(' ')} did not become ready`);
    await sleep(POLL_MS);
  }
  return {child, pid: child.pid!, out};
}

/** Kill every program the tests started (and their children, which share a process group or tree). */
export function killAll(): void {
  for (const c of started.splice(0)) {
    for (const pid of descendants(c.pid!)) tryKill(pid);
    tryKill(c.pid!);
  }
}

export function tryKill(pid: number, sig: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Pids whose parent chain leads to `pid`. */
export function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [c, pp] of parent) if (pp === p) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** The one-letter state of a process (R, S, T, Z...), or undefined when it is gone. */
export function procState(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/** Wait until `pred` holds, or fail after `ms` (scaled for the kernel). */
export async function waitFor(pred: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + scaled(ms);
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(POLL_MS);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fresh temporary directory per test, removed afterwards together with every program started. */
export function scratchDir(prefix: string): {readonly path: string} {
  const state = {path: ''};
  beforeEach(() => {
    state.path = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  afterEach(() => {
    killAll();
    fs.rmSync(state.path, {recursive: true, force: true});
  });
  return state;
}
