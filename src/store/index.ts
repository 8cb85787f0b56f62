export * from './publish.js';
export * from './temp-files.js';
export * from './context-header.js';
export * from './checksum.js';
export * from './manifest.js';
export * from './open-files.js';
export * from './naming.js';
export * from './verify.js';
