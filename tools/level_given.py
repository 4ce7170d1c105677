#!/usr/bin/env python3
"""How much of a model's error on a GPU is the GPU's level: one factor per layer kind, known beforehand.

Reads the rows `perfcast eval --rows ROWS.csv` writes (a model's prediction of each measured row) and
prints, per device and layer kind, the mean |error| of the predictions as they are, multiplied by the
single factor that minimises it (the best a known level of the GPU could do, an oracle), and multiplied by
the factor of the device's largest rows (the median measured / predicted over the fifth of its rows with
the longest roofline: what a user who timed a few large layers of the GPU would have). What is left with
the best factor is not a level: it is how the GPU's efficiency moves with the shape, which one number per
kind cannot carry. Standard library only.

    python3 tools/level_given.py [--kinds conv2d,dense,bmm] ROWS.csv [ROWS.csv ...]
"""
import argparse
import csv
import statistics
import sys

FACTORS = [f / 100 for f in range(20, 501)]  # 0.20-5.00, the search of the best factor


def read(path):
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        sys.exit(f"{path}: {e.strerror}")
    need = {"kind", "device", "measured_us", "predicted_us", "roofline_us"}
    if not rows or not need <= set(rows[0]):
        sys.exit(f"{path}: not the rows of `perfcast eval --rows` (columns {', '.join(sorted(need))})")
    out = []
    for i, r in enumerate(rows):
        try:
            m, p, rf = float(r["measured_us"]), float(r["predicted_us"]), float(r["roofline_us"])
        except ValueError:
            sys.exit(f"{path}: line {i + 2}: measured_us, predicted_us or roofline_us: not a number")
        if m > 0 and p > 0:
            out.append((r["device"], r["kind"], m, p, rf))
    return out


def mean_error(pairs, factor):
    return 100 * statistics.mean(abs(factor * p - m) / m for m, p in pairs)


def levels(rows, kinds):
    """{(device, kind): (n, as predicted %, best %, best factor, largest fifth's %, its factor)}"""
    groups = {}
    for device, kind, m, p, rf in rows:
        if kinds and kind not in kinds:
            continue
        groups.setdefault((device, kind), []).append((m, p, rf))
    out = {}
    for key, g in sorted(groups.items()):
        pairs = [(m, p) for m, p, _ in g]
        best = min((mean_error(pairs, f), f) for f in FACTORS)
        largest = sorted(g, key=lambda x: x[2])[-max(1, len(g) // 5):]
        fifth = statistics.median(m / p for m, p, _ in largest)
        out[key] = (len(g), mean_error(pairs, 1.0), best[0], best[1], mean_error(pairs, fifth), fifth)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("rows", nargs="+", metavar="ROWS.csv")
    ap.add_argument("--kinds", default="", help="only these layer kinds, comma-separated")
    a = ap.parse_args()
    kinds = {k for k in a.kinds.split(",") if k}
    rows = [r for path in a.rows for r in read(path)]
    table = levels(rows, kinds)
    if not table:
        sys.exit("no rows of the kinds asked")
    print(f"{'device':>16} {'kind':>11} {'rows':>6} {'as predicted':>12} {'best factor':>16} {'largest fifth':>16}")
    for (device, kind), (n, raw, best, f, fifth_err, fifth) in table.items():
        print(f"{device:>16} {kind:>11} {n:>6} {raw:>11.1f}% {best:>9.1f}% x{f:<5.2f} {fifth_err:>9.1f}% x{fifth:<5.2f}")


if __name__ == "__main__":
    main()
