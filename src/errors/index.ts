export * from './cr-error.js';
export * from './errno.js';
export * from './error-body.js';
