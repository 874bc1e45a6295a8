#!/bin/bash
# Acceptance test: the whole seed on one host, from one apply of the bundled example.
#
# The guest starts with none of the example's state: no gitlab-runner account, Debian's stock
# Exim settings (dc_use_split_config='false') and an unconfigured tor, both stopped, and two
# empty loop disks in VG "storage" (the example's /dev/loop0 and /dev/loop1, standing in for
# the seed's RAID arrays). Inputs an operator provides are put in place: the runner token file,
# a stand-in for the gitlab-runner binary (not packaged here), and the application server on
# /run/app.sock that the capture proxy sits in front of. Then ONE `reconcile apply` of
# manifests/example as mx1.example.org, and each procedure is checked for real:
#   - Exim routes a mapped domain through the onion transport to the address tor's DNSPort
#     returns for the onion (tor has no network here, but it answers automapped addresses);
#   - the runner's executor runs a job in rootless podman as gitlab-runner (image imported);
#   - the capture proxy relays to the server and the pcap records the traffic;
#   - the cached LV is mounted at /srv/data with its ext4 filesystem;
# and a second plan is empty.
#
# Runs INSIDE the guest of `run-in-vm --systemd -k tun`, from the repository; on the host,
# Tests/vm/run-systemd-tests.sh starts it.
# Usage (in the guest): acceptance-test.sh RECONCILE_BINARY [LOG_DIR]
set -euo pipefail

BIN=${1:?usage: acceptance-test.sh RECONCILE_BINARY [LOG_DIR]}
LOGS=${2:-}
# shellcheck source=Tests/vm/lib.sh
source Tests/vm/lib.sh
guest_preamble

T0=$(date +%s%N)
TMP=$(mktemp -d /tmp/reconcile-acceptance.XXXXXX)
chmod 755 "$TMP"
STATE=$TMP/state M=$PWD/manifests/example
LOGS=${LOGS:-$TMP/logs}
mkdir -p "$STATE" "$LOGS"
HOST=(--host mx1.example.org --label role=mx --label runner=podman)
RUNNER=gitlab-runner HOME_DIR=/home/gitlab-runner

# --- the starting point ---------------------------------------------------------------------
check_eq "start: no runner account" "no" "$(id $RUNNER >/dev/null 2>&1 && echo yes || echo no)"
check_eq "start: Debian's Exim ignores conf.d" "dc_use_split_config='false'" \
  "$(grep '^dc_use_split_config' /etc/exim4/update-exim4.conf.conf)"
check_eq "start: tor and exim4 stopped" "inactive inactive" "$(is_active tor@default.service) $(is_active exim4.service)"
truncate -s 2G "$TMP/slow.img" && truncate -s 512M "$TMP/fast.img"
slow=$(losetup --show /dev/loop0 "$TMP/slow.img") && fast=$(losetup --show /dev/loop1 "$TMP/fast.img")
pvcreate -q "$slow" "$fast" && vgcreate -q storage "$slow" "$fast"
check_eq "start: the VG holds no LV" "0" "$(vgs --noheadings -o lv_count storage | tr -d ' ')"

mkdir -p /etc/reconcile/secrets
(umask 077; printf 'glrt-acceptance-not-a-real-token\n' >/etc/reconcile/secrets/gitlab-runner-token)
printf '#!/bin/sh\n# Stand-in for gitlab-runner: run stays up as the service user.\n[ "$1" = run ] && exec sleep infinity\nexit 0\n' \
  >/usr/local/bin/gitlab-runner && chmod 755 /usr/local/bin/gitlab-runner
# The hourly monitoring plan (50-monitoring.yaml) runs the installed /usr/bin/reconcile on the
# manifests shipped to /etc/reconcile/manifests, as this host (labels from /etc/reconcile/labels).
ln -sf "$(realpath "$BIN")" /usr/bin/reconcile
mkdir -p /etc/reconcile/manifests && cp -r "$M"/*.yaml "$M"/groups /etc/reconcile/manifests/
printf 'role=mx\nrunner=podman\n' >/etc/reconcile/labels
systemd-run --quiet --unit=app-server /usr/bin/socat "UNIX-LISTEN:/run/app.sock,fork,unlink-early,mode=660" "EXEC:tr a-z A-Z"
poll 10 test -S /run/app.sock || not_ok "the application server listens on /run/app.sock"

# --- one apply --------------------------------------------------------------------------------
run_logged apply "$BIN" apply "${HOST[@]}" --auto-approve --state-dir "$STATE" "$M"
check_eq "one apply of the example converges" 0 "$RC" "$LOG"
run_logged plan "$BIN" plan "${HOST[@]}" --detailed-exitcode --state-dir "$STATE" "$M"
check_eq "the second plan is empty" 0 "$RC" "$LOG"

# --- Ehlo Onion: Exim routes through Tor -------------------------------------------------------
check_eq "tor and exim4 run" "active active" "$(is_active tor@default.service) $(is_active exim4.service)"
check_eq "and start at boot (tor.service; exim4's SysV links)" "enabled yes" \
  "$(is_enabled tor.service) $(ls /etc/rc2.d/S*exim4 >/dev/null 2>&1 && echo yes || echo no)"
onion=tdgbhiqjnq7osklj6k7e4y37xhx6ytznp7ozqc2qxoqfhxfg3c5ygsid.onion
tor_answer() {   # the A record tor's DNSPort gives for the onion (Net::DNS, as Exim's lookup uses)
  perl -MNet::DNS -e '$r = Net::DNS::Resolver->new(nameservers => ["127.0.0.1"], port => 5300, udp_timeout => 2, retry => 1);
    $q = $r->query($ARGV[0], "A") or exit 1; for ($q->answer) { if ($_->type eq "A") { print $_->address, "\n"; exit 0 } } exit 1' "$onion" 2>/dev/null
}
poll 30 test -n "$(tor_answer)" || true
mapped=$(tor_answer)
check_eq "tor's DNSPort maps the onion to an address" "yes" "$([[ "$mapped" =~ ^127\. ]] && echo yes || echo "no ($mapped)")"
run_logged exim-bt exim -bt postmaster@example.org
check_eq "exim routes example.org with the onion router and transport" "yes" \
  "$(grep -q 'router = onionrelays, transport = onion_relay' "$LOG" && echo yes || echo no)" "$LOG"
check_eq "to the address tor returned" "yes" "$(grep -q "host $mapped " "$LOG" && echo yes || echo no)" "$LOG"
run_logged exim-bt-other exim -bt postmaster@unmapped.example
check_eq "an unmapped domain does not take the onion route" "no" \
  "$(grep -q 'onion_relay' "$LOG" && echo yes || echo no)" "$LOG"

# --- GitLab CI with podman: a job in rootless podman ----------------------------------------------
check_eq "the runner service runs as gitlab-runner" "active $(id -u $RUNNER)" \
  "$(is_active gitlab-runner.service) $(awk '/^Uid:/{print $2}' "/proc/$(unit_prop gitlab-runner.service MainPID)/status" 2>&1)"
as_runner() {
  systemd-run --quiet --wait --pipe --uid="$RUNNER" --gid="$RUNNER" -p WorkingDirectory="$HOME_DIR" \
    --setenv=BUILD_FAILURE_EXIT_CODE=1 --setenv=SYSTEM_FAILURE_EXIT_CODE=2 \
    --setenv=CUSTOM_ENV_CI_RUNNER_ID=1 --setenv=CUSTOM_ENV_CI_PROJECT_ID=2 \
    --setenv=CUSTOM_ENV_CI_CONCURRENT_PROJECT_ID=0 --setenv=CUSTOM_ENV_CI_JOB_ID=3 "$@"
}
rootfs=$TMP/rootfs && mkdir -p "$rootfs/bin" "$rootfs/tmp" && chmod 1777 "$rootfs/tmp"
cp "$(command -v busybox)" "$rootfs/bin/busybox"
for applet in $(busybox --list); do
  [ "$applet" = bash ] || [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
done
cp "$(command -v bash)" "$rootfs/bin/bash"
ldd "$(command -v bash)" | grep -o '/[^ ]*' | while read -r lib; do cp -L --parents "$lib" "$rootfs"; done
tar --numeric-owner --owner=0 --group=0 -C "$rootfs" -cf "$TMP/image.tar" . && chmod 644 "$TMP/image.tar"
run_logged import as_runner podman import --quiet "$TMP/image.tar" registry.example.org/base/fedora:40
check_eq "the example's image is imported into gitlab-runner's own storage" 0 "$RC" "$LOG"
scripts=$HOME_DIR/podman-fedora
run_logged prepare as_runner "$scripts/prepare.sh"
check_eq "prepare starts the job's container" 0 "$RC" "$LOG"
printf 'echo "$BASH_VERSION" > /home/user/cache/job-ran\n' >"$TMP/job.sh" && chmod 644 "$TMP/job.sh"
run_logged run as_runner "$scripts/run.sh" "$TMP/job.sh" build_script
check_eq "the job runs in bash in the container" 0 "$RC" "$LOG"
check_eq "and wrote to the runner's cache as gitlab-runner" "$RUNNER" \
  "$(stat -c %U "$HOME_DIR/_cache/runner-1-project-2-concurrent-0/job-ran" 2>&1)"
run_logged rootless as_runner podman info --format '{{.Host.Security.Rootless}}'
check_eq "in rootless podman" "true" "$(grep -x 'true' "$LOG" || true)" "$LOG"
run_logged cleanup as_runner "$scripts/cleanup.sh"
check_eq "cleanup removes it" "0 0" "$RC $(as_runner podman ps -aq | wc -l)"

# --- Intercept traffic sent over a socket -----------------------------------------------------------
talk() { printf 'hello through the proxy\n' | timeout 10 socat -t5 - UNIX-CONNECT:/run/app.sock.proxy 2>&1 || true; }
answers() { [ "$(talk)" = "HELLO THROUGH THE PROXY" ]; }
poll 30 answers || true
check_eq "the proxy relays to the server" "HELLO THROUGH THE PROXY" "$(talk)"
recorded() {
  local file text
  for file in /var/lib/reconcile/capture/app.pcap*; do
    text=$(tcpdump -r "$file" -nn -A 2>/dev/null) || continue
    grep -q 'hello through the proxy' <<<"$text" && grep -q 'HELLO THROUGH THE PROXY' <<<"$text" && return 0
  done
  return 1
}
check_eq "the pcap records both directions" "yes" "$(poll 15 recorded && echo yes || echo no)"

# --- lvm cache create + resize -------------------------------------------------------------------
check_eq "the LV is cached (writeback, on the fast disk)" "cache writeback" \
  "$(lvs --noheadings -o segtype,cache_mode storage/slowlv | tr -s ' ' | sed 's/^ //')"
check_eq "and mounted at /srv/data with its ext4 filesystem" "/dev/mapper/storage-slowlv ext4" \
  "$(findmnt -n -o SOURCE,FSTYPE /srv/data 2>&1)"
size=$(df -BM --output=size /srv/data | tail -1 | tr -dc 0-9)
check_eq "of the example's 1536 MiB" "yes" "$([ "${size:-0}" -gt 1300 ] && echo yes || echo "no ($size MiB)")"

# --- monitoring: the hourly plan's metrics --------------------------------------------------------
check_eq "the monitoring timer is active and enabled" "active enabled" \
  "$(is_active reconcile-plan.timer) $(is_enabled reconcile-plan.timer)"
check_eq "and schedules reconcile-plan.service" "reconcile-plan.service" \
  "$(systemctl show -P Unit reconcile-plan.timer)"
run_logged monitoring-run systemctl start reconcile-plan.service
check_eq "one run of the plan service succeeds" 0 "$RC" "$(journalctl -u reconcile-plan.service --no-pager 2>&1 | tail -20)"
PROM=/var/lib/prometheus/node-exporter/reconcile.prom
check_eq "it leaves metrics for node_exporter: the plan made" "yes" \
  "$(grep -q '^reconcile_plan_success{host="[^"]*"} 1$' "$PROM" 2>/dev/null && echo yes || echo no)" "$(cat "$PROM" 2>&1)"
check_eq "nothing drifted" "yes" \
  "$(grep -q '^reconcile_drifted_resources{host="[^"]*"} 0$' "$PROM" && echo yes || echo no)" "$(cat "$PROM" 2>&1)"

summary "$T0"
[ "$FAILED" -eq 0 ]
