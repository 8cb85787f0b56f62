// The dm-log-userspace companion: server, control socket client, protocol.
export {serveDmlog, DmlogServer, type ServeSummary, type ServerOptions} from './server.js';
export {ControlClient} from './control-client.js';
export {formatDmlogStatus} from './format.js';
export * from './protocol.js';
