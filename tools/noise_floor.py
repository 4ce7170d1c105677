#!/usr/bin/env python3
"""The noise floor of perfcast datasets: how far apart in time two near-duplicate rows are.

For every row, the nearest other row of the same kind, operation, pass, precision and device whose
shape (every numeric layer column, log-scaled) lies within a Euclidean distance of 0.05 (about 5%)
is found; the mean |t_a - t_b| / t_a over such pairs is what a model of the shape alone cannot beat
on those rows. Standard library only; a grid of cells of that size finds the candidates.

    python3 tools/noise_floor.py data/neusight/*.csv
    python3 tools/noise_floor.py --by-kernel data/neusight/conv.csv   # pairs that ran the same kernel, and not

--by-kernel splits each kind's pairs by whether the two rows ran the same kernel (the dataset's `kernel`
column, NeuSight's profiler's name): what knowing the kernel could take off the floor.
"""
import csv
import math
import sys
from collections import defaultdict
from itertools import product

RADIUS = 0.05
SKIP = {"kind", "pass", "dtype", "device", "time_us", "samples", "spread", "error", "source", "kernel",
        "op", "mode", "activation", "scalar", "affine", "bias", "global"}


def rows_of(path):
    with open(path, newline="") as f:
        lines = (line for line in f if not line.startswith("#"))
        for r in csv.DictReader(lines):
            yield r


def main(paths, by_kernel=False):
    groups = defaultdict(list)
    for path in paths:
        for r in rows_of(path):
            if not r.get("time_us"):
                continue
            shape = tuple(math.log(float(v)) for k, v in sorted(r.items()) if k not in SKIP and v not in ("", None)
                          and float(v) > 0)
            key = (r["kind"], r.get("op", ""), r.get("activation", ""), r.get("scalar", ""), r["pass"], r["dtype"],
                   r["device"], len(shape))
            groups[key].append((shape, (float(r["time_us"]), r.get("kernel", ""))))
    by_kind = defaultdict(list)
    for key, rows in groups.items():
        # keep the dimensions that vary, once each (a column equal to another in every row adds nothing)
        columns = list(zip(*(shape for shape, _ in rows)))
        keep = []
        for c, col in enumerate(columns):
            if min(col) != max(col) and all(columns[k] != col for k in keep):
                keep.append(c)
        rows = [(tuple(shape[c] for c in keep), t) for shape, t in rows]
        cells = defaultdict(list)
        for i, (shape, _) in enumerate(rows):
            cells[tuple(math.floor(x / RADIUS) for x in shape)].append(i)
        for i, (shape, t) in enumerate(rows):
            home = tuple(math.floor(x / RADIUS) for x in shape)
            best, best_t = None, None
            for step in product((-1, 0, 1), repeat=len(home)):
                for j in cells.get(tuple(h + s for h, s in zip(home, step)), ()):
                    if j == i:
                        continue
                    d = math.dist(shape, rows[j][0])
                    if d < RADIUS and (best is None or d < best):
                        best, best_t = d, rows[j][1]
            if best is not None:
                label = key[0] + ("/" + key[1] if key[1] else "") + ("/" + key[2] if key[2] else "")
                if by_kernel:
                    label += " same kernel" if best_t[1] == t[1] else " other kernel"
                by_kind[label].append(abs(best_t[0] - t[0]) / t[0])
    print("kind,pairs,mean_rel_diff")
    for label in sorted(by_kind):
        d = by_kind[label]
        print(f"{label},{len(d)},{100 * sum(d) / len(d):.1f}%")


if __name__ == "__main__":
    args = sys.argv[1:]
    by_kernel = "--by-kernel" in args
    args = [a for a in args if a != "--by-kernel"]
    if not args:
        sys.exit("usage: noise_floor.py [--by-kernel] DATASET.csv...")
    main(args, by_kernel)
