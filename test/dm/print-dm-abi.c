/* Prints the device-mapper ioctl ABI as <linux/dm-ioctl.h> defines it, as JSON, for test/dm/layout.test.ts. */
#include "../abi/print-json.h"
#include <sys/ioctl.h>
#include <linux/dm-ioctl.h>

int main(void)
{
	ABI_BEGIN();
	SZ(struct dm_ioctl); AL(struct dm_ioctl);
	OFF(struct dm_ioctl, version); OFF(struct dm_ioctl, data_size); OFF(struct dm_ioctl, data_start);
	OFF(struct dm_ioctl, target_count); OFF(struct dm_ioctl, open_count); OFF(struct dm_ioctl, flags);
	OFF(struct dm_ioctl, event_nr); OFF(struct dm_ioctl, padding); OFF(struct dm_ioctl, dev);
	OFF(struct dm_ioctl, name); OFF(struct dm_ioctl, uuid); OFF(struct dm_ioctl, data);
	SZ(struct dm_target_spec); AL(struct dm_target_spec);
	OFF(struct dm_target_spec, sector_start); OFF(struct dm_target_spec, length); OFF(struct dm_target_spec, status);
	OFF(struct dm_target_spec, next); OFF(struct dm_target_spec, target_type);
	SZ(struct dm_target_deps); AL(struct dm_target_deps);
	OFF(struct dm_target_deps, count); OFF(struct dm_target_deps, padding); OFF(struct dm_target_deps, dev);
	SZ(struct dm_name_list); AL(struct dm_name_list);
	OFF(struct dm_name_list, dev); OFF(struct dm_name_list, next); OFF(struct dm_name_list, name);
	SZ(struct dm_target_versions); AL(struct dm_target_versions);
	OFF(struct dm_target_versions, next); OFF(struct dm_target_versions, version); OFF(struct dm_target_versions, name);
	SZ(struct dm_target_msg); AL(struct dm_target_msg); OFF(struct dm_target_msg, sector); OFF(struct dm_target_msg, message);
	NUM(DM_NAME_LEN); NUM(DM_UUID_LEN); NUM(DM_MAX_TYPE_NAME); NUM(DM_IOCTL); NUM(DM_VERSION_MAJOR);
	NUM(DM_VERSION); NUM(DM_REMOVE_ALL); NUM(DM_LIST_DEVICES); NUM(DM_DEV_CREATE); NUM(DM_DEV_REMOVE);
	NUM(DM_DEV_RENAME); NUM(DM_DEV_SUSPEND); NUM(DM_DEV_STATUS); NUM(DM_DEV_WAIT); NUM(DM_TABLE_LOAD);
	NUM(DM_TABLE_CLEAR); NUM(DM_TABLE_DEPS); NUM(DM_TABLE_STATUS); NUM(DM_LIST_VERSIONS); NUM(DM_TARGET_MSG);
	NUM(DM_DEV_SET_GEOMETRY); NUM(DM_DEV_ARM_POLL); NUM(DM_GET_TARGET_VERSION);
	NUM(DM_READONLY_FLAG); NUM(DM_SUSPEND_FLAG); NUM(DM_PERSISTENT_DEV_FLAG); NUM(DM_STATUS_TABLE_FLAG);
	NUM(DM_ACTIVE_PRESENT_FLAG); NUM(DM_INACTIVE_PRESENT_FLAG); NUM(DM_BUFFER_FULL_FLAG); NUM(DM_SKIP_BDGET_FLAG);
	NUM(DM_SKIP_LOCKFS_FLAG); NUM(DM_NOFLUSH_FLAG); NUM(DM_QUERY_INACTIVE_TABLE_FLAG); NUM(DM_UEVENT_GENERATED_FLAG);
	NUM(DM_UUID_FLAG); NUM(DM_SECURE_DATA_FLAG); NUM(DM_DATA_OUT_FLAG); NUM(DM_DEFERRED_REMOVE);
	NUM(DM_INTERNAL_SUSPEND_FLAG); NUM(DM_IMA_MEASUREMENT_FLAG);
	NUM(DM_NAME_LIST_FLAG_HAS_UUID); NUM(DM_NAME_LIST_FLAG_DOESNT_HAVE_UUID);
	ABI_END();
	return 0;
}
