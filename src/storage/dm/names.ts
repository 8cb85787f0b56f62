// Device-mapper device names as the kernel accepts them (dm_ioctl.name: 128 bytes with the NUL, no '/').
import {UsageError} from '../../errors/index.js';

/** Check a device name given as argument `label`; returns it. Throws UsageError naming `label`. */
export function checkDmName(name: string, label = 'NAME'): string {
  const bytes = Buffer.byteLength(name, 'utf8');
  if (name.length === 0 || bytes > 127 || name.includes('/') || name.includes('\0')) {
    throw new UsageError(`Expected ${label} to be a device-mapper device name (1 to 127 bytes, no '/'), got \`${name}\`${bytes > 127 ? ` (${bytes} bytes)` : ''}`);
  }
  return name;
}
