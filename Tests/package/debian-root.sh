# shellcheck shell=bash
# Debian roots in folders, for tests that need a host without Swift (sourced by
# Tests/package/install-test.sh and Tests/fleet/run-fleet-test.sh; root only).
#
# A root is debootstrapped once (--variant=minbase, this machine's release, from the apt source
# this machine uses for it, or DEBOOTSTRAP_MIRROR) and kept as a tarball in ROOTS_CACHE
# (default: the repo's .build/package-test); roots with more packages are made from it and kept
# the same way. Packages apt fetched go to ROOTS_CACHE/archives and are handed to later roots,
# so a run after the first needs no network. Delete ROOTS_CACHE to start afresh.
# Needs REPO set; defines SUITE, ARCH and the functions below; failures call die.

ROOTS_CACHE=${PACKAGE_TEST_CACHE:-$REPO/.build/package-test}
SUITE=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
ARCH=$(dpkg --print-architecture)
[ -n "$SUITE" ] || die "no VERSION_CODENAME in /etc/os-release: which Debian release is this?"
for tool in debootstrap chroot tar mount umount mountpoint apt-cache; do
  command -v "$tool" >/dev/null || die "missing $tool (scripts/setup installs debootstrap)"
done
mkdir -p "$ROOTS_CACHE/archives"

# in_root DIR CMD...: CMD in the root, with a plain environment (none of this machine's PATH).
in_root() {
  local dir=$1; shift
  chroot "$dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb "$@"
}

# root_apt_install DIR LOG APT-ARGS...: apt-get install in the root, from the shared archives
# first (the fetched ones are kept there for the next root).
root_apt_install() {
  local dir=$1 log=$2 status=0; shift 2
  cp -n "$ROOTS_CACHE/archives/"*.deb "$dir/var/cache/apt/archives/" 2>/dev/null || true
  in_root "$dir" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Use-Pty=0 "$@" >>"$log" 2>&1 || status=$?
  cp -n "$dir/var/cache/apt/archives/"*.deb "$ROOTS_CACHE/archives/" 2>/dev/null || true
  return "$status"
}

# root_tarball NAME [PACKAGE...]: ROOTS_CACHE/SUITE-ARCH-NAME.tar, made if missing: minbase
# (debootstrap), plus PACKAGES installed without recommends. Prints its path.
root_tarball() {
  local name=$1; shift
  local tarball=$ROOTS_CACHE/$SUITE-$ARCH-$name.tar
  [ -s "$tarball" ] && { echo "$tarball"; return 0; }
  local work
  work=$(mktemp -d "$ROOTS_CACHE/make-$name.XXXXXX")
  if [ "$#" = 0 ]; then
    local mirror=${DEBOOTSTRAP_MIRROR:-$(apt-cache policy | awk -v s="$SUITE/main" -v a="$ARCH" '$3 == s && $4 == a {print $2; exit}')}
    [ -n "$mirror" ] || die "this machine has no apt source for $SUITE/main ($ARCH): set DEBOOTSTRAP_MIRROR"
    echo "# debootstrap --variant=minbase $SUITE from $mirror (once; kept in $tarball)" >&2
    debootstrap --variant=minbase --arch="$ARCH" "$SUITE" "$work/root" "$mirror" >"$work.log" 2>&1 \
      || die "debootstrap failed ($work.log): $(tail -5 "$work.log")"
    cp /etc/resolv.conf "$work/root/etc/resolv.conf"
    # No translations of package descriptions: 13 MB less in every tarball.
    echo 'Acquire::Languages "none";' >"$work/root/etc/apt/apt.conf.d/50reconcile-test-no-translations"
    in_root "$work/root" apt-get update -q >>"$work.log" 2>&1 || die "apt-get update in the new root failed ($work.log)"
    rm -f "$work/root/var/cache/apt/archives/"*.deb "$work/root/etc/resolv.conf"
  else
    echo "# making $tarball: $* on minbase (once)" >&2
    local base
    base=$(root_tarball minbase)
    mkdir "$work/root"
    tar -C "$work/root" --numeric-owner -xf "$base"
    cp /etc/resolv.conf "$work/root/etc/resolv.conf"
    root_apt_install "$work/root" "$work.log" --no-install-recommends "$@" \
      || die "apt-get install $* in the new root failed ($work.log): $(tail -5 "$work.log")"
    rm -f "$work/root/var/cache/apt/archives/"*.deb "$work/root/etc/resolv.conf" "$work/root/etc/ssh/ssh_host_"*
  fi
  # apt's binary caches (80 MB) are made again from the lists when apt first runs.
  rm -f "$work/root/var/cache/apt/"*.bin
  tar -C "$work/root" --numeric-owner -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
  rm -rf --one-file-system "$work" "$work.log"
  echo "$tarball"
}

# root_unpack TARBALL DIR: a fresh root in DIR with /proc mounted (root_release DIR undoes it).
root_unpack() {
  mkdir -p "$2"
  tar -C "$2" --numeric-owner -xf "$1" || die "cannot unpack $1 into $2"
  [ -c "$2/dev/null" ] || die "$2/dev/null is not a device (debootstrap makes it when run as root)"
  mount -t proc proc "$2/proc" || die "cannot mount /proc in $2"
  cp /etc/resolv.conf "$2/etc/resolv.conf"   # apt in the root may fetch what the archives lack
}

# root_release DIR: unmounts its /proc; returns non-zero if it stays mounted (then never rm -rf it).
root_release() {
  if mountpoint -q "$1/proc"; then umount "$1/proc" 2>/dev/null || umount -l "$1/proc"; fi
  ! mountpoint -q "$1/proc"
}
