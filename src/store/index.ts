export * from './publish.js';
export * from './temp-files.js';
export * from './context-header.js';
