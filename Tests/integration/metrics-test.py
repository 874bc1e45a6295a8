#!/usr/bin/env python3
"""`plan --metrics-file` read by prometheus_client's own text-format parser, as node_exporter's
textfile collector would: a converged host, a drifted one, a resource no longer declared, a
failed plan, and a host name that needs escaping. Usage: metrics-test.py PATH/TO/reconcile
"""
import os
import subprocess
import sys
import tempfile

from prometheus_client.parser import text_string_to_metric_families

BINARY = os.path.abspath(sys.argv[1])
results = {"passed": 0, "failed": 0}


def check(name, condition, detail=""):
    results["passed" if condition else "failed"] += 1
    print(("ok - " if condition else "not ok - ") + name + ("" if condition else f"\n    {detail}"))


def run(*args):
    return subprocess.run([BINARY, *args], capture_output=True, text=True)


def samples(path):
    """{(metric, frozenset(labels without host)): value}, and every host label seen."""
    with open(path) as handle:
        text = handle.read()
    found, hosts, types = {}, set(), {}
    for family in text_string_to_metric_families(text):
        types[family.name] = family.type
        for sample in family.samples:
            labels = dict(sample.labels)
            hosts.add(labels.pop("host", None))
            found[(sample.name, frozenset(labels.items()))] = sample.value
    return found, hosts, types


with tempfile.TemporaryDirectory() as stage:
    root = os.path.join(stage, "root")
    os.makedirs(root)
    manifest = os.path.join(stage, "m.yaml")
    metrics = os.path.join(stage, "node-exporter", "reconcile.prom")
    os.makedirs(os.path.dirname(metrics))
    host = 'web "1"\\\nsecond line'

    def write(text):
        with open(manifest, "w") as handle:
            handle.write(text)

    write("kind: File\nname: a\npath: /etc/a\ncontent: a\n---\nkind: File\nname: b\npath: /etc/b\ncontent: b\n")
    applied = run("apply", "--auto-approve", "--host", host, "--root", root, manifest)
    check("apply", applied.returncode == 0, applied.stderr)

    result = run("plan", "--metrics-file", metrics, "--host", host, "--root", root, manifest)
    found, hosts, types = samples(metrics)
    check("converged: parsed, every sample for the one host, name escaped", result.returncode == 0 and hosts == {host}, (hosts, result.stderr))
    check("converged: plan succeeded, 2 in sync, 0 drifted",
          found.get(("reconcile_plan_success", frozenset())) == 1
          and found.get(("reconcile_resources", frozenset({("state", "in_sync")}))) == 2
          and found.get(("reconcile_drifted_resources", frozenset())) == 0, found)
    check("every metric is a gauge with its help", set(types.values()) == {"gauge"}, types)
    check("last apply: complete, a recent time",
          found.get(("reconcile_last_apply_success", frozenset())) == 1
          and found.get(("reconcile_last_apply_timestamp_seconds", frozenset()), 0) > 1.7e9, found)
    check("plan duration measured", 0 < found.get(("reconcile_plan_duration_seconds", frozenset()), 0) < 60, found)

    with open(os.path.join(root, "etc/a"), "w") as handle:
        handle.write("edited by hand")
    write("kind: File\nname: a\npath: /etc/a\ncontent: a\n")
    result = run("plan", "--metrics-file", metrics, "--host", host, "--root", root, manifest)
    found, _, _ = samples(metrics)
    check("drifted and undeclared: one of each",
          found.get(("reconcile_drifted_resources", frozenset())) == 1
          and found.get(("reconcile_resources", frozenset({("state", "drifted")}))) == 1
          and found.get(("reconcile_resources", frozenset({("state", "undeclared")}))) == 1
          and found.get(("reconcile_resources", frozenset({("state", "in_sync")}))) == 0, found)
    check("changes by action and risk",
          found.get(("reconcile_changes", frozenset({("action", "update"), ("risk", "safe")}))) == 1
          and found.get(("reconcile_changes", frozenset({("action", "delete"), ("risk", "disruptive")}))) == 1, found)

    result = run("plan", "--keep-undeclared", "--metrics-file", metrics, "--host", host, "--root", root, manifest)
    found, _, _ = samples(metrics)
    check("--keep-undeclared: counted as kept, not as a removal",
          found.get(("reconcile_resources", frozenset({("state", "undeclared_kept")}))) == 1
          and found.get(("reconcile_resources", frozenset({("state", "undeclared")}))) == 0, found)

    write("kind: File\nname: a\npath: not-absolute\n")
    result = run("plan", "--metrics-file", metrics, "--host", host, "--root", root, manifest)
    found, _, _ = samples(metrics)
    check("a failed plan exits 1 and says so in the metrics",
          result.returncode == 1 and found.get(("reconcile_plan_success", frozenset())) == 0
          and not any(name == "reconcile_resources" for name, _ in found), (result.returncode, found))
    leftovers = [name for name in os.listdir(os.path.dirname(metrics)) if name != "reconcile.prom"]
    check("written atomically: no temp files beside it", not leftovers, leftovers)

print(f"{results['passed']} passed, {results['failed']} failed")
sys.exit(1 if results["failed"] else 0)
