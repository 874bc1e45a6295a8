#!/bin/bash
# Integration test: the Package, Group and User kinds against the real apt-get/dpkg, useradd,
# usermod and logind, with systemd as PID 1. Packages come from a local apt repository of small
# packages built here with dpkg-deb (no network); the guest's apt sources are replaced by it
# (the guest's writes go to RAM and vanish with it).
#
# Runs INSIDE the guest of `run-in-vm --systemd`, from the repository; on the host,
# Tests/vm/run-systemd-tests.sh starts it.
# Usage (in the guest): accounts-packages-test.sh RECONCILE_BINARY [LOG_DIR]
set -euo pipefail

BIN=${1:?usage: accounts-packages-test.sh RECONCILE_BINARY [LOG_DIR]}
LOGS=${2:-}
# shellcheck source=Tests/vm/lib.sh
source Tests/vm/lib.sh
guest_preamble

T0=$(date +%s%N)
TMP=$(mktemp -d /tmp/reconcile-accounts-packages.XXXXXX)
M=$TMP/manifests STATE=$TMP/state REPO=$TMP/repo
LOGS=${LOGS:-$TMP/logs}
mkdir -p "$M" "$STATE" "$LOGS" "$REPO"

# --- a local apt repository: rt-lib 1.0 and 1.1, rt-app (depends on rt-lib), rt-extra --------
build_deb() {   # build_deb NAME VERSION [DEPENDS]
  local dir=$TMP/build/$1-$2
  mkdir -p "$dir/DEBIAN" "$dir/usr/share/$1"
  echo "$1 $2" >"$dir/usr/share/$1/version"
  {
    echo "Package: $1"; echo "Version: $2"; echo "Architecture: all"
    echo "Maintainer: reconcile tests <tests@reconcile.invalid>"
    [ -n "${3:-}" ] && echo "Depends: $3"
    echo "Description: reconcile test package $1"
  } >"$dir/DEBIAN/control"
  dpkg-deb --build --root-owner-group "$dir" "$REPO/${1}_${2}_all.deb" >/dev/null
}
build_deb rt-lib 1.0
build_deb rt-lib 1.1
build_deb rt-app 1.0 rt-lib
build_deb rt-extra 1.0
(cd "$REPO" && dpkg-scanpackages --multiversion . /dev/null 2>/dev/null >Packages)
rm -f /etc/apt/sources.list.d/* /etc/apt/sources.list
# The guest's 9p/tmpfs overlay does not let apt's _apt sandbox user write its partial folder.
echo 'APT::Sandbox::User "root";' >/etc/apt/apt.conf.d/99reconcile-test-sandbox
echo "deb [trusted=yes] file:$REPO ./" >/etc/apt/sources.list.d/reconcile-test.list
apt-get update -qq >/dev/null 2>&1 || { echo "not ok - apt-get update of the local repository"; exit 1; }

dpkg_version() { dpkg-query -W -f='${db:Status-Abbrev}${Version}' "$1" 2>/dev/null || echo none; }
write() { cat >"$M/$1"; }

# --- 1. packages, accounts, a folder owned by the new account, in one apply ---------------
write packages.yaml <<'YAML'
kind: Package
name: rt-app
---
kind: Package
name: rt-lib
version: "1.0"
---
kind: Package
name: rt-extra
YAML
write accounts.yaml <<'YAML'
kind: Group
name: ci
system: true
---
kind: User
name: runner
system: true
home: /home/runner
shell: /bin/bash
groups: [ci]
subordinateIds: {count: 65536}
linger: true
---
kind: Directory
name: runner-cache
path: /srv/runner-cache
mode: "0750"
owner: runner
group: ci
YAML
run_logged plan "$BIN" plan "$M" --state-dir "$STATE"
check_eq "first plan succeeds" 0 "$RC" "$LOG"
installs=$(grep -c 'run apt-get install' "$LOG" || true)
check_eq "one apt-get install for the three packages" 1 "$installs" "$LOG"
apply "packages, group, user, folder"
check_eq "rt-app installed" "ii 1.0" "$(dpkg_version rt-app)"
check_eq "rt-lib installed at the pinned version" "ii 1.0" "$(dpkg_version rt-lib)"
check_eq "rt-extra installed" "ii 1.0" "$(dpkg_version rt-extra)"
check_eq "runner is a system user in ci" "yes yes" \
  "$([ "$(id -u runner)" -lt 1000 ] && echo yes || echo no) $(id -nG runner | grep -qw ci && echo yes || echo no)"
check_eq "runner owns its home" "runner" "$(stat -c %U /home/runner 2>&1)"
check_eq "runner has 65536 subordinate uids and gids" "65536 65536" \
  "$(awk -F: '$1=="runner"{print $3}' /etc/subuid) $(awk -F: '$1=="runner"{print $3}' /etc/subgid)"
check_eq "runner lingers" "yes" "$([ -e /var/lib/systemd/linger/runner ] && echo yes || echo no)"
check_eq "the folder belongs to runner:ci" "runner:ci 750" "$(stat -c '%U:%G %a' /srv/runner-cache 2>&1)"
plan_exit "second plan" 0

# --- 2. a pinned version changes; unknown names and versions stop the plan -----------------
sed -i 's/"1.0"/"1.1"/' "$M/packages.yaml"
apply "rt-lib to 1.1"
check_eq "rt-lib upgraded" "ii 1.1" "$(dpkg_version rt-lib)"
plan_exit "after the upgrade" 0

sed -i 's/"1.1"/"1.0"/' "$M/packages.yaml"
apply "rt-lib back to 1.0 (a downgrade the plan names)"
check_eq "rt-lib downgraded" "ii 1.0" "$(dpkg_version rt-lib)"
sed -i 's/"1.0"/"1.1"/' "$M/packages.yaml"
apply "rt-lib to 1.1 again"

printf -- '---\nkind: Package\nname: rt-nosuch\n---\nkind: Package\nname: rt-extra2\nversion: "9"\n' >"$M/bad.yaml"
printf -- '---\nkind: User\nname: svc\ngroups: [nosuchgroup]\n' >>"$M/bad.yaml"
run_logged plan "$BIN" plan "$M" --state-dir "$STATE"
check_eq "unknown names and groups: plan exits 1" 1 "$RC" "$LOG"
check_eq "every problem named at once" 3 "$(grep -c 'error:' "$LOG" || true)" "$LOG"
run_logged apply "$BIN" apply "$M" --auto-approve --state-dir "$STATE"
check_eq "apply refuses too" 1 "$RC" "$LOG"
check_eq "nothing was installed" "none" "$(dpkg_version rt-nosuch)"
check_eq "no account svc" "no" "$(id svc >/dev/null 2>&1 && echo yes || echo no)"
rm "$M/bad.yaml"

# --- 3. removals: never one that takes other packages along ---------------------------------
write packages.yaml <<'YAML'
kind: Package
name: rt-app
---
kind: Package
name: rt-lib
state: absent
---
kind: Package
name: rt-extra
YAML
run_logged plan "$BIN" plan "$M" --state-dir "$STATE"
check_eq "removing rt-lib under rt-app: plan exits 1" 1 "$RC" "$LOG"
check_eq "the plan names the dependent" 1 "$(grep -c 'would also remove rt-app' "$LOG" || true)" "$LOG"
sed -i '0,/name: rt-app/s//name: rt-app\nstate: absent/' "$M/packages.yaml"
sed -i 's/^name: rt-extra$/name: rt-extra\nstate: absent/' "$M/packages.yaml"
run_logged plan "$BIN" plan "$M" --state-dir "$STATE"
check_eq "one apt-get remove for the three" 1 "$(grep -c 'run apt-get remove' "$LOG" || true)" "$LOG"
check_eq "removals are disruptive" 1 "$(grep -c 'Risk: 3 disruptive' "$LOG" || true)" "$LOG"
apply "removals"
check_eq "rt-app, rt-lib, rt-extra removed" "none none none" \
  "$(for p in rt-app rt-lib rt-extra; do v=$(dpkg_version $p); case $v in ii*) echo -n "$v ";; *) echo -n "none ";; esac; done | sed 's/ $//')"
plan_exit "after the removals" 0

# --- 4. a held package is not changed -------------------------------------------------------
write packages.yaml <<'YAML'
kind: Package
name: rt-lib
version: "1.0"
YAML
apt-get install -y -qq rt-lib=1.1 >/dev/null 2>&1 && apt-mark hold rt-lib >/dev/null
run_logged plan "$BIN" plan "$M" --state-dir "$STATE"
check_eq "held: plan exits 1" 1 "$RC" "$LOG"
check_eq "the plan says held" 1 "$(grep -c 'is held' "$LOG" || true)" "$LOG"

# --- 5. accounts removed -------------------------------------------------------------------
rm "$M/packages.yaml"
write accounts.yaml <<'YAML'
kind: User
name: runner
state: absent
---
kind: Group
name: ci
state: absent
YAML
apply "user and group absent"
check_eq "runner and ci are gone" "no no" "$(id runner >/dev/null 2>&1 && echo yes || echo no) $(getent group ci >/dev/null && echo yes || echo no)"
plan_exit "after the removals" 0

summary "$T0"
[ "$FAILED" -eq 0 ]
