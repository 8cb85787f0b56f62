// Numbers of the netlink connector socket API (x86_64 Linux; spec kernel-interfaces.md A1, A2).

export const AF_NETLINK = 16;
export const NETLINK_CONNECTOR = 11;
export const SOCK_DGRAM = 2;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;

export const SOL_SOCKET = 1;
export const SO_RCVBUF = 8;
export const SO_RCVBUFFORCE = 33;
export const SO_SNDBUF = 7;
export const SO_SNDBUFFORCE = 32;

export const SOL_NETLINK = 270;
export const NETLINK_ADD_MEMBERSHIP = 1;

export const MSG_TRUNC = 0x20;
export const MSG_DONTWAIT = 0x40;

/** nlmsg_type of every connector message (the connector does not check it). */
export const NLMSG_DONE = 3;

/** The connector refuses netlink payloads longer than this (CONNECTOR_MAX_MSG_SIZE). */
export const CONNECTOR_MAX_MSG_SIZE = 16384;

/** sizeof(struct sockaddr_nl). */
export const SOCKADDR_NL_SIZE = 12;
