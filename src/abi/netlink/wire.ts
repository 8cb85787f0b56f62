// Byte offsets of a connector datagram carrying a dm-log-userspace request or reply
// (spec A2): nlmsghdr at 0, cn_msg at 16, dm_ulog_request at 36 (unaligned), payload at 196.
// The offsets inside each header equal koffi's offsetof of the structs in structs.ts and the
// C headers' (test/abi/netlink-layout.test.ts checks all three).

export const NLMSGHDR_SIZE = 16;
export const CN_MSG_SIZE = 20;
export const ULOG_REQUEST_SIZE = 160;

/** struct nlmsghdr fields, as datagram offsets. */
export const NL = {LEN: 0, TYPE: 4, FLAGS: 6, SEQ: 8, PID: 12} as const;

/** struct cn_msg fields, as datagram offsets. */
export const CN = {IDX: 16, VAL: 20, SEQ: 24, ACK: 28, LEN: 32, FLAGS: 34} as const;

/** Where the dm_ulog_request starts in a datagram. */
export const ULOG_AT = NLMSGHDR_SIZE + CN_MSG_SIZE;

/** struct dm_ulog_request fields, as datagram offsets. */
export const ULOG = {
  LUID: ULOG_AT + 0,
  UUID: ULOG_AT + 8,
  PADDING: ULOG_AT + 137,
  VERSION: ULOG_AT + 140,
  ERROR: ULOG_AT + 144,
  SEQ: ULOG_AT + 148,
  REQUEST_TYPE: ULOG_AT + 152,
  DATA_SIZE: ULOG_AT + 156,
  DATA: ULOG_AT + 160,
} as const;

/** DM_UUID_LEN: the uuid field's size, NUL included. */
export const UUID_FIELD_LEN = 129;

/** Bytes before the payload in a full request or reply datagram (196). */
export const ULOG_HEADER_BYTES = ULOG.DATA;
