// dm-mirror table and status lines (spec A6): the userspace log's uuid, and the sync state.
import type {DmTarget} from './client.js';

/** The uuid of the first mirror's userspace dirty log ("userspace <n> <uuid> ..."), else null. */
export function userspaceLogUuid(targets: DmTarget[]): string | null {
  for (const t of targets) {
    if (t.type !== 'mirror') continue;
    const w = t.params.trim().split(/\s+/);
    if (w[0] === 'userspace' && /^\d+$/.test(w[1] ?? '') && Number(w[1]) >= 1 && w[2]) return w[2];
  }
  return null;
}

export interface MirrorStatus {
  /** Each leg's device and health char (A alive, F flush, D write, S sync, R read error, U unknown). */
  legs: {device: string; health: string}[];
  inSyncRegions: number;
  totalRegions: number;
  /** Every region in sync. */
  inSync: boolean;
  /** The health chars, one per leg. */
  health: string;
  /** The log's part: `<#args> <type> <args...>` as the log reports it. */
  log: {raw: string; type: string | null; args: string[]; device: string | null; health: string | null};
}

/**
 * Parse a mirror info status line: `<#mirrors> <dev>... <in_sync>/<total> 1 <health> <log status>`
 * (the target's params; a leading `<start> <length> mirror` as dmsetup prints it is accepted too).
 */
export function parseMirrorStatus(params: string): MirrorStatus {
  let w = params.trim().split(/\s+/);
  if (w[2] === 'mirror' && /^\d+$/.test(w[0]) && /^\d+$/.test(w[1])) w = w.slice(3);
  const bad = (why: string) => new Error(`not a mirror status line (${why}): \`${params}\``);
  const n = Number(w[0]);
  if (!/^\d+$/.test(w[0] ?? '') || n < 1) throw bad('no leg count');
  if (w.length < n + 3) throw bad('too short');
  const devices = w.slice(1, 1 + n);
  const sync = /^(\d+)\/(\d+)$/.exec(w[1 + n]);
  if (!sync) throw bad(`expected <in_sync>/<total>, got \`${w[1 + n]}\``);
  let i = 2 + n;
  let health = '';
  if (/^\d+$/.test(w[i]) && w[i + 1] !== undefined && w[i + 1].length === n && /^[AFDSRU]+$/.test(w[i + 1])) {
    health = w[i + 1];
    i += 2;
  }
  const rest = w.slice(i);
  const log: MirrorStatus['log'] = {raw: rest.join(' '), type: null, args: [], device: null, health: null};
  if (rest.length > 0) {
    const count = /^\d+$/.test(rest[0]) ? Number(rest[0]) : -1;
    log.args = count >= 1 && rest.length > count ? rest.slice(1, 1 + count) : count >= 1 ? rest.slice(1) : rest;
    log.type = log.args[0] ?? null;
    const dev = log.args.find((a) => /^\d+:\d+$/.test(a));
    log.device = dev ?? null;
    const last = log.args.at(-1);
    if (log.args.length > 1 && last !== undefined && /^[A-Z]$|^[A-Z_]+$/.test(last)) log.health = last;
  }
  const inSyncRegions = Number(sync[1]);
  const totalRegions = Number(sync[2]);
  return {
    legs: devices.map((device, k) => ({device, health: health[k] ?? 'U'})),
    inSyncRegions,
    totalRegions,
    inSync: inSyncRegions === totalRegions,
    health,
    log,
  };
}
