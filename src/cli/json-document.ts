// The one shape of every --json document cr prints (README "JSON output"): a single object on stdout,
//   success: {"ok": true,  ...the command's result..., "warnings": [...]}
//   failure: {"ok": false, "error": {"code", "message", "exitCode", "details"}, "warnings": [...]}
//            (plus what the command found before it failed, if anything: `cr verify`'s reports)
// Paths in it are absolute, times ISO 8601 in UTC (`...Z`), signals by name (`SIGTERM`).
import {CrError} from '../errors/cr-error.js';
import {type ErrorBody, errorBody} from '../errors/error-body.js';

/** Shape of the --json document when a command fails (with what the command found first, if any). */
export interface ErrorDocument {
  ok: false;
  error: ErrorBody;
  warnings: string[];
  [field: string]: unknown;
}

/** The document of a successful command: its result's fields, `ok` and the warnings. */
export function successDocument(result: object | undefined, warnings: readonly string[]): Record<string, unknown> {
  if (Array.isArray(result)) throw new TypeError('a --json result must be an object, not an array (give the list a name)');
  const {ok: _ok, warnings: own, ...fields} = (result ?? {}) as Record<string, unknown>;
  return {ok: true, ...fields, warnings: [...(Array.isArray(own) ? (own as string[]) : []), ...warnings]};
}

/** The document of a failed command. */
export function errorDocument(error: Error, warnings: readonly string[]): ErrorDocument {
  const found = error instanceof CrError ? error.result ?? {} : {};
  const {ok: _ok, error: _error, warnings: _warnings, ...fields} = found;
  return {ok: false, ...fields, error: errorBody(error), warnings: [...warnings]};
}
