#ifndef RECONCILE_CSYSTEMCALLS_H
#define RECONCILE_CSYSTEMCALLS_H

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

#endif
