// The CTR payload of dm-log-userspace: "<dev sectors> <type> <type args…>" (spec A6), with an
// optional trailing NUL (the kernel's reconnect CTR includes it; the initial CTR does not).
import fs from 'node:fs';

export type LogType = 'clustered-core' | 'core' | 'clustered-disk' | 'disk';
export type SyncMode = 'default' | 'sync' | 'nosync';

export interface CtrArgs {
  type: LogType;
  disk: boolean;
  devSectors: bigint;
  regionSize: number;
  regionCount: number;
  sync: SyncMode;
  blockOnError: boolean;
  /** Disk logs: the log device argument exactly as given (a path or maj:min). */
  deviceArg: string | null;
  /** True when the payload carried its terminating NUL: the kernel's reconnect CTR. */
  reconnect: boolean;
}

/** Region sizes must fit the u32 the kernel keeps them in. */
const MAX_REGION_SIZE = 2 ** 31;
/** Bitmaps beyond this many regions (256 MiB each) are refused. */
export const MAX_REGION_COUNT = 2 ** 31;

export class CtrArgsError extends Error {}

const LOG_TYPES: readonly string[] = ['clustered-core', 'core', 'clustered-disk', 'disk'];

function positive(token: string, what: string): bigint {
  if (!/^[0-9]+$/.test(token)) throw new CtrArgsError(`${what} '${token}' is not a number`);
  const v = BigInt(token);
  if (v === 0n) throw new CtrArgsError(`${what} is zero`);
  return v;
}

/** Parse a CTR payload; throws CtrArgsError for anything the kernel should get -EINVAL for. */
export function parseCtrArgs(data: Buffer): CtrArgs {
  const reconnect = data.length > 0 && data[data.length - 1] === 0;
  const nul = data.indexOf(0);
  const text = data.subarray(0, nul < 0 ? data.length : nul).toString('latin1').trim();
  const tokens = text.length ? text.split(/\s+/) : [];
  if (tokens.length < 3) throw new CtrArgsError(`too few arguments in '${text}'`);
  const [sectorsTok, type, ...rest] = tokens;
  const devSectors = positive(sectorsTok, 'device size');
  if (!LOG_TYPES.includes(type)) throw new CtrArgsError(`unknown log type '${type}'`);
  const disk = type.endsWith('disk');
  const deviceArg = disk ? rest.shift()! : null;
  if (rest.length < 1) throw new CtrArgsError(`no region size in '${text}'`);
  if (rest.length > 3) throw new CtrArgsError(`too many arguments in '${text}'`);
  const size = positive(rest[0], 'region size');
  if ((size & (size - 1n)) !== 0n || size > BigInt(MAX_REGION_SIZE)) {
    throw new CtrArgsError(`region size ${size} is not a power of two up to 2^31`);
  }
  let sync: SyncMode = 'default';
  let blockOnError = false;
  for (const flag of rest.slice(1)) {
    if ((flag === 'sync' || flag === 'nosync') && sync === 'default') sync = flag;
    else if (flag === 'block_on_error' && !blockOnError) blockOnError = true;
    else throw new CtrArgsError(`unexpected argument '${flag}'`);
  }
  const count = (devSectors + size - 1n) / size;
  if (count > BigInt(MAX_REGION_COUNT)) throw new CtrArgsError(`${count} regions is more than ${MAX_REGION_COUNT}`);
  return {
    type: type as LogType,
    disk,
    devSectors,
    regionSize: Number(size),
    regionCount: Number(count),
    sync,
    blockOnError,
    deviceArg,
    reconnect,
  };
}

/** The path of a log device argument: a path as it is, `maj:min` through sysfs's DEVNAME. */
export function resolveLogDevice(arg: string, sysfs = '/sys'): string {
  const m = /^(\d+):(\d+)$/.exec(arg);
  if (!m) return arg;
  const uevent = `${sysfs}/dev/block/${Number(m[1])}:${Number(m[2])}/uevent`;
  let text: string;
  try {
    text = fs.readFileSync(uevent, 'utf8');
  } catch (err) {
    throw new CtrArgsError(`block device ${arg} not found (${(err as Error).message})`);
  }
  const name = /^DEVNAME=(.+)$/m.exec(text)?.[1];
  if (!name) throw new CtrArgsError(`${uevent} names no DEVNAME`);
  return `/dev/${name}`;
}
