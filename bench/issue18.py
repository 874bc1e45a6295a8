#!/usr/bin/env python3
"""Issue 18's benchmarks in one run: two reconcile builds (before, after) and Puppet, alternating.

    bench/issue18.py --old OLD/reconcile --new NEW/reconcile [--runs 3] [--work DIR] [--no-puppet]

Workloads (bench/gen.py): 10,000 files (content + mode), 2,000 SystemdUnits (every other one
enabled), the mixed 10,000 (no LVs: they cannot be staged). Every command runs under --root into
a staging folder; "apply" starts from an empty one each run, "no-op plan" plans again after it
(exit status 0 checked). Each measurement is /usr/bin/time's wall seconds and peak RSS; medians
of --runs runs. Processes: strace -f execve lines of one apply of the mixed workload at
N = 100, 1,000, 10,000 per build. Results: bench/results/issue18.csv (every run) and
bench/results/issue18-processes.csv; summarize with bench/issue18-summary.py.
"""
import argparse
import csv
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(argv, env=None, expect=(0, 2)):
    """(wall seconds, peak KiB) of one run; raises when the exit status is not expected."""
    out = subprocess.run(["/usr/bin/time", "-f", "%e %M", *argv], capture_output=True, text=True, env=env)
    if out.returncode not in expect:
        raise SystemExit(f"{argv} exited {out.returncode}: {out.stderr[-2000:]}")
    wall, peak = out.stderr.strip().splitlines()[-1].split()
    return float(wall), int(peak)


def fresh(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def processes(binary, stage, manifests):
    trace = stage + ".strace"
    subprocess.run(["strace", "-f", "-qq", "-e", "trace=execve", "-e", "signal=none", "-o", trace,
                    binary, "apply", "--auto-approve", "--root", stage, *manifests],
                   check=True, capture_output=True, env=ENV)
    programs = {}
    lines = [line for line in open(trace) if "execve(" in line and "= -1" not in line]
    for line in lines[1:]:
        name = line.split('execve("', 1)[1].split('"', 1)[0].rsplit("/", 1)[-1]
        programs[name] = programs.get(name, 0) + 1
    return len(lines) - 1, " ".join(f"{k}x{v}" for k, v in sorted(programs.items()))


ENV = dict(os.environ, BENCH_RUNNER_TOKEN="glrt-bench-not-a-secret")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--old", required=True)
    parser.add_argument("--new", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", default="/root/bench/issue18")
    parser.add_argument("--no-puppet", action="store_true")
    args = parser.parse_args()
    work = args.work
    os.makedirs(work, exist_ok=True)
    gen = [sys.executable, os.path.join(HERE, "gen.py")]
    subprocess.run(gen + ["files", "10000", f"{work}/files", f"{work}/files-stage"], check=True)
    subprocess.run(gen + ["units", "2000", f"{work}/units"], check=True)
    subprocess.run(gen + ["bigfiles", "50000", f"{work}/bigfiles"], check=True)
    for n in (100, 1000, 10000):
        subprocess.run(gen + ["mixed", str(n), f"{work}/mixed{n}"], check=True)
    builds = {"old": args.old, "new": args.new}
    workloads = {
        "files 10,000": [f"{work}/files/files.yaml"],
        "units 2,000 (1,000 enabled)": [f"{work}/units/units.yaml"],
        "mixed 10,000 (no LVs)": [f"{work}/mixed10000/live"],
    }
    results = os.path.join(HERE, "results", "issue18.csv")
    with open(results, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["run", "workload", "tool", "operation", "wall_s", "peak_kib", "loadavg"])
        for run in range(1, args.runs + 1):
            for workload, manifests in workloads.items():
                for build, binary in builds.items():
                    # A new folder each run, removed only at the end: ext4 creates slow down right
                    # after many deletes (it skips recently deleted inodes), which would bias the run after.
                    stage = fresh(f"{work}/stages/{build}-{run}-{workload.split()[0]}")
                    load = os.getloadavg()[0]
                    wall, peak = timed([binary, "apply", "--auto-approve", "--root", stage, *manifests], env=ENV)
                    writer.writerow([run, workload, f"reconcile {build}", "apply", wall, peak, load])
                    wall, peak = timed([binary, "plan", "--detailed-exitcode", "--root", stage, *manifests], env=ENV, expect=(0,))
                    writer.writerow([run, workload, f"reconcile {build}", "no-op plan", wall, peak, os.getloadavg()[0]])
                    f.flush()
                    print(f"run {run} {workload} {build}: done", flush=True)
                if workload.startswith("files") and not args.no_puppet:
                    # bench/gen.py wrote site.pp for files under {work}/files-stage/puppet.
                    shutil.rmtree(f"{work}/files-stage/puppet", ignore_errors=True)
                    load = os.getloadavg()[0]
                    wall, peak = timed(["puppet", "apply", f"{work}/files/site.pp"], expect=(0, 2))
                    writer.writerow([run, workload, "puppet", "apply", wall, peak, load])
                    wall, peak = timed(["puppet", "apply", "--noop", f"{work}/files/site.pp"], expect=(0, 2))
                    writer.writerow([run, workload, "puppet", "no-op plan", wall, peak, os.getloadavg()[0]])
                    f.flush()
                    print(f"run {run} {workload} puppet: done", flush=True)
    # plan --out of 50,000 new 4 KiB files (a 212 MB manifest): time, memory, the saved plan's size.
    big = f"{work}/bigfiles/bigfiles.yaml"
    with open(results, "a", newline="") as f:
        writer = csv.writer(f)
        for run in range(1, args.runs + 1):
            for build, binary in builds.items():
                stage = fresh(f"{work}/big-stage-{build}")
                out = f"{work}/big-plan-{build}.json"
                load = os.getloadavg()[0]
                wall, peak = timed([binary, "plan", "--root", stage, "--out", out, big])
                writer.writerow([run, "plan --out, 50,000 files of 4 KiB", f"reconcile {build}", f"saved plan {os.path.getsize(out)} B", wall, peak, load])
                f.flush()
                print(f"run {run} bigfiles {build}: done", flush=True)
    with open(os.path.join(HERE, "results", "issue18-processes.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["n", "tool", "processes", "programs"])
        for n in (100, 1000, 10000):
            for build, binary in builds.items():
                count, programs = processes(binary, fresh(f"{work}/stage-{build}"), [f"{work}/mixed{n}/live"])
                writer.writerow([n, f"reconcile {build}", count, programs])
                print(f"processes n={n} {build}: {count} ({programs})", flush=True)
    shutil.rmtree(f"{work}/stages", ignore_errors=True)
    print(f"wrote {results} at {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")


if __name__ == "__main__":
    main()
