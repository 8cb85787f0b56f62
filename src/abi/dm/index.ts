export * from './constants.js';
export * from './control.js';
export * from './header.js';
export * from './records.js';
export {dmStructs} from './structs.js';
