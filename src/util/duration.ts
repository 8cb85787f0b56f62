// The one duration parser of cr: every flag that takes a time (--time, --every, --timeout,
// --quiesce-timeout) accepts the same forms: seconds as a plain number, or 500ms, 30s, 5m, 1h30m, 2d.

const UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000};

/** The longest duration a timer can wait (setTimeout's limit, 2^31-1 ms, about 24.8 days). */
export const MAX_DURATION_MS = 0x7fffffff;

/** Parse `90`, `1.5`, `90s`, `500ms`, `5m`, `1h30m`, `2d` (any case) into milliseconds. `0` is
 *  accepted only with `allowZero` (it means "no limit" where a flag says so). */
export function parseDuration(text: string, opts: {allowZero?: boolean} = {}): number {
  const t = text.trim().toLowerCase();
  const bad = (why = '') => new Error(`Expected a duration (seconds, or 500ms, 30s, 5m, 1h30m, 2d)${why}, got \`${text}\``);
  let ms = 0;
  if (/^\d+(?:\.\d+)?$/.test(t)) {
    ms = Number(t) * 1000;
  } else {
    const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;
    let seen = 0;
    for (let m = re.exec(t); m; m = re.exec(t)) {
      ms += Number(m[1]) * UNITS[m[2]];
      seen = re.lastIndex;
    }
    if (t.length === 0 || seen !== t.length) throw bad();
  }
  ms = Math.round(ms);
  if (ms === 0 && !opts.allowZero) throw bad(' greater than 0');
  if (ms > MAX_DURATION_MS) throw bad(` of at most ${Math.floor(MAX_DURATION_MS / 1000)} s`);
  return ms;
}
