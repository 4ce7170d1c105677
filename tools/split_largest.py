#!/usr/bin/env python3
"""Splits a dataset's rows of one layer kind into each device's largest rows and the rest, so that a model
trained on the rest is judged on shapes beyond it, from the training sweeps themselves (docs/accuracy.md,
"The network's size, and seeds averaged").

A row's size is its GEMM's work, M x N x K times the count of products: a dense layer's batch x seq rows by
its inputs and outputs, a bmm's batch x m x k x n, a convolution's N x P x Q output rows by its C x R x S
inputs (per group) and K outputs. Each device's `--fraction` largest rows (ties broken by the file's order)
go to LARGEST.csv, the others to REST.csv; both keep the source's header comments and columns, and only
measured rows of the kind. `--fraction 0` copies every row of the kind to REST.csv (LARGEST.csv gets none),
which also takes the kinds that are not GEMMs (an `add` file for the machines' kernel floors).

    python3 tools/split_largest.py data/neusight/linear.csv dense REST.csv LARGEST.csv [--fraction 0.1]
"""
import argparse
import csv
import sys

GEMM_KINDS = ("dense", "bmm", "conv2d")


def size_of(r, kind, where):
    def n(col, default=None):
        v = r.get(col, "")
        if v == "":
            if default is None:
                sys.exit(f"{where}: {kind} row without `{col}`")
            return default
        try:
            x = int(v)
        except ValueError:
            sys.exit(f"{where}: `{col}` is {v!r}, not an integer")
        if x < 0:
            sys.exit(f"{where}: `{col}` is negative ({x})")
        return x

    if kind == "dense":
        return n("batch") * n("seq", 1) * n("in_features") * n("out_features")
    if kind == "bmm":
        return n("batch") * n("m") * n("k") * n("n")
    # conv2d: the implicit GEMM of its output positions
    kh, kw, sh, sw = n("kernel_h"), n("kernel_w"), n("stride_h", 1), n("stride_w", 1)
    dh, dw = n("dilation_h", 1), n("dilation_w", 1)
    p = (n("height") + 2 * n("pad_h", 0) - dh * (kh - 1) - 1) // max(sh, 1) + 1
    q = (n("width") + 2 * n("pad_w", 0) - dw * (kw - 1) - 1) // max(sw, 1) + 1
    groups = max(n("groups", 1), 1)
    return n("batch") * p * q * n("out_channels") * (n("in_channels") // groups) * kh * kw


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", help="a perfcast dataset (CSV)")
    ap.add_argument("kind", help="the layer kind to split (dense, bmm, conv2d; any kind with --fraction 0)")
    ap.add_argument("rest", help="output: the rows that are not among their device's largest")
    ap.add_argument("largest", help="output: each device's largest rows")
    ap.add_argument("--fraction", type=float, default=0.1, help="the share of each device's rows to set apart")
    a = ap.parse_args()
    if not 0 <= a.fraction < 1:
        sys.exit(f"--fraction: expected a share in [0, 1) (got {a.fraction})")
    if a.fraction > 0 and a.kind not in GEMM_KINDS:
        sys.exit(f"{a.kind}: only {', '.join(GEMM_KINDS)} have a GEMM's size; --fraction 0 copies other kinds")
    with open(a.dataset, newline="") as f:
        lines = f.read().splitlines()
    header = [line for line in lines if line.startswith("#")]
    body = [(i + 1, line) for i, line in enumerate(lines) if not line.startswith("#")]
    if not body:
        sys.exit(f"{a.dataset}: no column line")
    columns = next(csv.reader([body[0][1]]))
    rows = []
    for (number, _), r in zip(body[1:], csv.DictReader(line for _, line in body)):
        if r.get("kind") == a.kind and r.get("time_us", "") != "":
            rows.append((number, r))
    if not rows:
        sys.exit(f"{a.dataset}: no measured {a.kind} row")
    by_device = {}
    for number, r in rows:
        by_device.setdefault(r["device"], []).append((number, r))
    largest = set()
    for device, mine in by_device.items():
        if a.fraction == 0:
            continue
        ranked = sorted(mine, key=lambda nr: (size_of(nr[1], a.kind, f"{a.dataset}:{nr[0]}"), nr[0]))
        count = int(len(ranked) * a.fraction)
        largest.update(number for number, _ in ranked[len(ranked) - count:])
    for path, keep in ((a.rest, lambda number: number not in largest), (a.largest, lambda number: number in largest)):
        with open(path, "w", newline="") as f:
            f.write("".join(line + "\n" for line in header))
            w = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
            w.writeheader()
            w.writerows(r for number, r in rows if keep(number))
    counts = ", ".join(f"{d} {sum(1 for n, _ in m if n in largest)} of {len(m)}" for d, m in sorted(by_device.items()))
    print(f"{a.dataset}: {a.kind}: the largest rows set apart per device: {counts}")


if __name__ == "__main__":
    main()
