// cr_restart's --relocate OLD=NEW syntax: `\=` and `\\` escapes, exactly one unescaped '=',
// both sides absolute, trailing '/' trimmed, identity pairs dropped, at most 16 pairs.
import {UsageError} from '../errors/cr-error.js';

export const MAX_RELOCATIONS = 16;

/** Parse one --relocate value. Returns undefined for an identity pair (dropped, as BLCR does). */
export function parseRelocation(value: string): [string, string] | undefined {
  const sides: string[] = [''];
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && (value[i + 1] === '=' || value[i + 1] === '\\')) {
      sides[sides.length - 1] += value[++i];
    } else if (c === '=') {
      sides.push('');
    } else {
      sides[sides.length - 1] += c;
    }
  }
  if (sides.length !== 2) throw new UsageError(`Expected --relocate to be OLD=NEW with exactly one unescaped '=', got \`${value}\``);
  const [oldPath, newPath] = sides.map((s) => (s.length > 1 ? s.replace(/\/+$/, '') || '/' : s));
  for (const [what, p] of [['OLD', oldPath], ['NEW', newPath]] as const) {
    if (!p.startsWith('/')) throw new UsageError(`Expected --relocate ${what} to be an absolute path, got \`${p}\` in \`${value}\``);
  }
  return oldPath === newPath ? undefined : [oldPath, newPath];
}

/** Parse every --relocate value, refusing more than 16 pairs. */
export function parseRelocations(values: string[] = []): Array<[string, string]> {
  const pairs = values.map(parseRelocation).filter((p): p is [string, string] => p !== undefined);
  if (pairs.length > MAX_RELOCATIONS) throw new UsageError(`Expected at most ${MAX_RELOCATIONS} --relocate pairs, got ${pairs.length}`);
  return pairs;
}
