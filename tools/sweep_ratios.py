#!/usr/bin/env python3
"""Compares the devices of perfcast datasets shape by shape, to find a sweep measured unlike the rest.

For each dataset file and layer kind, the rows of the same layer (every layer column equal) measured on
every device of the file are paired, and the median of each device's time over the reference device's is
printed per decade of the reference's time. A device's ratio follows from its specification and changes
slowly with size; a sweep run in other conditions (a card that throttled through it, other clocks) stands
out against the same card's other sweeps of the same operation and against its test sets.

usage: python3 tools/sweep_ratios.py [--reference DEVICE] DATASET.csv [DATASET.csv ...]
"""
import argparse
import csv
import statistics
import sys

# the columns that are not the layer's: who measured what, and how long it took
NOT_LAYER = {"device", "time_us", "samples", "spread", "error", "source", "kernel"}
DECADES = [(0, 100), (100, 1_000), (1_000, 10_000), (10_000, float("inf"))]


def read(path):
    with open(path, newline="") as f:
        lines = [line for line in f if not line.startswith("#")]
    rows = list(csv.DictReader(lines))
    if not rows:
        sys.exit(f"{path}: no rows")
    for i, r in enumerate(rows):
        if "device" not in r or "time_us" not in r:
            sys.exit(f"{path}: not a perfcast dataset (no device or time_us column)")
        if r.get("error"):
            continue
        try:
            r["time_us"] = float(r["time_us"])
        except ValueError:
            sys.exit(f"{path}: data row {i + 1}: time_us: not a number: {r['time_us']!r}")
    return [r for r in rows if not r.get("error")]


def ratios(rows, reference):
    """{kind: (devices, [(decade, n, {device: median ratio})])} over the shapes every device measured."""
    out = {}
    for kind in sorted({r["kind"] for r in rows}):
        by_shape = {}
        for r in rows:
            if r["kind"] != kind:
                continue
            key = tuple((c, v) for c, v in r.items() if c not in NOT_LAYER)
            by_shape.setdefault(key, {})[r["device"]] = r["time_us"]
        devices = sorted({d for times in by_shape.values() for d in times})
        if reference not in devices:
            continue
        common = [t for t in by_shape.values() if all(d in t for d in devices)]
        table = []
        for lo, hi in DECADES:
            sel = [t for t in common if lo <= t[reference] < hi]
            if sel:
                table.append(((lo, hi), len(sel),
                              {d: statistics.median(t[d] / t[reference] for t in sel) for d in devices}))
        out[kind] = (devices, len(common), table)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("datasets", nargs="+", metavar="DATASET.csv")
    ap.add_argument("--reference", default="v100_pcie_32gb", help="the device the others are divided by")
    a = ap.parse_args()
    for path in a.datasets:
        for kind, (devices, n, table) in ratios(read(path), a.reference).items():
            print(f"{path}: {kind}, {n} shapes measured on every device; median time / {a.reference}'s")
            print(f"  {'reference time':>16} {'shapes':>7} " + " ".join(f"{d:>15}" for d in devices))
            for (lo, hi), count, med in table:
                span = f"{lo:g}-{hi:g} us" if hi != float("inf") else f">= {lo:g} us"
                print(f"  {span:>16} {count:>7} " + " ".join(f"{med[d]:>15.2f}" for d in devices))
        print()


if __name__ == "__main__":
    main()
