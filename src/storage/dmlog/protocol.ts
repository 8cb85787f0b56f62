// The dm-log-userspace protocol as the server sees it (spec: kernel-interfaces.md A2, A5), and the
// control-socket protocol between `cr dmlog serve` and its clients (`cr dmlog status`, checkpoints
// waiting for a quiesce). Types and constants only; no behaviour.

/** Connector id of the dm-log-userspace channel. */
export const CN_IDX_DM = 7;
export const CN_VAL_DM_USERSPACE_LOG = 1;
/** The request version the 6.1 kernel fills in (DM_ULOG_REQUEST_VERSION). */
export const DM_ULOG_REQUEST_VERSION = 3;

/** DM_ULOG_* request types (the low 8 bits of request_type). */
export const UlogType = {
  CTR: 1,
  DTR: 2,
  PRESUSPEND: 3,
  POSTSUSPEND: 4,
  RESUME: 5,
  GET_REGION_SIZE: 6,
  IS_CLEAN: 7,
  IN_SYNC: 8,
  FLUSH: 9,
  MARK_REGION: 10,
  CLEAR_REGION: 11,
  GET_RESYNC_WORK: 12,
  SET_REGION_SYNC: 13,
  GET_SYNC_COUNT: 14,
  STATUS_INFO: 15,
  STATUS_TABLE: 16,
  IS_REMOTE_RECOVERING: 17,
} as const;
export type UlogTypeName = keyof typeof UlogType;

/** One decoded request (struct dm_ulog_request plus its payload). */
export interface UlogRequest {
  luid: bigint;
  uuid: string;
  version: number;
  seq: number;
  /** The full request_type word; the type is `requestType & 0xff`. */
  requestType: number;
  data: Buffer;
}

/** The answer to one request: `error` is 0 or a negative errno; `data` is the exact reply payload. */
export interface UlogReply {
  error: number;
  data: Buffer;
}

/** Lifecycle events a log goes through; clients of the control socket wait for these. */
export type LogEventName = 'ctr' | 'dtr' | 'presuspend' | 'postsuspend' | 'resume';

export interface LogEvent {
  /** Server-wide event counter, starting at 1; a client's `after` cursor compares against it. */
  seq: number;
  /** ISO time the server handled the request. */
  time: string;
  uuid: string;
  /** luid as a decimal string (u64). */
  luid: string;
  event: LogEventName;
}

/** What `status` reports for one log. */
export interface LogSummary {
  uuid: string;
  luid: string;
  /** The log type named in the table: clustered-core, clustered-disk, core or disk. */
  type: string;
  /** 'pending' after CTR and after POSTSUSPEND, 'resumed' after RESUME, 'presuspended' between
   *  PRESUSPEND and POSTSUSPEND. */
  state: 'pending' | 'resumed' | 'presuspended';
  regionSize: number;
  regionCount: number;
  syncCount: number;
  /** Regions whose clean bit is clear. */
  dirtyCount: number;
  /** Disk logs: the log device path; null for core logs. */
  device: string | null;
  /** Disk logs: true after a log-device I/O error (status shows D). */
  deviceFailed: boolean;
  sync: 'default' | 'sync' | 'nosync';
  /** Requests handled for this log, by type name. */
  requests: Partial<Record<UlogTypeName, number>>;
}

// ---- control socket: one JSON object per line each way, one response per request ----

export type ControlRequest =
  | {op: 'status'}
  | {
      op: 'wait';
      /** Log uuids (the first log argument of the dm table). */
      uuids: string[];
      events: LogEventName[];
      /** Only events with seq > after count. */
      after: number;
      timeoutMs: number;
    };

export interface StatusResponse {
  ok: true;
  server: {
    pid: number;
    startedAt: string;
    /** Datagrams answered (well-formed requests and malformed ones that got an error reply). */
    requests: number;
    /** Replies that carried an error (negative `error`, or a short ACK with a nonzero `ack`). */
    errors: number;
    eventSeq: number;
    socket: string;
    /** Datagrams dropped without a reply: foreign connector ids, senders not served, runts. */
    ignored: number;
    /** Of `requests`: datagrams rejected before reaching a log (bad lengths, version, truncation). */
    malformed: number;
    /** Receive-buffer overruns (ENOBUFS): datagrams the kernel dropped before the server saw them. */
    overruns: number;
    /** Replies sendto refused (the peer port gone or full). */
    sendFailures: number;
    /** The server's netlink port id. */
    port: number;
    /** The stand-in kernel port served besides the kernel (tests), or null. */
    peerPort: number | null;
  };
  logs: LogSummary[];
}

export type WaitResponse =
  | {ok: true; events: LogEvent[]}
  | {ok: false; error: 'timeout'; events: LogEvent[]; missing: {uuid: string; event: LogEventName}[]};

export interface ErrorResponse {
  ok: false;
  error: string;
}

/** Default control socket path; `--socket` or CR_DMLOG_SOCKET override it. */
export const DEFAULT_CONTROL_SOCKET = '/run/cr/dmlog.sock';
