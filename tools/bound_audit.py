#!/usr/bin/env python3
"""How close each measured row comes to its roofline: the audit of the cost formulas' bytes and FLOPs.

The roofline of a row is its FLOPs at the device's peak and its bytes at the memory's bandwidth, the
larger. A kernel cannot beat it unless the formulas count more work than the kernel does (or an
algorithm does less, as Winograd's convolutions). Reads the rows `perfcast eval --all-rows --rows`
writes and prints, per kind, operation and device: the rows, the smallest measured / roofline, its
1st percentile and median, and how many rows of over 100 us lie below 1. Standard library only.

    build/bin/perfcast eval --all-rows --rows /tmp/rows.csv --data data/neusight/softmax.csv ...
    python3 tools/bound_audit.py /tmp/rows.csv
"""
import csv
import sys
from collections import defaultdict


def main(path):
    groups = defaultdict(list)
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            roof = float(r["roofline_us"])
            if roof <= 0:
                continue
            op = r.get("op") or r.get("activation") or ""
            key = (r["kind"], op + ("(scalar)" if r.get("scalar") == "1" else ""), r["device"])
            measured = float(r["measured_us"])
            groups[key].append((measured / roof, measured))
    print("| kind | operation | device | rows | min measured / roofline | 1st percentile | median | rows > 100 us below 1 |")
    print("|---|---|---|---|---|---|---|---|")
    for key in sorted(groups):
        ratios = sorted(x[0] for x in groups[key])
        below = sum(1 for ratio, us in groups[key] if us > 100 and ratio < 1)
        print("| %s | %s | %s | %d | %.3f | %.3f | %.3f | %d |" % (
            key[0], key[1] or "-", key[2], len(ratios), ratios[0], ratios[len(ratios) // 100], ratios[len(ratios) // 2],
            below))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: bound_audit.py ROWS.csv (from perfcast eval --all-rows --rows)")
    main(sys.argv[1])
