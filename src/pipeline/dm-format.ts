// Text output of `cr dm`.
import type {DmInfo} from '../storage/dm/client.js';
import type {DmLsEntry, DmStatusResult, DmStatusTarget, DmWaitResult} from './dm.js';

/** `cr dm ls`: a header line and one line per device. */
export function formatDmList(entries: DmLsEntry[]): string[] {
  if (entries.length === 0) return ['No device-mapper devices'];
  const w = Math.max(4, ...entries.map((e) => e.name.length));
  return [
    `${'NAME'.padEnd(w)}  MAJ:MIN    STATE      UUID`,
    ...entries.map((e) => `${e.name.padEnd(w)}  ${`${e.major}:${e.minor}`.padEnd(9)}  ${(e.suspended ? 'SUSPENDED' : 'ACTIVE').padEnd(9)}  ${e.uuid || '-'}`),
  ];
}

/** A DmInfo as `dmsetup info` words it. */
export function formatDmInfo(i: DmInfo): string[] {
  const tables = [i.activePresent ? 'LIVE' : '', i.inactivePresent ? 'INACTIVE' : ''].filter(Boolean).join(' & ') || 'None';
  return [
    `Name:              ${i.name}`,
    `State:             ${i.suspended ? 'SUSPENDED' : 'ACTIVE'}${i.readOnly ? ' (READ-ONLY)' : ''}`,
    `Tables present:    ${tables}`,
    `Open count:        ${i.openCount}`,
    `Event number:      ${i.eventNr}`,
    `Major, minor:      ${i.major}, ${i.minor}`,
    `Number of targets: ${i.targetCount}`,
    ...(i.uuid ? [`UUID:              ${i.uuid}`] : []),
  ];
}

function targetLines(targets: DmStatusTarget[]): string[] {
  return targets.flatMap((t) => {
    const line = `${t.start} ${t.length} ${t.type}${t.params ? ` ${t.params}` : ''}`;
    if (!t.mirror) return [line];
    const m = t.mirror;
    const log = m.log.type ? `, log ${m.log.type}${m.log.device ? ` ${m.log.device}` : ''}${m.log.health ? ` ${m.log.health}` : ''}` : '';
    return [line, `  mirror: ${m.legs.length} legs (${m.legs.map((l) => `${l.device} ${l.health}`).join(', ')}), ${m.inSyncRegions}/${m.totalRegions} regions in sync${m.inSync ? '' : ' (resyncing)'}${log}`];
  });
}

/** `cr dm status`: info, then the target lines. */
export function formatDmStatus(r: DmStatusResult): string[] {
  const log = r.userspaceLogUuid ? [`Userspace log:     ${r.userspaceLogUuid}`] : [];
  return [...formatDmInfo(r.info), ...log, ...targetLines(r.targets)];
}

/** `cr dm wait`: the new event number, then the status. */
export function formatDmWait(r: DmWaitResult): string[] {
  return [`event ${r.eventNr} (waited past ${r.after})`, ...formatDmInfo(r.info), ...targetLines(r.targets)];
}
