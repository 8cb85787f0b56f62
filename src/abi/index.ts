// src/abi: the only koffi importer. Nothing here loads koffi until a function is called.
export * from './blcr/index.js';
export {lastErrno, O, POLL, pollOne} from './libc.js';
export * from './netlink/index.js';
export {dieBySignal, execProgram} from './process.js';
export {tryLockExclusive} from './flock.js';
export {alignedBuffer, bufferAddress} from './memory.js';
export {blockDeviceSize} from './blockdev.js';
