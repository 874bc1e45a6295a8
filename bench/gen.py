#!/usr/bin/env python3
"""Writes the benchmark workloads for bench/run.sh.

    gen.py files N OUT STAGE_PREFIX    N File resources (content + mode) for reconcile,
                                       the same N files as an Ansible playbook and a Puppet manifest
    gen.py mixed N OUT                 N resources of mixed kinds (reconcile only):
                                       OUT/live/*.yaml  files, units, onion map entries, capture proxies,
                                                        GitLab runners
                                       OUT/lv/lv.yaml   LogicalVolumes (planned from facts only)
    gen.py lvfacts N OUT/lv FACTS      add synthesized LogicalVolume facts to FACTS (see BENCHMARKS.md)
    gen.py bigfiles N OUT              N File resources of 4 KiB content each (64 lines of 64 bytes),
                                       OUT/bigfiles.yaml: the large-plan workload of issue 18

Everything is deterministic (fixed seed), so every run and machine sees the same input.
Mixed split of N: 59% File, 1% GitLabRunner (taken from the File share), 20% SystemdUnit,
10% OnionRelay map entries (one OnionRelay resource holding them), 9% LogicalVolume,
1% CaptureProxy (at least one of each). Runners read their token from BENCH_RUNNER_TOKEN,
which bench/run.sh exports.
"""
import base64
import hashlib
import json
import os
import random
import sys


def onion(rng):
    """A valid v3 onion address: base32(pubkey | checksum | version)."""
    pub = bytes(rng.getrandbits(8) for _ in range(32))
    ver = b"\x03"
    check = hashlib.sha3_256(b".onion checksum" + pub + ver).digest()[:2]
    return base64.b32encode(pub + check + ver).decode().lower() + ".onion"


def content(i):
    return f"# managed by the benchmark\nkey{i} = value{i}\nline two of file {i}\n"


def split(n):
    """Counts per kind; LogicalVolumes last (lvfacts relies on it)."""
    runners = max(1, n // 100)
    files = max(1, n * 60 // 100 - runners)
    units = max(1, n * 20 // 100)
    entries = max(1, n * 10 // 100)
    proxies = max(1, n // 100)
    lvs = max(1, n - files - runners - units - entries - proxies)
    return files, runners, units, entries, proxies, lvs


def files_workload(n, out, prefix):
    os.makedirs(out, exist_ok=True)
    with open(f"{out}/files.yaml", "w") as f:
        for i in range(n):
            f.write(f"---\nkind: File\nname: f{i:05d}\npath: /srv/bench/f{i:05d}.conf\n"
                    f"content: {json.dumps(content(i))}\nmode: \"0640\"\n")
    # Ansible: one task, a loop over the N files (copy: content + mode), local connection.
    with open(f"{out}/playbook.yml", "w") as f:
        f.write("- hosts: localhost\n  connection: local\n  gather_facts: false\n  vars:\n    ansible_python_interpreter: /usr/bin/python3\n  tasks:\n"
                f"    - name: folder\n      file:\n        path: {prefix}/ansible/srv/bench\n        state: directory\n"
                "    - name: managed files\n      copy:\n        dest: \"{{ item.path }}\"\n"
                "        content: \"{{ item.content }}\"\n        mode: \"0640\"\n"
                "      loop:\n")
        for i in range(n):
            f.write(f"        - {{path: {json.dumps(f'{prefix}/ansible/srv/bench/f{i:05d}.conf')}, "
                    f"content: {json.dumps(content(i))}}}\n")
    # Puppet: N file resources with content and mode.
    with open(f"{out}/site.pp", "w") as f:
        f.write(f"file {{ ['{prefix}/puppet', '{prefix}/puppet/srv', '{prefix}/puppet/srv/bench']: ensure => directory }}\n")
        for i in range(n):
            f.write(f"file {{ '{prefix}/puppet/srv/bench/f{i:05d}.conf':\n  ensure => file,\n"
                    f"  content => {json.dumps(content(i))},\n  mode => '0640',\n}}\n")


def big_content(i):
    """4096 bytes: 64 lines of 63 characters and a newline, different for every file."""
    return "".join(f"file {i:06d} line {line:02d} ".ljust(63, "x") + "\n" for line in range(64))


def bigfiles_workload(n, out):
    os.makedirs(out, exist_ok=True)
    with open(f"{out}/bigfiles.yaml", "w") as f:
        for i in range(n):
            f.write(f"---\nkind: File\nname: big{i:06d}\npath: /srv/big/big{i:06d}.conf\n"
                    f"content: {json.dumps(big_content(i))}\nmode: \"0640\"\n")


def mixed_workload(n, out):
    files, runners, units, entries, proxies, lvs = split(n)
    rng = random.Random(20261127)
    os.makedirs(f"{out}/live", exist_ok=True)
    os.makedirs(f"{out}/lv", exist_ok=True)
    with open(f"{out}/live/10-files.yaml", "w") as f:
        for i in range(files):
            f.write(f"---\nkind: File\nname: f{i:05d}\npath: /srv/mixed/f{i:05d}.conf\n"
                    f"content: {json.dumps(content(i))}\nmode: \"0640\"\n")
    with open(f"{out}/live/20-units.yaml", "w") as f:
        for i in range(units):
            f.write(unit_document(i))
    with open(f"{out}/live/30-onion.yaml", "w") as f:
        f.write("kind: OnionRelay\nname: mx\nentries:\n")
        for i in range(entries):
            f.write(f"  d{i:05d}.example.org: {onion(rng)}\n")
    with open(f"{out}/live/40-capture.yaml", "w") as f:
        for i in range(proxies):
            f.write(f"---\nkind: CaptureProxy\nname: cap{i:03d}\nsocket: /run/cap{i:03d}.sock\n"
                    f"proxy: /run/cap{i:03d}.sock.proxy\nport: {20000 + i}\n"
                    f"pcap: /var/lib/reconcile/capture/cap{i:03d}.pcap\ntimeLimit: 1d\n")
    # Each runner its own config file, service, scripts and cache folder (one gitlab-runner
    # process serves one config); daemon exists on any Debian, so staged plans can chown to it.
    with open(f"{out}/live/50-runners.yaml", "w") as f:
        for i in range(runners):
            home = f"/srv/runners/r{i:03d}"
            f.write(f"---\nkind: GitLabRunner\nname: r{i:03d}\nurl: https://gitlab.example.org/\n"
                    f"token: {{env: BENCH_RUNNER_TOKEN}}\nuser: daemon\ngroup: daemon\nhome: {home}\n"
                    f"image: registry.example.org/base/fedora:40\nconfig: {home}/config.toml\n"
                    f"service: gitlab-runner-r{i:03d}.service\nscriptsDir: {home}/scripts\n"
                    f"hostCacheDir: {home}/cache\n")
    with open(f"{out}/lv/lv.yaml", "w") as f:
        for i in range(lvs):
            f.write(f"---\nkind: LogicalVolume\nname: bench/lv{i:05d}\nsize: {1 + i % 4}G\npvs: [/dev/md2]\n")
            if i % 3 == 0:
                f.write(f"cache:\n  name: lv{i:05d}_cache\n  mode: writeback\n  size: 1G\n  device: /dev/md3\n")


def unit_document(i):
    """SystemdUnit bench-NNNNN.service with its own unit file, enabled when i is even."""
    body = (f"[Unit]\nDescription=bench unit {i}\n[Service]\nExecStart=/bin/sleep infinity\n"
            f"[Install]\nWantedBy=multi-user.target\n")
    return (f"---\nkind: SystemdUnit\nname: bench-{i:05d}.service\ncontent: {json.dumps(body)}\n"
            f"enabled: {'true' if i % 2 == 0 else 'false'}\n")


def units_workload(n, out):
    """N SystemdUnits with their own unit files, every other one enabled (issue 18)."""
    os.makedirs(out, exist_ok=True)
    with open(f"{out}/units.yaml", "w") as f:
        for i in range(n):
            f.write(unit_document(i))


def lv_facts(n, facts_path):
    """Adds LogicalVolume facts in the shape `reconcile facts` writes (LVObservation): one VG
    'bench' with two PVs, a third of the LVs missing (create), a third present at the wanted
    size (no-op or attach cache), a third present but 1 GiB smaller (grow). lvm2 and kernel
    versions as captured in Tests/ReconcileCoreTests/Fixtures/lvm."""
    *_, lvs = split(n)
    ext = 4 * 1024 * 1024
    gib = 1024 ** 3
    vg = {"name": "bench", "extentSize": ext, "freeExtents": 8_000_000,
          "pvs": [{"name": "/dev/md2", "freeExtents": 6_000_000}, {"name": "/dev/md3", "freeExtents": 2_000_000}]}
    with open(facts_path) as f:
        facts = json.load(f)
    for i in range(lvs):
        obs = {"kernel": "6.1.0-56-amd64", "lvmVersion": "2.03.16", "vgNames": ["bench"], "vg": vg}
        want = (1 + i % 4) * gib
        if i % 3 == 1:
            obs["lv"] = {"attributes": "-wi-a-----", "devices": ["/dev/md2"], "segtype": "linear", "size": want}
        elif i % 3 == 2:
            obs["lv"] = {"attributes": "-wi-a-----", "devices": ["/dev/md2"], "segtype": "linear",
                         "size": max(gib, want - gib) if want > gib else want}
        facts["resources"][f"LogicalVolume/bench/lv{i:05d}"] = obs
    # The file/unit/relay facts were probed under a staging root; LVs cannot be planned under
    # --root, so the document is relabelled as the host's "/" (the stage stands in for it).
    facts["root"] = "/"
    with open(facts_path, "w") as f:
        json.dump(facts, f, sort_keys=True)


if __name__ == "__main__":
    what, n = sys.argv[1], int(sys.argv[2])
    if what == "files":
        files_workload(n, sys.argv[3], sys.argv[4])
    elif what == "mixed":
        mixed_workload(n, sys.argv[3])
    elif what == "units":
        units_workload(n, sys.argv[3])
    elif what == "bigfiles":
        bigfiles_workload(n, sys.argv[3])
    elif what == "lvfacts":
        lv_facts(n, sys.argv[3])
    elif what == "split":
        print(*split(n))
