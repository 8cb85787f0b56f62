// An error as the --json documents carry it: {code, message, exitCode, details} (README "JSON output").
import {CrError, EXIT_USAGE} from './cr-error.js';

export interface ErrorBody {
  code: string;
  message: string;
  exitCode: number;
  details: string[];
}

/** The error body for any error: a CrError as it is; anything else (a Node error, a bug) as exit 1. */
export function errorBody(error: Error & {code?: unknown; exitCode?: unknown}): ErrorBody {
  if (error instanceof CrError) return {code: error.code, message: error.message, exitCode: error.exitCode, details: error.details};
  const exitCode = typeof error.exitCode === 'number' && error.exitCode > 0 ? error.exitCode : 1;
  return {code: typeof error.code === 'string' ? error.code : exitCode === EXIT_USAGE ? 'USAGE' : 'ERROR', message: error.message, exitCode, details: []};
}
