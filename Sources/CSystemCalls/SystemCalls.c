#define _GNU_SOURCE
#include "CSystemCalls.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <spawn.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

const unsigned long long RECONCILE_RESOLVE_NO_XDEV = RESOLVE_NO_XDEV;
const unsigned long long RECONCILE_RESOLVE_NO_MAGICLINKS = RESOLVE_NO_MAGICLINKS;
const unsigned long long RECONCILE_RESOLVE_NO_SYMLINKS = RESOLVE_NO_SYMLINKS;
const unsigned long long RECONCILE_RESOLVE_BENEATH = RESOLVE_BENEATH;
const unsigned long long RECONCILE_RESOLVE_IN_ROOT = RESOLVE_IN_ROOT;
const int RECONCILE_O_PATH = O_PATH;
const int RECONCILE_AT_EMPTY_PATH = AT_EMPTY_PATH;

int reconcile_openat2(int dirfd, const char *path, unsigned long long flags, unsigned long long mode,
                      unsigned long long resolve) {
#ifdef SYS_openat2
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = flags;
    how.mode = mode;
    how.resolve = resolve;
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
#else
    errno = ENOSYS;
    return -1;
#endif
}

int reconcile_syncfs(int fd) { return syncfs(fd); }

int reconcile_pipe2(int fds[2], int flags) { return pipe2(fds, flags); }

int reconcile_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}
