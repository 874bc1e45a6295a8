#!/usr/bin/env python3
"""Checks schemas/ against the Swift validator and the binary's JSON output.

Every key of every kind has a description and examples (where `reconcile explain` finds them),
each example valid against the schema holding it; a document of a kind's required keys' first
examples, and that document with each example of any key put in, pass both manifest.schema.json
and `reconcile validate`. Every example manifest must satisfy both too; a set of broken
documents must be refused by both; plans and facts the binary prints must match
plan.schema.json and facts.schema.json. Usage: check_schemas.py PATH/TO/reconcile
"""
import copy
import glob
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/debug/reconcile"))
results = {"passed": 0, "failed": 0}


def check(name, condition, detail=""):
    results["passed" if condition else "failed"] += 1
    print(("ok - " if condition else "not ok - ") + name + ("" if condition else f"\n    {detail}"))


def schema_uri(relative):
    return pathlib.Path(ROOT, "schemas", relative).as_uri()


def load_schemas():
    """Every schema, known by its file's URI: they have no $id, so their relative $refs resolve
    against their own place, offline, as check-jsonschema and editors resolve them."""
    registry = Registry()
    schemas = {}
    for path in glob.glob(os.path.join(ROOT, "schemas", "**", "*.json"), recursive=True):
        with open(path) as handle:
            schema = json.load(handle)
        Draft202012Validator.check_schema(schema)
        check(f"{os.path.relpath(path, ROOT)} has no $id (its $refs resolve offline, next to it)", "$id" not in schema)
        relative = os.path.relpath(path, os.path.join(ROOT, "schemas"))
        registry = registry.with_resource(schema_uri(relative), Resource.from_contents(schema, default_specification=DRAFT202012))
        schemas[relative] = schema
    return registry, schemas


REGISTRY, SCHEMAS = load_schemas()


def validator(name):
    """A schema file's name, or NAME#/$defs/PART for one of its parts."""
    file, _, fragment = name.partition("#")
    return Draft202012Validator({"$ref": schema_uri(file) + ("#" + fragment if fragment else "")}, registry=REGISTRY)


def schema_errors(name, instance):
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator(name).iter_errors(instance)]


def run(*args, env=None):
    return subprocess.run([BINARY, *args], capture_output=True, text=True, env={**os.environ, **(env or {})})


def example_manifests():
    manifests = os.path.join(ROOT, "manifests")
    for path in sorted(glob.glob(os.path.join(manifests, "**", "*.y*ml"), recursive=True)):
        with open(path) as handle:
            for index, document in enumerate(yaml.safe_load_all(handle)):
                yield f"{os.path.relpath(path, ROOT)}#{index}", document


COMMON_KEYS = {"kind", "name", "state", "dependsOn", "hosts"}


def keys(properties, pointer="/properties", prefix=""):
    """Every key of a kind with its schema and that schema's JSON pointer, nested keys included
    (through anyOf wraps); not the keys every kind shares, at the top."""
    for key, value in properties.items():
        if not prefix and key in COMMON_KEYS:
            continue
        here = f"{pointer}/{key}"
        yield prefix + key, value, here
        holders = [(value, here)] + [(alternative, f"{here}/anyOf/{index}") for index, alternative in enumerate(value.get("anyOf", []))]
        for holder, at in holders:
            yield from keys(holder.get("properties", {}), at + "/properties", prefix + key + ".")


def undescribed(properties):
    """Keys without a description."""
    return [path for path, value, _ in keys(properties) if "description" not in value]


KINDS = {name: schema for name, schema in sorted(SCHEMAS.items()) if name.startswith("kinds/")}
for name, schema in KINDS.items():
    missing = undescribed(schema["properties"])
    check(f"{name}: every key has a description (editors show it on hover)", not missing, missing)


def explained(file, value, pointer):
    """The schema `reconcile explain` reads a key's details and examples from, and its place
    FILE#POINTER: KindDocumentation.valueShape (the one alternative of anyOf that is not a
    reference), then, for a bare $ref, the definition its last part names."""
    own = [(index, alternative) for index, alternative in enumerate(value.get("anyOf", []))
           if not alternative.get("$ref", "").endswith("$defs/reference")]
    if len(own) == 1:
        index, value = own[0]
        pointer = f"{pointer}/anyOf/{index}"
    reference = value.get("$ref", "")
    target = file if reference.startswith("#/$defs/") else "common.schema.json" if "common.schema.json#/$defs/" in reference else None
    definition = reference.split("/")[-1]
    if target and definition in SCHEMAS[target].get("$defs", {}):
        return SCHEMAS[target]["$defs"][definition], f"{target}#/$defs/{definition}"
    return value, f"{file}#{pointer}"


for name, schema in KINDS.items():
    missing = [path for path, value, pointer in keys(schema["properties"]) if not explained(name, value, pointer)[0].get("examples")]
    check(f"{name}: every key has examples where reconcile explain and editors find them", not missing, missing)

# The binary reads them the same way: `reconcile explain KIND KEY` shows each key's examples.
for name, schema in KINDS.items():
    kind = schema["properties"]["kind"]["const"]
    shown = {path: run("explain", kind, path, env={"RECONCILE_SCHEMAS": os.path.join(ROOT, "schemas")}).stdout
             for path, _, _ in keys(schema["properties"])}
    missing = {path: text for path, text in shown.items() if "\n  e.g. " not in text}
    check(f"reconcile explain {kind} KEY shows examples (e.g. …) for each of its {len(shown)} keys", not missing, missing)

# Keywords whose values are data, not schemas; and those whose keys are names, not keywords.
DATA_KEYWORDS = {"examples", "const", "default", "enum"}
NAME_MAPS = {"properties", "patternProperties", "$defs", "dependentSchemas"}


def examples_in(node, pointer="", names=False):
    """(pointer, examples) of every schema in a schema file that has examples."""
    if isinstance(node, dict):
        if not names and "examples" in node:
            yield pointer, node["examples"]
        for key, value in node.items():
            if names or key not in DATA_KEYWORDS:
                yield from examples_in(value, f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}", not names and key in NAME_MAPS)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from examples_in(value, f"{pointer}/{index}")


for name, schema in sorted(SCHEMAS.items()):
    found = list(examples_in(schema))
    if not found:
        continue
    problems = [f"{pointer}: examples is not a non-empty list" for pointer, examples in found if not isinstance(examples, list) or not examples]
    for pointer, examples in found:
        for index, example in enumerate(examples if isinstance(examples, list) else []):
            problems += [f"{pointer}/examples/{index}: {error}" for error in schema_errors(f"{name}#{pointer}", example)]
    check(f"{name}: each of its {sum(len(e) for _, e in found if isinstance(e, list))} examples is valid against the schema holding it",
          not problems, problems)


def first_example(name, path):
    """The first example of a kind's key (a dotted path) as `reconcile explain` finds it; None
    without one (a document with it then fails, as well as the check of examples above)."""
    for key, value, pointer in keys(KINDS[name]["properties"]):
        if key == path:
            return copy.deepcopy((explained(name, value, pointer)[0].get("examples") or [None])[0])
    raise KeyError(f"{name} has no key {path}")


def base_document(name):
    """kind, name and the keys a present resource needs, each its first example (of the
    alternatives a kind requires one of, the first: content, not source)."""
    schema = KINDS[name]
    value = schema["properties"]["name"]
    if "$ref" in value:
        value = REGISTRY.resolver(schema_uri(name)).lookup(value["$ref"]).contents
    then = schema.get("then", {})
    required = schema["required"] + then.get("required", []) + then.get("anyOf", [{}])[0].get("required", [])
    document = {"kind": schema["properties"]["kind"]["const"], "name": (value.get("examples") or [None])[0]}
    for key in dict.fromkeys(required):
        if key not in document:
            document[key] = first_example(name, key)
    return document


BASE = {name: base_document(name) for name in KINDS}
ONION_EXAMPLE = next(iter(BASE["kinds/OnionRelay.schema.json"]["entries"].values()))


def write_case(folder, name, document, partner=None):
    """A manifest of `document` and what it needs, in a folder of its own: a Use's group file
    (the ResourceGroup document, then a Package), the resources restartOn names, the files
    source and entriesFile read. Returns the manifest to validate."""
    os.makedirs(folder)
    documents = [document]
    if name in ("kinds/Use.schema.json", "kinds/ResourceGroup.schema.json"):
        use, group = (document, partner) if name == "kinds/Use.schema.json" else (partner, document)
        group_file = os.path.join(folder, use["group"])
        os.makedirs(os.path.dirname(group_file), exist_ok=True)
        with open(group_file, "w") as handle:
            yaml.safe_dump_all([group, BASE["kinds/Package.schema.json"]], handle, sort_keys=False)
        documents = [use]
    if name == "kinds/SystemdUnit.schema.json":
        for address in document.get("restartOn", []):
            kind, resource = address.split("/", 1)
            documents.append(dict(BASE[f"kinds/{kind}.schema.json"], name=resource))
    for key, text in (("source", "Managed by reconcile.\n"), ("entriesFile", f"example.org {ONION_EXAMPLE}\n")):
        if isinstance(document.get(key), str):
            path = os.path.join(folder, document[key])
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as handle:
                handle.write(text)
    manifest = os.path.join(folder, "manifest.yaml")
    with open(manifest, "w") as handle:
        yaml.safe_dump_all(documents, handle, sort_keys=False)
    return manifest


def case_problems(folder, name, document, partner=None):
    problems = [f"schema: {error}" for error in schema_errors("manifest.schema.json", document)]
    if partner:
        problems += [f"schema: {error}" for error in schema_errors("manifest.schema.json", partner)]
    result = run("validate", "--root", folder, write_case(folder, name, document, partner))
    return problems + ([f"reconcile validate: {result.stdout}{result.stderr}"] if result.returncode != 0 else [])


PAIRS = {"kinds/Use.schema.json": "kinds/ResourceGroup.schema.json", "kinds/ResourceGroup.schema.json": "kinds/Use.schema.json"}
with tempfile.TemporaryDirectory() as scratch:
    for name, document in BASE.items():
        problems = case_problems(os.path.join(scratch, "required", name[6:-12]), name, document, BASE.get(PAIRS.get(name)))
        check(f"{name}: a document of its required keys' first examples passes the schema and reconcile validate",
              not problems, [document] + problems)

    # Every example of every key, put into that document; a Use and its group with parameters
    # and values for them (the other's examples need them).
    paired = {"kinds/Use.schema.json": dict(BASE["kinds/Use.schema.json"], **{"with": first_example("kinds/Use.schema.json", "with")}),
              "kinds/ResourceGroup.schema.json": dict(BASE["kinds/ResourceGroup.schema.json"],
                                                      parameters=first_example("kinds/ResourceGroup.schema.json", "parameters"))}
    for name, schema in KINDS.items():
        problems, count = [], 0
        for path, value, pointer in keys(schema["properties"]):
            for index, example in enumerate(explained(name, value, pointer)[0].get("examples", [])):
                document = copy.deepcopy(paired.get(name, BASE[name]))
                parts = path.split(".")
                holder = document
                for depth, part in enumerate(parts[:-1]):
                    holder = holder.setdefault(part, first_example(name, ".".join(parts[:depth + 1])))
                holder[parts[-1]] = copy.deepcopy(example)
                if len(parts) == 1:
                    # The other of two keys that exclude each other (content and source) goes;
                    # a key another one depends on (allowShrink: resizeFilesystem) gets its value.
                    exclusive = schema.get("not", {}).get("required", [])
                    for other in exclusive if path in exclusive else []:
                        if other != path:
                            document.pop(other, None)
                    rule = schema.get("dependentSchemas", {}).get(path, {}).get("then", {}).get("properties", {})
                    document.update({other: condition["const"] for other, condition in rule.items()})
                folder = os.path.join(scratch, "every", name[6:-12], f"{path}-{index}")
                problems += [f"{path} example {index}: {problem}" for problem in
                             case_problems(folder, name, document, paired.get(PAIRS.get(name)))]
                count += 1
        check(f"{name}: every example of its keys ({count}), put into that document, passes the schema and reconcile validate",
              not problems, problems)

for label, document in example_manifests():
    errors = schema_errors("manifest.schema.json", document)
    check(f"schema accepts {label}", not errors, errors)
result = run("validate", os.path.join(ROOT, "manifests"))
check("reconcile validate accepts manifests/", result.returncode == 0, result.stderr)

# check-jsonschema (PyPI), as an operator or a CI job runs it, offline, document by document.
WRAPPER = [sys.executable, os.path.join(ROOT, "scripts/check-manifests")]
result = subprocess.run(WRAPPER + [os.path.join(ROOT, "manifests/example")], capture_output=True, text=True)
check("check-jsonschema (scripts/check-manifests) accepts every document of the example, offline",
      result.returncode == 0 and result.stdout.startswith("ok: "), result.stdout + result.stderr)
with tempfile.TemporaryDirectory() as scratch:
    broken = os.path.join(scratch, "two.yaml")
    with open(broken, "w") as handle:
        handle.write("kind: File\nname: a\npath: /a\ncontent: x\n---\nkind: File\nname: b\npath: b\ncontent: x\n")
    result = subprocess.run(WRAPPER + [broken], capture_output=True, text=True)
    check("check-jsonschema refuses the second document of a file and names it FILE#1",
          result.returncode == 1 and f"{broken}#1: $.path:" in result.stdout and f"{broken}#0" not in result.stdout,
          result.stdout + result.stderr)

ONION = "tdgbhiqjnq7osklj6k7e4y37xhx6ytznp7ozqc2qxoqfhxfg3c5ygsid.onion"
# Both the Swift validator and the schema must refuse each of these.
BROKEN = {
    "unknown key": "kind: File\nname: a\npath: /a\ncontent: x\ncontnt: y\n",
    "relative path": "kind: File\nname: a\npath: etc/a\ncontent: x\n",
    "dot-dot path": "kind: File\nname: a\npath: /etc/../a\ncontent: x\n",
    "directory without path": "kind: Directory\nname: d\n",
    "package with a shell in its name": "kind: Package\nname: \"tor;rm\"\n",
    "package version with a space": "kind: Package\nname: tor\nversion: \"1 2\"\n",
    "absent package with a version": "kind: Package\nname: tor\nstate: absent\nversion: \"1\"\n",
    "user with an upper-case name": "kind: User\nname: Runner\n",
    "user with a relative home": "kind: User\nname: r\nhome: home/r\n",
    "subordinate ids without a count": "kind: User\nname: r\nsubordinateIds: {start: 100000}\n",
    "group with gid -1": "kind: Group\nname: g\ngid: 4294967295\n",
    "filesystem with a shell type": "kind: Filesystem\nname: f\ndevice: /dev/vdb\ntype: \"ext4;x\"\n",
    "absent filesystem": "kind: Filesystem\nname: f\ndevice: /dev/vdb\ntype: ext4\nstate: absent\n",
    "mount without what": "kind: Mount\nname: m\nwhere: /srv/m\n",
    "mount of the root": "kind: Mount\nname: m\nwhat: /dev/vdb\nwhere: /\n",
    "mount options with a space": "kind: Mount\nname: m\nwhat: /dev/vdb\nwhere: /srv/m\noptions: \"ro, noatime\"\n",
    "directory with content": "kind: Directory\nname: d\npath: /d\ncontent: x\n",
        "two spellings of a path": "kind: File\nname: a\npath: //etc/./a\ncontent: x\n",
    "control character in a path": "kind: File\nname: a\npath: \"/etc/a\\nb\"\ncontent: x\n",
    "content from two places": "kind: File\nname: a\npath: /a\ncontent: {env: A, file: /b}\n",
    "content and source": "kind: File\nname: a\npath: /a\ncontent: x\nsource: y\n",
    "no content": "kind: File\nname: a\npath: /a\n",
    "bad mode": "kind: File\nname: a\npath: /a\ncontent: x\nmode: \"0999\"\n",
    "bad state": "kind: File\nname: a\npath: /a\ncontent: x\nstate: gone\n",
    "unit without suffix": "kind: SystemdUnit\nname: backup\ncontent: x\n",
    "unit without content": "kind: SystemdUnit\nname: a.service\n",
    "absent unit enabled": "kind: SystemdUnit\nname: a.service\nstate: absent\nenabled: true\n",
    "enabled not boolean": "kind: SystemdUnit\nname: a.service\ncontent: x\nenabled: maybe\n",
    "unknown kind": "kind: Fiel\nname: a\n",
    "bad dependsOn": "kind: File\nname: a\npath: /a\ncontent: x\ndependsOn: [nothing]\n",
    "relay without entries": "kind: OnionRelay\nname: mx\n",
    "relay with v2 address": "kind: OnionRelay\nname: mx\nentries:\n  example.org: ysp4gfuhnmj6b4mb.onion\n",
    "relay with bad domain": f"kind: OnionRelay\nname: mx\nentries:\n  -bad.org: {ONION}\n",
    "relay with public dns": f"kind: OnionRelay\nname: mx\nentries:\n  a.org: {ONION}\ntor:\n  dnsAddress: 0.0.0.0\n",
    "lv without size": "kind: LogicalVolume\nname: storage/slowlv\n",
    "lv name without vg": "kind: LogicalVolume\nname: slowlv\nsize: 1G\n",
    "lv bad size": "kind: LogicalVolume\nname: storage/slowlv\nsize: 1.5X\n",
    "lv shrink without fs resize": "kind: LogicalVolume\nname: storage/slowlv\nsize: 1G\nallowShrink: true\n",
    "lv bad cache mode": "kind: LogicalVolume\nname: storage/slowlv\nsize: 1G\ncache:\n  mode: writebak\n  size: 1G\n  device: /dev/md3\n",
    "lv cache without device": "kind: LogicalVolume\nname: storage/slowlv\nsize: 1G\ncache:\n  mode: writeback\n  size: 1G\n",
    "relay with unknown key": f"kind: OnionRelay\nname: mx\nentries:\n  a.org: {ONION}\nexim:\n  router: /x\n",
}
CAPTURE = "kind: CaptureProxy\nname: app\nsocket: /run/app.sock\nproxy: /run/app.sock.proxy\nport: 9000\npcap: /var/cap/app.pcap\n"
BROKEN.update({
    "capture port 0": CAPTURE.replace("9000", "0"),
    "capture port 65536": CAPTURE.replace("9000", "65536"),
    "capture port not a number": CAPTURE.replace("9000", "http"),
    "capture relative socket": CAPTURE.replace("socket: /run/app.sock", "socket: run/app.sock"),
    "capture dot-dot pcap": CAPTURE.replace("/var/cap/app.pcap", "/var/../app.pcap"),
    "capture comma in proxy": CAPTURE.replace("/run/app.sock.proxy", "/run/app,x"),
    "capture space in pcap": CAPTURE.replace("/var/cap/app.pcap", "/var/my cap.pcap"),
    "capture socket path too long": CAPTURE.replace("/run/app.sock.proxy", "/run/" + "p" * 103),
    "capture no port": CAPTURE.replace("port: 9000\n", ""),
    "capture no proxy when absent": "kind: CaptureProxy\nname: app\nstate: absent\n",
    "capture setuid mode": CAPTURE + "mode: \"4755\"\n",
    "capture bad time limit": CAPTURE + "timeLimit: 1w\n",
    "capture zero time limit": CAPTURE + "timeLimit: 0\n",
    "capture rotate without files": CAPTURE + "rotate: {megabytes: 10}\n",
    "capture rotate zero megabytes": CAPTURE + "rotate: {megabytes: 0, files: 2}\n",
    "capture unknown key": CAPTURE + "interface: eth0\n",
    "capture bad name": CAPTURE.replace("name: app", "name: my app"),
})
RUNNER = ("kind: GitLabRunner\nname: fedora\nurl: https://gitlab.example.org/\ntoken: {env: RUNNER_TOKEN}\n"
          "image: registry.example.org/base/fedora:40\n")
BROKEN.update({
    "runner with the token inline": RUNNER.replace("{env: RUNNER_TOKEN}", "glrt-abc"),
    "runner with env and file": RUNNER.replace("{env: RUNNER_TOKEN}", "{env: T, file: /t}"),
    "runner with a relative token file": RUNNER.replace("{env: RUNNER_TOKEN}", "{file: t}"),
    "runner without url": RUNNER.replace("url: https://gitlab.example.org/\n", ""),
    "runner with a bare host as url": RUNNER.replace("https://gitlab.example.org/", "gitlab.example.org"),
    "runner without image": RUNNER.replace("image: registry.example.org/base/fedora:40\n", ""),
    "runner with an option as image": RUNNER.replace("registry.example.org/base/fedora:40", "--privileged"),
    "runner with no allowed images": RUNNER + "allowedImages: []\n",
    "runner with concurrency 0": RUNNER + "concurrency: 0\n",
    "runner with a bad shell": RUNNER + "shell: zsh\n",
    "runner with a bad pull policy": RUNNER + "pullPolicy: sometimes\n",
    "runner with an upper-case user": RUNNER + "user: Runner\n",
    "runner with a service that is not one": RUNNER + "service: runner.timer\n",
    "runner with a space in home": RUNNER + "home: /home/git lab\n",
    "runner with an unknown key": RUNNER + "tags: [podman]\n",
    "runner with a bad name": RUNNER.replace("name: fedora", "name: my runner"),
})
BROKEN.update({
    "hosts with a space in a pattern": "kind: File\nname: a\npath: /a\ncontent: x\nhosts: [\"mx 1\"]\n",
    "hosts with an unknown key": "kind: File\nname: a\npath: /a\ncontent: x\nhosts: {roles: [mx]}\n",
    "hosts with a list as label value": "kind: File\nname: a\npath: /a\ncontent: x\nhosts: {labels: {role: [mx]}}\n",
    "hosts-only document with another key": "hosts: [mx1]\nname: x\n---\nkind: File\nname: a\npath: /a\ncontent: x\n",
})
GOOD = {
    "file scoped by labels": "hosts: {labels: {role: mx}}\n---\nkind: File\nname: a\npath: /a\ncontent: x\n",
    "resource scoped by names": "kind: File\nname: a\npath: /a\ncontent: x\nhosts: [\"mx*.example.org\", ci1]\n",
    "runner minimal": RUNNER,
    "runner with a token file and every key": RUNNER.replace("{env: RUNNER_TOKEN}", "{file: /etc/reconcile/secrets/runner}")
        + "user: gitlab-runner\ngroup: gitlab-runner\nhome: /home/gitlab-runner\nallowedImages: [\"registry.example.org/*\"]\n"
          "pullPolicy: always\nshell: sh\nbuildsDir: /home/user\ncacheDir: /home/user/cache\nhostCacheDir: /srv/ci-cache\n"
          "concurrency: 4\npodmanArgs: [--memory, 2g]\nsetupCommands: [\"dnf install -y git\"]\npurgeCacheAfter: 14d\n"
          "purgeSchedule: \"*-*-* 03:00\"\nscriptsDir: /etc/gitlab-runner/fedora\nconfig: /etc/gitlab-runner/config.toml\n"
          "service: gitlab-runner-fedora.service\nexecutable: /usr/bin/gitlab-runner\n",
    "absent runner": "kind: GitLabRunner\nname: fedora\nstate: absent\n",
    "seed's cached lv": "kind: LogicalVolume\nname: storage/slowlv\nsize: 1300G\nresizeFilesystem: true\n"
                        "cache:\n  name: slowlv_cache\n  mode: writeback\n  size: 100G\n  device: /dev/md3\n",
    "absent lv": "kind: LogicalVolume\nname: storage/old\nstate: absent\n",
    "relay": f"kind: OnionRelay\nname: mx\nentries:\n  a.org: {ONION}\ntor:\n  dnsPort: 5353\n",
    "absent relay": "kind: OnionRelay\nname: mx\nstate: absent\n",
    "absent file without content": "kind: File\nname: a\npath: /a\nstate: absent\n",
    "absent unit": "kind: SystemdUnit\nname: a.service\nstate: absent\n",
    "directory": "kind: Directory\nname: d\npath: /srv/data\nmode: \"0750\"\nowner: www-data\n",
    "absent directory": "kind: Directory\nname: d\npath: /srv/data\nstate: absent\n",
    "package": "kind: Package\nname: exim4-daemon-heavy\n",
    "pinned package": "kind: Package\nname: tor\nversion: \"0.4.9.11-0+deb12u1\"\n",
    "absent package": "kind: Package\nname: telnet\nstate: absent\n",
    "group": "kind: Group\nname: ci\nsystem: true\ngid: 990\n",
    "filesystem": "kind: Filesystem\nname: f\ndevice: /dev/storage/slowlv\ntype: ext4\noptions: [-L, data]\n",
    "mount": "kind: Mount\nname: m\nwhat: /dev/storage/slowlv\nwhere: /srv/data\ntype: ext4\noptions: noatime\n",
    "absent mount": "kind: Mount\nname: m\nwhere: /srv/data\nstate: absent\n",
    "user with every key": "kind: User\nname: gitlab-runner\nuid: 990\nsystem: true\ngroup: ci\ngroups: [adm]\n"
                           "home: /home/gitlab-runner\nshell: /bin/bash\nsubordinateIds: {count: 65536, start: 200000}\nlinger: true\n",
        "a package's unit, enabled and running": "kind: SystemdUnit\nname: tor@default.service\nenabled: true\nactive: true\n",
    "sensitive file from the host": "kind: File\nname: k\npath: /etc/k\ncontent: {file: /etc/reconcile/secrets/k}\nmode: \"0600\"\n",
    "unit with restartOn": "kind: File\nname: c\npath: /c\ncontent: x\n---\n"
                           "kind: SystemdUnit\nname: a.service\ncontent: x\nrestartOn: [File/c]\n",
    "capture minimal (warns: unbounded)": CAPTURE,
    "capture with every key": CAPTURE + "mode: \"0660\"\nowner: root\ngroup: adm\ntimeLimit: 2h\n"
                              "rotate: {megabytes: 100, files: 10}\n",
    "capture time limit in seconds": CAPTURE + "timeLimit: 90\n",
    "capture world-writable (a warning only)": CAPTURE + "mode: \"0777\"\ntimeLimit: 60\n",
    "capture absent with only the proxy": "kind: CaptureProxy\nname: app\nstate: absent\nproxy: /run/app.sock.proxy\n",
    # References stand where a kind expects a number, a mapping or a pattern: the schema accepts
    # them there, reconcile checks the resolved value.
    "values typed into a capture proxy": "kind: Values\nname: v\nvalues: {port: 9000, limit: 2h, rotation: {megabytes: 10, files: 3}, "
                                         "mode: \"0660\"}\n---\n" + CAPTURE.replace("port: 9000", "port: ${values.port}")
                                         + "timeLimit: ${values.limit}\nrotate: ${values.rotation}\nmode: ${values.mode}\n",
    "a value as an LV's size": "kind: Values\nname: v\nvalues: {size: 1G}\n---\nkind: LogicalVolume\nname: storage/slowlv\nsize: ${values.size}\n",
    "the host's name in a path": "kind: File\nname: a\npath: /srv/${host.name}/a\ncontent: x\n",
}
BROKEN.update({
    "values not a mapping": "kind: Values\nname: v\nvalues: [a]\n",
    "a value name with a dash": "kind: Values\nname: v\nvalues: {a-b: 1}\n",
    "values without a name": "kind: Values\nvalues: {a: 1}\n",
})
with tempfile.TemporaryDirectory() as scratch:
    for name, text in {**BROKEN, **GOOD}.items():
        path = os.path.join(scratch, "case.yaml")
        with open(path, "w") as handle:
            handle.write(text)
        swift_ok = run("validate", path).returncode == 0
        schema_ok = all(not schema_errors("manifest.schema.json", d) for d in yaml.safe_load_all(text))
        expected = name in GOOD
        check(f"{'accepts' if expected else 'refuses'} {name}: validator and schema agree",
              swift_ok == expected and schema_ok == expected, f"validator ok={swift_ok} schema ok={schema_ok}")
        # The same verdict in validate's machine format, which has a schema of its own.
        result = run("validate", "--format", "json", path)
        report = json.loads(result.stdout) if result.stdout.strip() else {}
        errors = schema_errors("validate.schema.json", report)
        check(f"validate --format json on {name}: matches validate.schema.json, says valid={expected}",
              not errors and report.get("valid") == expected and (result.returncode == 0) == expected
              and (expected or any(d["severity"] == "error" and d.get("line") for d in report["diagnostics"])),
              errors or result.stdout[-600:] + result.stderr)

# Plans: the bundled example from facts, and a staged plan with every step type.
facts_dir = os.path.join(ROOT, "manifests/example/facts")
for facts_file in sorted(glob.glob(os.path.join(facts_dir, "*.json"))):
    with open(facts_file) as handle:
        errors = schema_errors("facts.schema.json", json.load(handle))
    check(f"bundled {os.path.basename(facts_file)} matches facts.schema.json", not errors, errors)
facts_path = os.path.join(facts_dir, "mx1.example.org.json")
with tempfile.TemporaryDirectory() as plans:
    result = run("plan", "--json", "--facts", facts_dir, "--out", plans, os.path.join(ROOT, "manifests/example"))
    summary = json.loads(result.stdout) if result.returncode == 0 else {}
    errors = schema_errors("summary.schema.json", summary)
    check("fleet plan summary matches summary.schema.json", result.returncode == 0 and not errors, errors or result.stderr)
    for plan_file in sorted(glob.glob(os.path.join(plans, "*.json"))):
        with open(plan_file) as handle:
            document = json.load(handle)
        name = "summary.schema.json" if plan_file.endswith("summary.json") else "plan.schema.json"
        errors = schema_errors(name, document)
        check(f"fleet plan file {os.path.basename(plan_file)} matches {name}", not errors, errors)
    result = run("summary", "--json", plans)
    errors = schema_errors("summary.schema.json", json.loads(result.stdout) if result.returncode == 0 else {})
    check("reconcile summary output matches summary.schema.json", result.returncode == 0 and not errors, errors or result.stderr)
result = run("plan", "--json", "--facts", facts_path, os.path.join(ROOT, "manifests/example"))
plan = json.loads(result.stdout) if result.returncode == 0 else {}
errors = schema_errors("plan.schema.json", plan)
check("example plan matches plan.schema.json", result.returncode == 0 and not errors, errors or result.stderr)
# SavedPlanFormatTests' plan of each kind: between them every optional key and every step type.
for snapshot in sorted(glob.glob(os.path.join(ROOT, "Tests/ReconcileCLITests/Snapshots/saved-plan/*.json"))):
    with open(snapshot) as handle:
        errors = schema_errors("plan.schema.json", json.load(handle))
    check(f"saved-plan snapshot {os.path.basename(snapshot)} matches plan.schema.json", not errors, errors)

with tempfile.TemporaryDirectory() as stage:
    os.makedirs(os.path.join(stage, "etc"))
    with open(os.path.join(stage, "etc/moded"), "w") as handle:
        handle.write("same\n")
    os.chmod(os.path.join(stage, "etc/moded"), 0o600)
    with open(os.path.join(stage, "etc/gone"), "w") as handle:
        handle.write("bye\n")
    manifest = os.path.join(stage, "m.yaml")
    with open(manifest, "w") as handle:
        handle.write("kind: File\nname: moded\npath: /etc/moded\ncontent: \"same\\n\"\nmode: \"0644\"\n---\n"
                     "kind: File\nname: gone\npath: /etc/gone\nstate: absent\n---\n"
                     "kind: File\nname: new\npath: /etc/new\ncontent: new\n---\n"
                     "kind: SystemdUnit\nname: demo.service\nenabled: true\n"
                     "content: \"[Service]\\nExecStart=/bin/true\\n[Install]\\nWantedBy=multi-user.target\\n\"\n---\n"
                     # Also= is systemctl's to follow: enabled with systemctl --root, not by link steps.
                     "kind: SystemdUnit\nname: demo-also.service\nenabled: true\n"
                     "content: \"[Service]\\nExecStart=/bin/true\\n[Install]\\nAlso=demo.service\\n\"\n")
    result = run("plan", "--json", "--root", stage, manifest)
    plan = json.loads(result.stdout) if result.returncode == 0 else {}
    types = sorted({step["type"] for change in plan.get("changes", []) for step in change["steps"]})
    check("staged plan covers every file and unit step type",
          types == ["link", "removeFile", "setAttributes", "systemctl", "writeFile"], types)
    errors = schema_errors("plan.schema.json", plan)
    check("staged plan matches plan.schema.json", result.returncode == 0 and not errors, errors or result.stderr)
    result = run("facts", "--root", stage, manifest)
    facts = json.loads(result.stdout) if result.returncode == 0 else {}
    errors = schema_errors("facts.schema.json", facts)
    check("staged facts match facts.schema.json", result.returncode == 0 and not errors, errors or result.stderr)
    version = run("--version").stdout.strip()
    check("staged facts and plan record the version that wrote them (reconcile --version)",
          facts.get("reconcileVersion") == version and plan.get("reconcileVersion") == version,
          f"facts {facts.get('reconcileVersion')!r}, plan {plan.get('reconcileVersion')!r}, --version {version!r}")
    # Sensitive content: inline, from a host file and from the environment; hashes only.
    os.makedirs(os.path.join(stage, "etc/reconcile/secrets"))
    with open(os.path.join(stage, "etc/reconcile/secrets/k"), "w") as handle:
        handle.write("schema-sensitive-canary-file\n")
    with open(manifest, "w") as handle:
        handle.write("kind: File\nname: inline\npath: /etc/inline.key\ncontent: schema-sensitive-canary-inline\nsensitive: true\n---\n"
                     "kind: File\nname: from-file\npath: /etc/file.key\ncontent: {file: /etc/reconcile/secrets/k}\n---\n"
                     "kind: File\nname: from-env\npath: /etc/env.key\ncontent: {env: SCHEMA_KEY}\n")
    secret_env = dict(os.environ, SCHEMA_KEY="schema-sensitive-canary-env")
    result = run("plan", "--json", "--root", stage, manifest, env=secret_env)
    plan = json.loads(result.stdout) if result.returncode == 0 else {}
    errors = schema_errors("plan.schema.json", plan)
    check("sensitive plan matches plan.schema.json", result.returncode == 0 and not errors, errors or result.stderr)
    check("sensitive plan holds no secret", "schema-sensitive-canary" not in result.stdout)
    result = run("facts", "--root", stage, manifest, env=secret_env)
    errors = schema_errors("facts.schema.json", json.loads(result.stdout) if result.returncode == 0 else {})
    check("sensitive facts match facts.schema.json", result.returncode == 0 and not errors, errors or result.stderr)
    # Directories: created, and a full one removed (a removeDirectory step, classed data-loss).
    os.makedirs(os.path.join(stage, "srv/full/sub"))
    with open(manifest, "w") as handle:
        handle.write("kind: Directory\nname: new\npath: /srv/new\nmode: \"0750\"\n---\n"
                     "kind: Directory\nname: full\npath: /srv/full\nstate: absent\n")
    result = run("plan", "--json", "--root", stage, manifest)
    plan = json.loads(result.stdout) if result.returncode == 0 else {}
    errors = schema_errors("plan.schema.json", plan)
    types = sorted({step["type"] for change in plan.get("changes", []) for step in change["steps"]})
    check("directory plan matches plan.schema.json", result.returncode == 0 and not errors, errors or result.stderr)
    check("directory plan creates one folder and removes the other", types == ["createDirectory", "removeDirectory"], types)
    result = run("facts", "--root", stage, manifest)
    errors = schema_errors("facts.schema.json", json.loads(result.stdout) if result.returncode == 0 else {})
    check("directory facts match facts.schema.json", result.returncode == 0 and not errors, errors or result.stderr)
    # Bare-host kinds under a staged root: a blank device image gets a filesystem and a mount
    # unit, accounts are created with useradd --prefix (Package needs a Debian root: the VM test).
    os.makedirs(os.path.join(stage, "dev"))
    with open(os.path.join(stage, "dev/blank.img"), "wb") as handle:
        handle.truncate(8 << 20)
    for name in ("passwd", "group"):
        with open(f"/etc/{name}") as source, open(os.path.join(stage, "etc", name), "w") as target:
            target.write(source.read())
    with open(manifest, "w") as handle:
        handle.write("kind: Filesystem\nname: blank\ndevice: /dev/blank.img\ntype: ext4\n---\n"
                     "kind: Mount\nname: data\nwhat: /dev/blank.img\nwhere: /srv/data\ntype: ext4\ndependsOn: [Filesystem/blank]\n---\n"
                     "kind: Group\nname: schema-ci\nsystem: true\n---\n"
                     "kind: User\nname: schema-runner\nsystem: true\ngroups: [schema-ci]\nsubordinateIds: {count: 65536}\nlinger: true\n")
    result = run("plan", "--json", "--root", stage, manifest)
    plan = json.loads(result.stdout) if result.returncode == 0 else {}
    errors = schema_errors("plan.schema.json", plan)
    types = sorted({step["type"] for change in plan.get("changes", []) for step in change["steps"]})
    check("bare-host plan matches plan.schema.json", result.returncode == 0 and not errors, errors or result.stderr)
    check("bare-host plan makes a filesystem, writes and links a unit, runs useradd", {"makeFilesystem", "writeFile", "link", "command"} <= set(types), types)
    result = run("facts", "--root", stage, manifest)
    errors = schema_errors("facts.schema.json", json.loads(result.stdout) if result.returncode == 0 else {})
    check("bare-host facts match facts.schema.json", result.returncode == 0 and not errors, errors or result.stderr)

# A runner's plan: a TOML entry edit with a secret reference, a new folder, no token anywhere.
with tempfile.TemporaryDirectory() as stage:
    manifest = os.path.join(stage, "m.yaml")
    with open(manifest, "w") as handle:
        handle.write(RUNNER + "user: daemon\ngroup: daemon\n")
    token = {"RUNNER_TOKEN": "glrt-schema-check-canary"}
    result = run("plan", "--json", "--root", stage, manifest, env=token)
    plan = json.loads(result.stdout) if result.returncode == 0 else {}
    types = sorted({step["type"] for change in plan.get("changes", []) for step in change["steps"]})
    check("runner plan has an editTOML and a createDirectory step",
          "editTOML" in types and "createDirectory" in types, types)
    errors = schema_errors("plan.schema.json", plan)
    check("runner plan matches plan.schema.json", result.returncode == 0 and not errors, errors or result.stderr)
    check("runner plan holds no token", "schema-check-canary" not in result.stdout)
    result = run("facts", "--root", stage, manifest, env=token)
    errors = schema_errors("facts.schema.json", json.loads(result.stdout) if result.returncode == 0 else {})
    check("runner facts match facts.schema.json and hold no token",
          result.returncode == 0 and not errors and "schema-check-canary" not in result.stdout, errors or result.stderr)

# apply --json: one document with the plan and its outcome, for each outcome.
with tempfile.TemporaryDirectory() as stage:
    manifest = os.path.join(stage, "m.yaml")
    os.makedirs(os.path.join(stage, "root/srv/full/sub"))
    os.makedirs(os.path.join(stage, "root/dev"))
    open(os.path.join(stage, "root/dev/empty.img"), "w").close()
    outcomes = {}
    for name, text, extra in [
        ("complete", "kind: File\nname: a\npath: /etc/a\ncontent: x\n", []),
        ("no-changes", "kind: File\nname: a\npath: /etc/a\ncontent: x\n", []),
        # mkfs.ext4 refuses a device of size 0, which wipefs finds blank: a failure only the apply meets.
        ("failed", "kind: Filesystem\nname: b\ndevice: /dev/empty.img\ntype: ext4\n---\n"
                   "kind: File\nname: c\npath: /etc/c\ncontent: x\ndependsOn: [Filesystem/b]\n", []),
        ("refused", "kind: Directory\nname: full\npath: /srv/full\nstate: absent\n", []),
    ]:
        with open(manifest, "w") as handle:
            handle.write(text)
        result = run("apply", "--auto-approve", "--json", "--root", os.path.join(stage, "root"), manifest, *extra)
        document = json.loads(result.stdout) if result.stdout.strip() else {}
        errors = schema_errors("apply.schema.json", document)
        outcome = document.get("report", {}).get("result")
        outcomes[name] = document
        check(f"apply --json ({name}): one document matching apply.schema.json", not errors and outcome == name,
              errors or result.stdout[-500:] + result.stderr[-500:])
    failed = outcomes["failed"].get("report", {})
    check("apply --json (failed): names the failing step and what it did not reach",
          failed.get("failure", {}).get("address") == "Filesystem/b" and failed.get("notAttempted") == ["File/c"], failed)
    # The inventory those applies left, the facts that carry it, and the history of the applies.
    root = os.path.join(stage, "root")
    with open(os.path.join(root, "var/lib/reconcile/inventory.jsonl")) as handle:
        lines = [json.loads(line) for line in handle if line.strip()]
    errors = schema_errors("inventory.schema.json#/$defs/header", lines[0] if lines else {})
    for line in lines[1:]:
        errors += schema_errors("inventory.schema.json#/$defs/line", line)
    inventory = {"formatVersion": 1, "resources": {line["address"]: line["entry"] for line in lines[1:]}}
    check("STATE/inventory.jsonl: its header and every line match inventory.schema.json", not errors and len(lines) > 1,
          errors or lines)
    with open(manifest, "w") as handle:
        handle.write("kind: File\nname: other\npath: /etc/other\ncontent: y\n")
    result = run("apply", "--auto-approve", "--root", root, manifest)
    with open(manifest, "w") as handle:
        handle.write("kind: File\nname: third\npath: /etc/third\ncontent: z\n")
    result = run("facts", "--root", root, manifest)
    facts = json.loads(result.stdout) if result.returncode == 0 else {}
    errors = schema_errors("facts.schema.json", facts)
    check("facts with an inventory match facts.schema.json, with facts of what is no longer declared",
          result.returncode == 0 and not errors and "File/other" in facts.get("inventory", {}).get("resources", {})
          and {"File/other", "File/third"} <= set(facts.get("resources", {})), errors or result.stderr or facts)
    facts_file = os.path.join(stage, "facts.json")
    with open(facts_file, "w") as handle:
        handle.write(result.stdout)
    plan = run("plan", "--json", "--facts", facts_file, manifest)
    document = json.loads(plan.stdout) if plan.returncode == 0 else {}
    causes = {change["address"]: change.get("cause") for change in document.get("changes", [])}
    check("a plan from those facts removes what is no longer declared", causes.get("File/other") == "undeclared", causes or plan.stderr)
    result = run("history", "--json", "--root", root)
    listing = json.loads(result.stdout) if result.returncode == 0 else {}
    errors = schema_errors("history.schema.json", listing)
    results_seen = [apply.get("result") for apply in listing.get("applies", [])]
    check("history --json matches history.schema.json, newest first", not errors and results_seen[:3] == ["complete", "failed", "complete"],
          errors or results_seen or result.stderr)
    failed_id = next((apply["id"] for apply in listing.get("applies", []) if apply.get("result") == "failed"), "none")
    result = run("history", "--json", "--root", root, failed_id)
    detail = json.loads(result.stdout) if result.returncode == 0 else {}
    errors = schema_errors("history.schema.json", detail)
    events = [entry.get("event") for entry in detail.get("journal", [])]
    check("history ID --json matches history.schema.json with the apply's journal lines",
          not errors and "step-failed" in events and "apply-failed" in events, errors or events or result.stderr)

print(f"{results['passed']} passed, {results['failed']} failed")
sys.exit(1 if results["failed"] else 0)
