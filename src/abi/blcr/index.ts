export * from './constants.js';
export * from './ctrl.js';
export * from './structs.js';
export {ioc, SIZEOF_PTR} from './ioc.js';
export {installSelfOmit, SELF_OMIT_LIBRARY} from './self-omit.js';
