export * from './checkpoint-options.js';
export * from './issues.js';
