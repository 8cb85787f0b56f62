export * from './publish.js';
export * from './temp-files.js';
