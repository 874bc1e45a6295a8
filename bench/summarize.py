#!/usr/bin/env python3
"""Turns bench/results/results.csv and processes.csv into summary.md and time-vs-n.png."""
import csv
import os
import statistics
import sys
from collections import defaultdict

res = sys.argv[1] if len(sys.argv) > 1 else "bench/results"
rows = list(csv.DictReader(open(f"{res}/results.csv")))
cell = defaultdict(list)
for r in rows:
    cell[(int(r["n"]), r["workload"], r["tool"], r["op"])].append((float(r["wall_s"]), int(r["peak_kb"])))
# Rows carried over from an earlier run (kept.csv, same columns) fill cells this run did not
# measure; they are marked † in the tables and dashed in the plot.
kept = set()
if os.path.exists(f"{res}/kept.csv"):
    for r in csv.DictReader(open(f"{res}/kept.csv")):
        key = (int(r["n"]), r["workload"], r["tool"], r["op"])
        if key in cell and key not in kept:
            continue
        kept.add(key)
        cell[key].append((float(r["wall_s"]), int(r["peak_kb"])))


def med(key):
    v = cell.get(key)
    if not v:
        return None
    return statistics.median(w for w, _ in v), statistics.median(m for _, m in v) / 1024, len(v), key in kept


def fmt(m):
    if m is None:
        return "—"
    runs = "" if m[2] == 3 else f" ({m[2]} run{'s' if m[2] > 1 else ''})"
    return f"{m[0]:.2f} s, {m[1]:.0f} MiB" + runs + (" †" if m[3] else "")


ns = sorted({k[0] for k in cell})
out = []
out.append("### reconcile, mixed kinds\n")
out.append("| N | validate | plan --facts (all kinds) | apply --root (no LVs) | no-op plan --root (no LVs) |")
out.append("| ---: | --- | --- | --- | --- |")
for n in ns:
    out.append(f"| {n:,} | " + " | ".join(fmt(med((n, "mixed", "reconcile", op))) for op in ("validate", "plan-facts", "apply", "noop-plan")) + " |")
out.append("\n### N files with content and mode: reconcile, Puppet, Ansible (interleaved when measured in one run)\n")
ops = {"check-fresh": "dry run, nothing in place", "apply": "apply, nothing in place", "check-noop": "dry run after apply (no-op)"}
out.append("| N | operation | reconcile | puppet apply | ansible-playbook | puppet / reconcile | ansible / reconcile |")
out.append("| ---: | --- | --- | --- | --- | ---: | ---: |")
for n in ns:
    for op, label in ops.items():
        r, p, a = (med((n, "files", t, op)) for t in ("reconcile", "puppet", "ansible"))
        ratio = lambda x: "—" if x is None or r is None else f"{x[0] / r[0]:.0f}× time, {x[1] / r[1]:.1f}× mem"
        out.append(f"| {n:,} | {label} | {fmt(r)} | {fmt(p)} | {fmt(a)} | {ratio(p)} | {ratio(a)} |")
if kept:
    out.append("\n† not measured in this run: kept from an earlier one (`kept.csv`), see BENCHMARKS.md.")
out.append("\n### External processes spawned (strace -f, execve, the reconcile process itself not counted)\n")
out.append("| N | workload | command | processes | programs |")
out.append("| ---: | --- | --- | ---: | --- |")
for r in csv.DictReader(open(f"{res}/processes.csv")):
    out.append(f"| {int(r['n']):,} | {r['workload']} | `{r['command']}` | {r['processes']} | {r['programs'] or '—'} |")
out.append("\n### Targets\n")
t1 = med((10000, "files", "reconcile", "check-noop"))
t2 = med((10000, "mixed", "reconcile", "plan-facts"))
if t1:
    ok = t1[0] <= 0.3 and t1[1] <= 100
    out.append(f"- no-op live plan of 10,000 files ≤ 0.3 s and ≤ 100 MiB: {t1[0]:.2f} s, {t1[1]:.0f} MiB → **{'met' if ok else 'missed'}**")
if t2:
    ok = t2[0] < 1 and t2[1] < 200
    out.append(f"- plan of 10,000 mixed resources from facts < 1 s and < 200 MiB: {t2[0]:.2f} s, {t2[1]:.0f} MiB → **{'met' if ok else 'missed'}**")
open(f"{res}/summary.md", "w").write("\n".join(out) + "\n")
print("\n".join(out))

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

fig, axes = plt.subplots(1, 3, figsize=(13, 4.2), sharey=True)
series = [
    (axes[0], "files", "check-noop", "dry run after apply (no-op)"),
    (axes[1], "files", "apply", "apply, nothing in place"),
    (axes[2], "files", "check-fresh", "dry run, nothing in place"),
]
colors = {"reconcile": "tab:blue", "puppet": "tab:orange", "ansible": "tab:red"}
for ax, wl, op, title in series:
    for tool in ("reconcile", "puppet", "ansible"):
        pts = [(n, med((n, wl, tool, op))) for n in ns]
        pts = [(n, m[0]) for n, m in pts if m]
        if pts:
            old = any((n, wl, tool, op) in kept for n in ns)
            ax.plot([p[0] for p in pts], [p[1] for p in pts], "o:" if old else "o-", color=colors[tool],
                    label=f"{tool} (files)" + (", earlier run" if old else ""))
    if op in ("check-noop", "apply"):
        mop = "noop-plan" if op == "check-noop" else "apply"
        pts = [(n, med((n, "mixed", "reconcile", mop))) for n in ns]
        pts = [(n, m[0]) for n, m in pts if m]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], "s--", color="tab:cyan", label="reconcile (mixed kinds, no LVs)")
    else:
        pts = [(n, med((n, "mixed", "reconcile", "plan-facts"))) for n in ns]
        pts = [(n, m[0]) for n, m in pts if m]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], "s--", color="tab:green", label="reconcile plan --facts (mixed)")
    ax.set_xscale("log"); ax.set_yscale("log"); ax.set_title(title); ax.set_xlabel("N resources")
    ax.grid(True, which="both", alpha=0.3); ax.legend(fontsize=7)
axes[0].set_ylabel("wall time, s (median)")
fig.tight_layout()
fig.savefig(f"{res}/time-vs-n.png", dpi=90)
