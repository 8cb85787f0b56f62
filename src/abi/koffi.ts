// The one place koffi is loaded: on first use, never at import, so `cr --help` stays light.
import {createRequire} from 'node:module';

export type Koffi = typeof import('koffi').default;

let cached: Koffi | undefined;

/** koffi, loaded on first call. */
export function koffi(): Koffi {
  if (!cached) {
    const require = createRequire(import.meta.url);
    cached = require('koffi') as Koffi;
  }
  return cached;
}
