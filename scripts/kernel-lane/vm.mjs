// Kernel lane, host side: run one scenario in its own qemu VM, bounded in time, and collect
// what the guest left in the job dir.
import {spawn} from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const READY_MARKER = 'CRVM_READY';
// Host-side grace over the scenario's limit: the guest's own timeout fires first and still has
// time to save a dmesg tail and power off (on a loaded machine that alone has taken over 20 s);
// past this the guest is taken as wedged and qemu dies.
export const HOST_GRACE_S = 60;

/** Scenario header comments: `# timeout: 300` (seconds), `# mem: 3072` (MiB of guest RAM). */
export function readHeader(file) {
  const header = {};
  for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(0, 30)) {
    const m = /^#\s*(timeout|mem|cpus)\s*:\s*(\S+)/.exec(line);
    if (m) header[m[1]] = m[2];
  }
  return header;
}

// The serial stream: CRLF line ends and a few terminal escapes from the firmware.
const clean = (s) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[c()][0-9A-Za-z]?/g, '').replace(/\r/g, '');

const readIf = (f) => {
  try {
    return fs.readFileSync(f, 'utf8');
  } catch {
    return undefined;
  }
};

/** The lines of the guest's whole kernel log (dmesg.full) that match one of `patterns`. */
function dmesgHits(text, patterns) {
  if (!patterns.length || text === undefined) return [];
  return text.split('\n').filter((l) => patterns.some((p) => p.test(l)));
}

/**
 * Boot a VM for one scenario and wait for it.
 * opts: {name, file, jobDir, root, artifacts ({kernel, initrd}), kernel ('debian'|'blcr'),
 *        bins (CRVM_BINS entries), guestEnv (extra /job/env lines), seedEntropy (bool),
 *        dmesgFailures (regexps no line of the VM's kernel log may match), timeoutS, bootLimitS,
 *        memMiB, cpus, guestTimeout (bool)}
 * Returns {name, ok, reason, rc, bootS, runS, output, dmesg, dmesgHits, console, jobDir}.
 */
export function runVm(opts) {
  const {name, file, jobDir, root, artifacts, timeoutS, bootLimitS, memMiB = 1536, cpus = 1, dmesgFailures = []} = opts;
  fs.mkdirSync(path.join(jobDir, 'bg'), {recursive: true});
  fs.copyFileSync(file, path.join(jobDir, 'scenario.sh'));
  const env = [
    `CR_ROOT='${root}'`,
    `CR_SCENARIO='${name}'`,
    `CR_TIMEOUT=${timeoutS}`,
    `CRVM_KERNEL=${opts.kernel ?? 'debian'}`,
    `CRVM_BINS='${(opts.bins ?? []).join(' ')}'`,
    ...(opts.guestEnv ?? []),
    ...(opts.guestTimeout === false ? ['CRVM_NO_GUEST_TIMEOUT=1'] : []),
  ];
  fs.writeFileSync(path.join(jobDir, 'env'), `${env.join('\n')}\n`);
  if (opts.seedEntropy) fs.writeFileSync(path.join(jobDir, '.seed'), crypto.randomBytes(512), {mode: 0o600});

  const args = [
    '-accel', 'tcg,thread=multi', '-cpu', 'max', '-smp', String(cpus), '-m', String(memMiB),
    '-M', 'pc', '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-serial', 'stdio', '-monitor', 'none',
    '-kernel', artifacts.kernel, '-initrd', artifacts.initrd,
    '-append', 'console=ttyS0 quiet loglevel=3 panic=-1 rdinit=/init',
    '-virtfs', 'local,path=/,mount_tag=root,security_model=none,readonly=on,multidevs=remap',
    '-virtfs', `local,path=${jobDir},mount_tag=job,security_model=none`,
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x01',
  ];

  return new Promise((resolve) => {
    const t0 = Date.now();
    let tReady;
    let consoleText = '';
    let killedFor;
    const consoleLog = fs.openSync(path.join(jobDir, 'console.log'), 'w');
    const qemu = spawn('qemu-system-x86_64', args, {stdio: ['ignore', 'pipe', 'pipe']});
    const kill = (why) => {
      if (killedFor || qemu.exitCode !== null) return;
      killedFor = why;
      qemu.kill('SIGKILL');
    };
    const onData = (buf) => {
      fs.writeSync(consoleLog, buf);
      consoleText += clean(buf.toString('latin1'));
      if (consoleText.length > 4e6) consoleText = consoleText.slice(-2e6);
      if (tReady === undefined && consoleText.includes(READY_MARKER)) {
        tReady = Date.now();
        clearTimeout(bootTimer);
        runTimer = setTimeout(() => kill('run'), (timeoutS + HOST_GRACE_S) * 1000);
      }
    };
    qemu.stdout.on('data', onData);
    qemu.stderr.on('data', onData);
    const bootTimer = setTimeout(() => kill('boot'), bootLimitS * 1000);
    let runTimer;
    let done = false;
    qemu.on('error', (e) => {
      // spawn failures get no 'close'
      consoleText += `\n(qemu-system-x86_64: ${e.message})\n`;
      if (qemu.pid === undefined) finish(null, null);
    });
    qemu.on('close', (code, signal) => finish(code, signal));
    function finish(code, signal) {
      if (done) return;
      done = true;
      clearTimeout(bootTimer);
      clearTimeout(runTimer);
      fs.closeSync(consoleLog);
      const tEnd = Date.now();
      const bootS = ((tReady ?? tEnd) - t0) / 1000;
      const runS = tReady === undefined ? 0 : (tEnd - tReady) / 1000;
      const rcText = readIf(path.join(jobDir, 'rc'));
      const rc = rcText === undefined ? undefined : Number(rcText.trim());
      const guestReason = readIf(path.join(jobDir, 'reason'))?.trim();
      let reason;
      if (killedFor === 'boot') reason = `no ready marker within the ${bootLimitS} s boot limit: qemu killed`;
      else if (killedFor === 'run') reason = `still running ${timeoutS + HOST_GRACE_S} s after ready (limit ${timeoutS} s + ${HOST_GRACE_S} s grace): qemu killed`;
      else if (guestReason === 'timeout') reason = `timed out: killed in the guest at its ${timeoutS} s limit (status ${rc})`;
      else if (rc === undefined) {
        const fatal = /CRVM_FATAL [^\n]*/.exec(consoleText)?.[0];
        reason = fatal ?? `VM ended without a status (qemu exit ${code ?? signal})`;
      } else if (rc !== 0) reason = `exit status ${rc}`;
      const dmesgFull = readIf(path.join(jobDir, 'dmesg.full'));
      const hits = dmesgHits(dmesgFull, dmesgFailures);
      if (hits.length) {
        const what = `kernel log holds ${hits.length} unacceptable line(s), first: ${hits[0].replace(/^\[[ \d.]+\]\s*/, '')}`;
        reason = reason === undefined ? what : `${reason}; ${what}`;
      } else if (reason === undefined && dmesgFailures.length && dmesgFull === undefined) {
        reason = 'the guest saved no dmesg.full (the kernel log check could not run)';
      }
      resolve({
        name,
        ok: reason === undefined,
        reason,
        rc,
        bootS,
        runS,
        output: readIf(path.join(jobDir, 'output')),
        dmesg: readIf(path.join(jobDir, 'dmesg')),
        dmesgHits: hits,
        console: consoleText,
        jobDir,
      });
    }
  });
}
