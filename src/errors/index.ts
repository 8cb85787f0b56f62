export * from './cr-error.js';
export * from './errno.js';
