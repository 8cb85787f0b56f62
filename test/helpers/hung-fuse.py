# A hung mount without a FUSE library: mount a FUSE file system whose server never answers
# (not even FUSE_INIT), so that stat(2) of its root blocks in the kernel, as on a hung NFS mount.
# This process then holds an O_PATH fd on the mount's root (readlink of /proc/PID/fd/N names it)
# and prints "ready PID"; it stays until killed. Closing /dev/fuse (its death) aborts the mount's
# requests; the caller unmounts (umount -l). Needs root and /dev/fuse.
import os, subprocess, sys, time

mnt = sys.argv[1]
fd = os.open('/dev/fuse', os.O_RDWR)
os.set_inheritable(fd, True)
subprocess.run(['mount', '-t', 'fuse', '-o', f'fd={fd},rootmode=40000,user_id=0,group_id=0', 'cr-test-hung', mnt], check=True, pass_fds=[fd])
held = os.open(mnt, os.O_PATH)
print(f'ready {os.getpid()}', flush=True)
while True:
    time.sleep(3600)
