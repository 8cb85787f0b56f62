export * from './checkpoint-options.js';
export * from './issues.js';
export * from './restart-options.js';
