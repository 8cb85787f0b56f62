// A throw-away Slurm cluster for tests: munged, slurmctld and one slurmd on this host, configured in a
// temporary directory (SLURM_CONF), proctrack/linuxproc and no cgroup plugins; stopped and removed after.
import {execFileSync, spawn, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {sleep} from './procs.js';

export const SLURM_TOOLS = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'scontrol', 'scancel', 'sinfo'];

/** The Slurm and munge programs that are not installed (empty: a cluster can be started). */
export function missingSlurmTools(): string[] {
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin']);
  return SLURM_TOOLS.filter((t) => !dirs.some((d) => fs.existsSync(path.join(d, t))));
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });

export class SlurmCluster {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-slurm-'));
  readonly conf = path.join(this.dir, 'slurm.conf');
  readonly node = os.hostname().split('.')[0];
  private daemons: ChildProcess[] = [];

  /** Environment for Slurm's client commands. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {...(process.env as Record<string, string>), SLURM_CONF: this.conf, ...extra};
  }

  run(cmd: string, args: string[], extra: Record<string, string> = {}): string {
    return execFileSync(cmd, args, {env: this.env(extra), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']});
  }

  async start(): Promise<void> {
    const sock = path.join(this.dir, 'munge.socket');
    const key = path.join(this.dir, 'munge.key');
    fs.writeFileSync(key, Buffer.alloc(1024, 0).map(() => Math.floor(Math.random() * 256)), {mode: 0o400});
    for (const d of ['state', 'spool']) fs.mkdirSync(path.join(this.dir, d));
    execFileSync('munged', ['--force', `--socket=${sock}`, `--key-file=${key}`, `--pid-file=${this.dir}/munged.pid`, `--log-file=${this.dir}/munged.log`, `--seed-file=${this.dir}/munged.seed`], {stdio: 'ignore'});
    const [ctld, slurmd] = [await freePort(), await freePort()];
    fs.writeFileSync(
      this.conf,
      [
        'ClusterName=crtest',
        `SlurmctldHost=${this.node}(127.0.0.1)`,
        'SlurmUser=root',
        'SlurmdUser=root',
        `SlurmctldPort=${ctld}`,
        `SlurmdPort=${slurmd}`,
        'AuthType=auth/munge',
        'CredType=cred/munge',
        `AuthInfo=socket=${sock}`,
        `StateSaveLocation=${this.dir}/state`,
        `SlurmdSpoolDir=${this.dir}/spool`,
        `SlurmctldPidFile=${this.dir}/slurmctld.pid`,
        `SlurmdPidFile=${this.dir}/slurmd.pid`,
        `SlurmctldLogFile=${this.dir}/slurmctld.log`,
        `SlurmdLogFile=${this.dir}/slurmd.log`,
        'ProctrackType=proctrack/linuxproc',
        'TaskPlugin=task/none',
        'JobAcctGatherType=jobacct_gather/none',
        'AccountingStorageType=accounting_storage/none',
        'JobCompType=jobcomp/none',
        'SelectType=select/linear',
        'SchedulerType=sched/builtin',
        'SwitchType=switch/none',
        'MpiDefault=none',
        'ReturnToService=2',
        'JobRequeue=1',
        'KillWait=2',
        'MinJobAge=300',
        `NodeName=${this.node} NodeAddr=127.0.0.1 CPUs=1 State=UNKNOWN`,
        `PartitionName=test Nodes=${this.node} Default=YES MaxTime=INFINITE State=UP`,
        '',
      ].join('\n'),
    );
    for (const [prog, args] of [
      ['slurmctld', ['-D', '-c', '-f', this.conf]],
      ['slurmd', ['-D', '-f', this.conf, '-N', this.node]],
    ] as const) {
      const child = spawn(prog, [...args], {env: this.env(), stdio: 'ignore', detached: true});
      child.on('error', () => {});
      this.daemons.push(child);
    }
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        if (/idle/.test(this.run('sinfo', ['-h', '-o', '%T']))) return;
      } catch {
        // the controller is not up yet
      }
      if (Date.now() > deadline) throw new Error(`the Slurm test cluster did not come up:\n${this.logs()}`);
      await sleep(200);
    }
  }

  /** The daemons' logs (for failure messages). */
  logs(): string {
    return ['slurmctld.log', 'slurmd.log', 'munged.log']
      .map((f) => {
        const p = path.join(this.dir, f);
        return fs.existsSync(p) ? `--- ${f}\n${fs.readFileSync(p, 'utf8').split('\n').slice(-30).join('\n')}` : '';
      })
      .join('\n');
  }

  /** `scontrol show job ID` as key=value pairs. */
  job(id: string): Record<string, string> {
    const text = this.run('scontrol', ['show', 'job', '-o', id]);
    return Object.fromEntries([...text.matchAll(/(\w+)=(\S*)/g)].map((m) => [m[1], m[2]]));
  }

  async stop(): Promise<void> {
    for (const d of this.daemons) {
      try {
        process.kill(d.pid!, 'SIGTERM');
      } catch {
        // gone
      }
    }
    const exited = (d: ChildProcess) => (d.exitCode !== null || d.signalCode !== null ? Promise.resolve() : new Promise((r) => d.once('exit', r)));
    await Promise.race([Promise.all(this.daemons.map(exited)), sleep(10_000)]);
    for (const d of this.daemons) if (d.exitCode === null && d.signalCode === null) process.kill(d.pid!, 'SIGKILL');
    try {
      const pid = Number(fs.readFileSync(path.join(this.dir, 'munged.pid'), 'utf8'));
      if (pid > 0) {
        process.kill(pid, 'SIGTERM');
        for (let i = 0; i < 100 && fs.existsSync(`/proc/${pid}`); i++) await sleep(50);
      }
    } catch {
      // gone
    }
    fs.rmSync(this.dir, {recursive: true, force: true, maxRetries: 5, retryDelay: 200});
  }
}
