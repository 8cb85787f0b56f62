#!/usr/bin/env node
// npm run bench (dm-log part), or alone: node scripts/bench-dmlog.mjs (after npm run build, as root).
// Throughput and latency of `cr dmlog serve` through the real netlink connector socket: a stand-in
// kernel (test/helpers/standin-kernel.ts) multicasts MARK_REGION / CLEAR_REGION / FLUSH cycles to a
// `cr dmlog serve --peer-port` subprocess and takes its replies.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => path.join(root, 'dist', p);

export async function benchDmlog({requests = Number(process.env.BENCH_DMLOG_REQUESTS ?? 200_000), window = Number(process.env.BENCH_DMLOG_WINDOW ?? 64), latencySamples = Number(process.env.BENCH_DMLOG_LATENCY ?? 20_000)} = {}) {
  if (process.getuid() !== 0) {
    console.log('dm-log server benchmark skipped: needs root (connector group 7)');
    return undefined;
  }
  const {POLL, pollOne, ULOG, CN, NL} = await import(dist('src/abi/index.js'));
  const {UlogType: T} = await import(dist('src/storage/dmlog/protocol.js'));
  const {StandinKernel, buildRequest, GROUP_7} = await import(dist('test/helpers/standin-kernel.js'));
  const {startServe} = await import(dist('test/helpers/dmlog-serve.js'));

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-bench-dmlog-'));
  const kernel = new StandinKernel();
  const serve = await startServe({socket: path.join(work, 'ctl.sock'), peerPort: kernel.port});
  const uuid = 'LVM-bench-0001';
  try {
    for (const f of [{type: T.CTR, data: '2097152 clustered-core 1024'}, {type: T.RESUME}]) {
      const r = await kernel.request({...f, uuid, luid: 1n});
      if (r.error !== 0) throw new Error(`setup request ${f.type} failed: ${r.error}`);
    }
    await kernel.stopPump(); // from here on the bench drives the socket itself: no per-reply promises
    const k = kernel.sock;
    const region = Buffer.alloc(8);
    region.writeBigUInt64LE(5n);
    // The cycle, prebuilt; each send rewrites the seqs in place.
    const cycle = [T.MARK_REGION, T.CLEAR_REGION, T.FLUSH].map((type) => buildRequest({type, uuid, luid: 1n, seq: 0, data: type === T.FLUSH ? undefined : region}));
    let seq = 1000;
    const send = () => {
      const d = cycle[seq % 3];
      d.writeUInt32LE(seq, NL.SEQ);
      d.writeUInt32LE(seq, CN.SEQ);
      d.writeUInt32LE(seq, ULOG.SEQ);
      seq++;
      for (;;) {
        const n = k.send(d, d.length, 0, GROUP_7);
        if (n === d.length) return;
        if (n !== -11) throw new Error(`sendto: ${n}`);
      }
    };
    const rbuf = Buffer.alloc(4096);
    let failures = 0;
    /** Read every queued reply; returns how many. */
    const drain = () => {
      let got = 0;
      for (;;) {
        const n = k.recv(rbuf);
        if (n === -11) return got;
        if (n < 0) continue;
        if (rbuf.readInt32LE(ULOG.ERROR) !== 0 || rbuf.readUInt16LE(CN.LEN) === 0) failures++;
        got++;
      }
    };

    // Throughput: keep `window` requests outstanding.
    let sent = 0;
    let done = 0;
    const t0 = process.hrtime.bigint();
    while (sent < window && sent < requests) {
      send();
      sent++;
    }
    while (done < requests) {
      const rev = await pollOne(k.fd, POLL.IN, 2000);
      if (!rev) throw new Error(`no replies for 2 s after ${done} of ${requests}`);
      const got = drain();
      done += got;
      for (let i = 0; i < got && sent < requests; i++, sent++) send();
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const rate = requests / seconds;

    // Latency: one request outstanding.
    const lat = new Float64Array(latencySamples);
    for (let i = 0; i < latencySamples; i++) {
      const s = process.hrtime.bigint();
      send();
      let got = 0;
      while (got === 0) {
        got = drain();
        if (got === 0) await pollOne(k.fd, POLL.IN, 2000);
      }
      lat[i] = Number(process.hrtime.bigint() - s) / 1e6;
    }
    lat.sort();
    const p50 = lat[Math.floor(latencySamples * 0.5)];
    const p99 = lat[Math.floor(latencySamples * 0.99)];
    const max = lat[latencySamples - 1];
    const status = JSON.parse((await import('node:child_process')).execFileSync(process.execPath, [path.join(root, 'bin', 'cr.js'), 'dmlog', 'status', '--json', '--socket', path.join(work, 'ctl.sock')], {encoding: 'utf8'}));
    console.log('');
    console.log(`cr dmlog serve through the netlink connector (stand-in kernel, MARK_REGION/CLEAR_REGION/FLUSH cycles, node ${process.version}, ${os.cpus().length} cores):`);
    console.log('');
    console.log('| measure | figure | goal |');
    console.log('|---|---:|---|');
    console.log(`| throughput, window ${window}, ${requests} requests | ${Math.round(rate)} requests/s | >= 50000 requests/s ${rate >= 50_000 ? '(met)' : '(MISSED)'} |`);
    console.log(`| latency p50, one outstanding, ${latencySamples} requests | ${(p50 * 1000).toFixed(0)} us | |`);
    console.log(`| latency p99 | ${(p99 * 1000).toFixed(0)} us | <= 1000 us ${p99 <= 1 ? '(met)' : '(MISSED)'} |`);
    console.log(`| latency max | ${(max * 1000).toFixed(0)} us | |`);
    console.log('');
    console.log(`replies with an error: ${failures}; server counters: ${status.server.requests} requests, ${status.server.errors} errors, ${status.server.overruns} overruns`);
    return {rate, p50, p99, max, failures};
  } finally {
    const r = await serve.stop();
    if (r.code !== 0) console.log(`cr dmlog serve exited ${r.code ?? r.signal}: ${r.stderr}`);
    try {
      kernel.sock.close();
    } catch {
      // closed already
    }
    fs.rmSync(work, {recursive: true, force: true});
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await benchDmlog();
