export * from './checkpoint.js';
export * from './ctrl-request.js';
export * from './info.js';
export * from './messages.js';
export * from './request.js';
export * from './version.js';
export * from './restart.js';
