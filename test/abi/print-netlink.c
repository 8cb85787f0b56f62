/* Prints the netlink connector and dm-log-userspace layouts as the installed uapi headers define
 * them, as JSON, for test/abi/netlink-layout.test.ts. */
#include "print-json.h"
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/connector.h>
#include <linux/dm-ioctl.h>
#include <linux/dm-log-userspace.h>

int main(void)
{
	ABI_BEGIN();
	SZ(struct sockaddr_nl); AL(struct sockaddr_nl);
	OFF(struct sockaddr_nl, nl_family); OFF(struct sockaddr_nl, nl_pad); OFF(struct sockaddr_nl, nl_pid);
	OFF(struct sockaddr_nl, nl_groups);
	SZ(struct nlmsghdr); AL(struct nlmsghdr);
	OFF(struct nlmsghdr, nlmsg_len); OFF(struct nlmsghdr, nlmsg_type); OFF(struct nlmsghdr, nlmsg_flags);
	OFF(struct nlmsghdr, nlmsg_seq); OFF(struct nlmsghdr, nlmsg_pid);
	SZ(struct cb_id);
	SZ(struct cn_msg); AL(struct cn_msg);
	OFF(struct cn_msg, id); OFF(struct cn_msg, id.idx); OFF(struct cn_msg, id.val); OFF(struct cn_msg, seq);
	OFF(struct cn_msg, ack); OFF(struct cn_msg, len); OFF(struct cn_msg, flags); OFF(struct cn_msg, data);
	SZ(struct dm_ulog_request); AL(struct dm_ulog_request);
	OFF(struct dm_ulog_request, luid); OFF(struct dm_ulog_request, uuid); OFF(struct dm_ulog_request, padding);
	OFF(struct dm_ulog_request, version); OFF(struct dm_ulog_request, error); OFF(struct dm_ulog_request, seq);
	OFF(struct dm_ulog_request, request_type); OFF(struct dm_ulog_request, data_size); OFF(struct dm_ulog_request, data);
	NUM(DM_UUID_LEN); NUM(DM_ULOG_REQUEST_VERSION);
	NUM(AF_NETLINK); NUM(NETLINK_CONNECTOR); NUM(SOCK_DGRAM); NUM(SOCK_NONBLOCK); NUM(SOCK_CLOEXEC);
	NUM(SOL_NETLINK); NUM(NETLINK_ADD_MEMBERSHIP); NUM(SOL_SOCKET); NUM(SO_RCVBUF); NUM(SO_RCVBUFFORCE);
	NUM(SO_SNDBUF); NUM(SO_SNDBUFFORCE); NUM(MSG_TRUNC); NUM(MSG_DONTWAIT); NUM(NLMSG_DONE);
	NUM(CN_IDX_DM); NUM(CN_VAL_DM_USERSPACE_LOG);
	NUM(DM_ULOG_CTR); NUM(DM_ULOG_DTR); NUM(DM_ULOG_PRESUSPEND); NUM(DM_ULOG_POSTSUSPEND); NUM(DM_ULOG_RESUME);
	NUM(DM_ULOG_GET_REGION_SIZE); NUM(DM_ULOG_IS_CLEAN); NUM(DM_ULOG_IN_SYNC); NUM(DM_ULOG_FLUSH);
	NUM(DM_ULOG_MARK_REGION); NUM(DM_ULOG_CLEAR_REGION); NUM(DM_ULOG_GET_RESYNC_WORK); NUM(DM_ULOG_SET_REGION_SYNC);
	NUM(DM_ULOG_GET_SYNC_COUNT); NUM(DM_ULOG_STATUS_INFO); NUM(DM_ULOG_STATUS_TABLE); NUM(DM_ULOG_IS_REMOTE_RECOVERING);
	ABI_END();
	return 0;
}
