// Flags shared by `cr dmlog serve` and `cr dmlog status`.
import {Flags} from '@oclif/core';
import path from 'node:path';
import {UsageError} from '../errors/cr-error.js';
import {DEFAULT_CONTROL_SOCKET} from '../storage/dmlog/protocol.js';

/** sun_path holds 108 bytes, NUL included. */
const MAX_SOCKET_PATH = 107;

export const socketFlag = Flags.string({
  summary: 'Control socket path.',
  description: 'The Unix socket `cr dmlog serve` listens on and `cr dmlog status` asks. CR_DMLOG_SOCKET also sets it.',
  env: 'CR_DMLOG_SOCKET',
  default: DEFAULT_CONTROL_SOCKET,
  helpValue: 'PATH',
});

/** The control socket path from --socket, made absolute; a clear usage error when it cannot be one. */
export function socketPathFromFlag(value: string): string {
  if (!value) throw new UsageError('--socket: expected a path for the control socket, got an empty string');
  const abs = path.resolve(value);
  if (Buffer.byteLength(abs) > MAX_SOCKET_PATH) {
    throw new UsageError(`--socket: ${abs} is ${Buffer.byteLength(abs)} bytes long; a Unix socket path holds at most ${MAX_SOCKET_PATH}`);
  }
  return abs;
}
