// cr_restart's --relocate OLD=NEW syntax: `\=` and `\\` escapes, exactly one unescaped '=',
// both sides absolute, trailing '/' trimmed, identity pairs dropped, at most 16 pairs.
import {UsageError} from '../errors/cr-error.js';

export const MAX_RELOCATIONS = 16;

/** Why a --relocate value is refused. */
export type RelocationProblem = 'no-equals' | 'multiple-equals' | 'relative';

/** Split one --relocate value: the pair, null for an identity pair (dropped, as BLCR does), or
 *  what is wrong with it. */
export function splitRelocation(value: string): {pair: [string, string] | null} | {problem: RelocationProblem; side?: 'OLD' | 'NEW'; path?: string} {
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
  if (sides.length !== 2) return {problem: sides.length < 2 ? 'no-equals' : 'multiple-equals'};
  const [oldPath, newPath] = sides.map((s) => (s.length > 1 ? s.replace(/\/+$/, '') || '/' : s));
  if (!oldPath.startsWith('/')) return {problem: 'relative', side: 'OLD', path: oldPath};
  if (!newPath.startsWith('/')) return {problem: 'relative', side: 'NEW', path: newPath};
  return {pair: oldPath === newPath ? null : [oldPath, newPath]};
}

/** Parse one --relocate value. Returns undefined for an identity pair (dropped, as BLCR does). */
export function parseRelocation(value: string): [string, string] | undefined {
  const r = splitRelocation(value);
  if ('pair' in r) return r.pair ?? undefined;
  if (r.problem !== 'relative') throw new UsageError(`Expected --relocate to be OLD=NEW with exactly one unescaped '=', got \`${value}\``);
  throw new UsageError(`Expected --relocate ${r.side} to be an absolute path, got \`${r.path}\` in \`${value}\``);
}

/** Parse every --relocate value, refusing more than 16 pairs. */
export function parseRelocations(values: string[] = []): Array<[string, string]> {
  const pairs = values.map(parseRelocation).filter((p): p is [string, string] => p !== undefined);
  if (pairs.length > MAX_RELOCATIONS) throw new UsageError(`Expected at most ${MAX_RELOCATIONS} --relocate pairs, got ${pairs.length}`);
  return pairs;
}
