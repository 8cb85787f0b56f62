// The one shape of every --json document cr prints (README "JSON output"): a single object on stdout,
//   success: {"ok": true,  ...the command's result..., "warnings": [...]}
//   failure: {"ok": false, "error": {"code", "message", "exitCode", "details"}, "warnings": [...]}
// Paths in it are absolute, times ISO 8601 in UTC (`...Z`), signals by name (`SIGTERM`).
import {CrError, EXIT_USAGE} from '../errors/cr-error.js';

export interface ErrorBody {
  code: string;
  message: string;
  exitCode: number;
  details: string[];
}

/** Shape of the --json document when a command fails. */
export interface ErrorDocument {
  ok: false;
  error: ErrorBody;
  warnings: string[];
}

/** The document of a successful command: its result's fields, `ok` and the warnings. */
export function successDocument(result: object | undefined, warnings: readonly string[]): Record<string, unknown> {
  if (Array.isArray(result)) throw new TypeError('a --json result must be an object, not an array (give the list a name)');
  const {ok: _ok, warnings: own, ...fields} = (result ?? {}) as Record<string, unknown>;
  return {ok: true, ...fields, warnings: [...(Array.isArray(own) ? (own as string[]) : []), ...warnings]};
}

/** The error body for any error: a CrError as it is; anything else (a Node error, a bug) as exit 1. */
export function errorBody(error: Error & {code?: unknown; exitCode?: unknown}): ErrorBody {
  if (error instanceof CrError) return {code: error.code, message: error.message, exitCode: error.exitCode, details: error.details};
  const exitCode = typeof error.exitCode === 'number' && error.exitCode > 0 ? error.exitCode : 1;
  return {code: typeof error.code === 'string' ? error.code : exitCode === EXIT_USAGE ? 'USAGE' : 'ERROR', message: error.message, exitCode, details: []};
}

/** The document of a failed command. */
export function errorDocument(error: Error, warnings: readonly string[]): ErrorDocument {
  return {ok: false, error: errorBody(error), warnings: [...warnings]};
}
