export * from './checkpoint-options.js';
