// The netlink connector socket and the wire layout of dm-log-userspace datagrams.
export * from './constants.js';
export * from './wire.js';
export {ConnectorSocket} from './socket.js';
export {netlinkStructs, netlinkLayout, decodeHeaders, type NetlinkStructName} from './structs.js';
