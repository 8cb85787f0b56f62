// npm run bench, BLCR section: runs test/vm/blcr-bench in the BLCR lane's guest (through the one
// VM runner, scripts/test-kernel.mjs) and prints the medians and ratios the scenario measured.
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export async function benchBlcr(root) {
  console.log('');
  if (process.getuid?.() !== 0) {
    console.log('BLCR module benchmark: skipped (needs root for the VM lane; BENCH_BLCR=0 hides this line)');
    return;
  }
  const r = spawnSync(process.execPath, [path.join(root, 'scripts/test-kernel.mjs'), '--kernel', 'blcr', '--scenarios', 'test/vm/blcr-bench', '--keep'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']});
  const kept = /job dirs kept under (\S+)/.exec(r.stdout ?? '')?.[1];
  if (r.status !== 0 || !kept) {
    process.stdout.write(r.stdout ?? '');
    throw new Error(`BLCR module benchmark failed (exit ${r.status})`);
  }
  const results = JSON.parse(fs.readFileSync(path.join(kept, 'ckpt-1gib', 'bench.json'), 'utf8'));
  console.log(`BLCR 0.8.6_b4 on Linux 3.10 under qemu (TCG): a ${results.mib} MiB target, ${results.rounds} interleaved rounds, median wall time`);
  console.log('');
  console.log('| operation | median s | samples |');
  console.log('|---|---:|---:|');
  for (const [k, v] of Object.entries(results.median_s)) console.log(`| ${k} | ${v.toFixed(2)} | ${results.samples[k].length} |`);
  console.log('');
  for (const [k, v] of Object.entries(results.ratios)) console.log(`ratio ${k}: ${v.toFixed(2)}x (goal <= 1.10x)`);
  fs.rmSync(kept, {recursive: true, force: true});
}
