// Scheduler integrations: Slurm, Torque/PBS, LSF and Grid Engine, and the scripts they install.
export {renderScheduler, writeRendered, installedCr, schedulerName, type RenderedFile} from './render.js';
export {SCHEDULERS} from './templates.js';
export {REQUEUE_FAILED, slurmCheckpoint, slurmRestart, slurmRestartPlan, type SlurmCheckpointResult} from './slurm.js';
export {torqueCheckpoint, torqueRestartOptions, type TorqueCheckpointResult} from './torque.js';
export {pbsCheckpoint, pbsRestart, pbsRestartOptions} from './pbs.js';
export {echkpnt, erestart, type ErestartResult} from './lsf.js';
export {sgeCheckpoint, sgeRestartOptions, sgeClean} from './sge.js';
