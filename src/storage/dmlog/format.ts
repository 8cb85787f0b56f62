// The table `cr dmlog status` prints.
import type {StatusResponse} from './protocol.js';

export function formatDmlogStatus(status: StatusResponse): string {
  const s = status.server;
  const head = `cr dmlog serve pid ${s.pid} (netlink port ${s.port}) since ${s.startedAt}: ${s.requests} requests, ${s.errors} errors, ${s.ignored} ignored; socket ${s.socket}`;
  if (status.logs.length === 0) return `${head}\nno logs`;
  const rows = [['UUID', 'LUID', 'TYPE', 'STATE', 'IN-SYNC', 'DIRTY', 'DEVICE']];
  for (const l of status.logs) {
    rows.push([l.uuid, l.luid, l.type, l.state, `${l.syncCount}/${l.regionCount}`, String(l.dirtyCount), l.device ? `${l.device}${l.deviceFailed ? ' (failed)' : ''}` : '-']);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return [head, ...rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  '))].join('\n');
}
