#ifndef RECONCILE_CSYSTEMCALLS_H
#define RECONCILE_CSYSTEMCALLS_H

#include <spawn.h>

/// openat2(2) has no glibc wrapper on Debian 12 and syscall(2) is variadic, which Swift cannot
/// call: this header gives Swift the one call, with the resolve flags it uses.
int reconcile_openat2(int dirfd, const char *path, unsigned long long flags, unsigned long long mode,
                      unsigned long long resolve);

extern const unsigned long long RECONCILE_RESOLVE_NO_XDEV;
extern const unsigned long long RECONCILE_RESOLVE_NO_MAGICLINKS;
extern const unsigned long long RECONCILE_RESOLVE_NO_SYMLINKS;
extern const unsigned long long RECONCILE_RESOLVE_BENEATH;
extern const unsigned long long RECONCILE_RESOLVE_IN_ROOT;

/// Linux-only flags glibc shows only under _GNU_SOURCE, which Swift's Glibc module does not set.
extern const int RECONCILE_O_PATH;
extern const int RECONCILE_AT_EMPTY_PATH;

/// syncfs(2), declared by glibc only under _GNU_SOURCE: one flush of a whole file system.
int reconcile_syncfs(int fd);

/// pipe2(2), declared by glibc only under _GNU_SOURCE: pipes made close-on-exec at once, so a
/// process another thread starts meanwhile does not inherit them.
int reconcile_pipe2(int fds[2], int flags);

/// posix_spawn_file_actions_addclosefrom_np (glibc 2.34), declared only under _GNU_SOURCE: the
/// child closes every descriptor from `from` up, also those opened without O_CLOEXEC.
int reconcile_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int from);

#endif
