#!/usr/bin/env python3
"""Writes a deterministic domain -> onion map for bench/run.sh.

Lines are `dNNNNNNN.example.org <56 base32 chars>.onion`, unique keys, fixed seed,
so every run (and every machine) times exactly the same input.
"""
import random
import sys

count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 20240601
rng = random.Random(seed)
alphabet = "abcdefghijklmnopqrstuvwxyz234567"
out = sys.stdout
lines = []
for n in rng.sample(range(10_000_000), count):
    onion = "".join(rng.choices(alphabet, k=56))
    lines.append(f"d{n}.example.org {onion}.onion\n")
    if len(lines) >= 10_000:
        out.write("".join(lines))
        lines.clear()
out.write("".join(lines))
