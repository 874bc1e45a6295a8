#!/bin/sh
# Live units benchmark (issue 18), run on the host: boots ../shared/vm/run-in-vm --systemd (real
# systemd as PID 1, qemu without KVM here) once per build and, inside, times
#   reconcile apply --auto-approve units.yaml      (N units written, every other one enabled)
#   reconcile plan --detailed-exitcode units.yaml  (the no-op plan after it; exit 0 checked)
# and counts the processes the apply started (strace -f, execve).
#
#   bench/vm-units.sh N OUT BIN...     e.g. bench/vm-units.sh 2000 /root/bench/vm old/reconcile new/reconcile
#
# The guest cannot see the host's /tmp: the binaries and OUT must be elsewhere (/root).
# Output: OUT/BUILD.txt per build with "apply SECONDS", "plan SECONDS", "no-op-apply SECONDS",
# "daemon-reload-alone SECONDS" (systemd's own share), "processes N (programs)".
set -eu
if [ "${RUN_IN_VM_SYSTEMD:-}" = 1 ]; then
    # In the guest: $1 binary, $2 manifest, $3 result file.
    bin="$1"; manifest="$2"; result="$3"
    systemctl is-system-running --wait >/dev/null 2>&1 || true
    start=$(date +%s.%N)
    # --seccomp-bpf: only execve stops the traced process (without it every system call of the
    # apply's 2,000 writes went through ptrace, which under emulation took minutes).
    strace -f --seccomp-bpf -qq -e trace=execve -e signal=none -o "$result.strace" "$bin" apply --auto-approve "$manifest" >/dev/null 2>"$result.apply-stderr"
    end=$(date +%s.%N)
    echo "apply $(awk "BEGIN { print $end - $start }")" > "$result"
    start=$(date +%s.%N)
    status=0
    "$bin" plan --detailed-exitcode "$manifest" >/dev/null 2>"$result.plan-stderr" || status=$?
    end=$(date +%s.%N)
    echo "plan $(awk "BEGIN { print $end - $start }") exit $status" >> "$result"
    start=$(date +%s.%N)
    "$bin" apply --auto-approve "$manifest" >/dev/null 2>&1
    end=$(date +%s.%N)
    echo "no-op-apply $(awk "BEGIN { print $end - $start }")" >> "$result"
    # systemd's own share: one more daemon-reload with the same 2,000 units on disk.
    start=$(date +%s.%N)
    systemctl daemon-reload
    end=$(date +%s.%N)
    echo "daemon-reload-alone $(awk "BEGIN { print $end - $start }")" >> "$result"
    enabled=$(systemctl is-enabled $(sed -n 's/^name: //p' "$manifest") 2>/dev/null | grep -c '^enabled$' || true)
    echo "enabled-after $enabled" >> "$result"
    programs=$(grep -o 'execve("[^"]*"' "$result.strace" | sed 's/execve("//; s/"//; s|.*/||' | sort | uniq -c | awk '{print $2 "x" $1}' | tr '\n' ' ')
    echo "processes $(($(grep -c 'execve(' "$result.strace") - 1)) ($programs)" >> "$result"
    exit 0
fi
[ $# -ge 3 ] || { sed -n 2,11p "$0" >&2; exit 1; }
count="$1"; out="$2"; shift 2
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$out/units"
python3 "$here/gen.py" units "$count" "$out/units"
cp "$0" "$out/vm-units.sh"
for bin in "$@"; do
    name="$(basename "$(dirname "$bin")")-$(basename "$bin")"
    cp "$bin" "$out/$name"
    "$here/../../shared/vm/run-in-vm" --systemd -t 3000 -w "$out" -- \
        "$out/vm-units.sh" "$out/$name" "$out/units/units.yaml" "$out/$name.txt" || echo "$name: VM exited $?" >&2
    echo "== $name"; cat "$out/$name.txt"
done
