// The public API of cr: what commands/ and examples/ use. Nothing here loads koffi at import.
export {blcrInfo, type BlcrInfo} from './engines/blcr/info.js';
export {runCheckpoint, type CheckpointResult} from './pipeline/checkpoint.js';
export type {OutputMode} from './pipeline/renderer.js';
export {checkpointOptionsFromFlags, parseId} from './cli/checkpoint-flags.js';
export {runProgram} from './engines/blcr/run.js';
export {runRestart, runHook, HookStatusError, signalNumber, type RestartResult} from './pipeline/restart.js';
export {restartOptionsFromFlags, hooksFromArgv} from './cli/restart-flags.js';
export {dieBySignal} from './abi/process.js';
export {latestGood, listStore, verifyStore, type ListEntry} from './pipeline/store.js';
export {runWatch, parseDuration, type WatchEvent} from './pipeline/watch.js';
export {watchOptionsFromFlags} from './cli/watch-flags.js';
export * from './errors/index.js';
export * from './schema/index.js';
export {dmList, dmStatus, dmSuspend, dmResume, dmWait, type DmLsEntry, type DmStatusResult, type DmWaitResult} from './pipeline/dm.js';
export {formatDmList, formatDmStatus, formatDmWait} from './pipeline/dm-format.js';
export {serveDmlog, ControlClient, formatDmlogStatus, DEFAULT_CONTROL_SOCKET, type ServeSummary, type StatusResponse, type LogSummary} from './storage/dmlog/index.js';
export {runGuard, type GuardOutcome} from './storage/dm/guard.js';
export * from './schedulers/index.js';
