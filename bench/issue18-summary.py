#!/usr/bin/env python3
"""Tables (markdown) and a plot from bench/issue18.py's results.

    bench/.venv/bin/python bench/issue18-summary.py     (matplotlib from the bench venv)

Reads bench/results/issue18.csv and issue18-processes.csv (and bench/results/vm-units.txt when
present); writes bench/results/issue18.md and bench/results/issue18.png.
"""
import collections
import csv
import os
import statistics

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")

rows = list(csv.DictReader(open(os.path.join(RESULTS, "issue18.csv"))))
cells = collections.defaultdict(list)
for row in rows:
    cells[(row["workload"], row["operation"], row["tool"])].append((float(row["wall_s"]), int(row["peak_kib"])))

big = [row for row in rows if row["workload"].startswith("plan --out")]
rows = [row for row in rows if not row["workload"].startswith("plan --out")]
workloads = list(dict.fromkeys(row["workload"] for row in rows))
operations = ["apply", "no-op plan"]
tools = ["reconcile old", "reconcile new", "puppet"]


def median(key):
    values = cells.get(key)
    if not values:
        return None
    return statistics.median(v[0] for v in values), statistics.median(v[1] for v in values) / 1024, [v[0] for v in values]


lines = ["| workload | operation | reconcile before (`old`) | reconcile now (`new`) | Puppet | before / now | Puppet / now |",
         "| --- | --- | --- | --- | --- | ---: | ---: |"]
for workload in workloads:
    for operation in operations:
        found = {tool: median((workload, operation, tool)) for tool in tools}
        text = {tool: (f"{m[0]:.2f} s, {m[1]:.0f} MiB ({', '.join(f'{w:.2f}' for w in m[2])})" if m else "—") for tool, m in found.items()}
        new = found["reconcile new"]
        ratio = lambda other: f"{other[0] / new[0]:.1f}×" if other and new else "—"
        lines.append(f"| {workload} | {operation} | {text['reconcile old']} | {text['reconcile new']} | {text['puppet']} "
                     f"| {ratio(found['reconcile old'])} | {ratio(found['puppet'])} |")

if big:
    lines += ["", "| plan --out, 50,000 files of 4 KiB (212 MB manifest, 204.8 MB content) | wall | peak RSS | saved plan |",
              "| --- | --- | --- | --- |"]
    for tool in ("reconcile old", "reconcile new"):
        mine = [row for row in big if row["tool"] == tool]
        if not mine:
            continue
        walls = [float(row["wall_s"]) for row in mine]
        peaks = [int(row["peak_kib"]) for row in mine]
        size = int(mine[-1]["operation"].split()[2])
        lines.append(f"| {tool} | {statistics.median(walls):.2f} s ({', '.join(f'{w:.2f}' for w in walls)}) "
                     f"| {statistics.median(peaks) / 1024:.0f} MiB ({statistics.median(peaks) * 1024 / 212_300_000:.2f}× the manifest) "
                     f"| {size / 1e6:.1f} MB ({size / 204_800_000:.2f}× the content) |")

lines += ["", "| N (mixed) | build | processes per apply | programs |", "| ---: | --- | ---: | --- |"]
for row in csv.DictReader(open(os.path.join(RESULTS, "issue18-processes.csv"))):
    lines.append(f"| {int(row['n']):,} | {row['tool']} | {row['processes']} | {row['programs']} |")
loads = [float(row["loadavg"]) for row in rows]
lines += ["", f"Load average (1 min) at the start of each measurement: {min(loads):.2f}–{max(loads):.2f}, median {statistics.median(loads):.2f}."]
open(os.path.join(RESULTS, "issue18.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

labels = [f"{w}\n{o}" for w in workloads for o in operations]
figure, axis = plt.subplots(figsize=(11, 5))
width = 0.27
for offset, tool in enumerate(tools):
    values = [(median((w, o, tool)) or (0,))[0] for w in workloads for o in operations]
    positions = [i + (offset - 1) * width for i in range(len(labels))]
    bars = axis.bar(positions, values, width, label=tool)
    for bar, value in zip(bars, values):
        if value:
            axis.annotate(f"{value:.2f}", (bar.get_x() + bar.get_width() / 2, value), ha="center", va="bottom", fontsize=7)
axis.set_yscale("log")
axis.set_ylabel("wall seconds (median, log scale)")
axis.set_xticks(range(len(labels)), labels, fontsize=8)
axis.set_title("Issue 18: apply and no-op plan under --root, before and after, with Puppet (files only)")
axis.legend()
figure.tight_layout()
figure.savefig(os.path.join(RESULTS, "issue18.png"), dpi=110)
