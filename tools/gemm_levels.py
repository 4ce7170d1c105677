#!/usr/bin/env python3
"""The FP32 GEMM throughput each GPU reached in each of NeuSight's measurements: its operator sweeps
(the training data), its test sets and the whole-model traces.

For every linear (and bmm) row of size 1e10-1e12 FLOPs (the range of the transformers' GEMMs), the
achieved TFLOP/s is 2*B*M*N*K / latency; the script prints, per GPU, the median and the 90th
percentile of each source, and how far the traces' median lies from the sweep's. The traces' GEMMs are
their addmm nodes (Hugging Face's Conv1D: bias, (rows, K), (K, N)) and linear nodes (x, W of (N, K)).
Standard library only.

    python3 tools/gemm_levels.py ../shared/data/external/neusight
"""
import ast
import csv
import glob
import io
import json
import lzma
import os
import statistics
import sys

LOW, HIGH = 1e10, 1e12


def read_csv(path):
    opener = lzma.open if path.endswith(".xz") else open
    with opener(path, "rt", newline="") as f:
        return list(csv.DictReader(io.StringIO(f.read())))


def sweep_file(root, op, gpu):
    for name in (gpu + ".csv", gpu + ".csv.xz"):
        path = os.path.join(root, op, name)
        if os.path.exists(path):
            return path
    return None


def tflops(rows):
    out = []
    for r in rows:
        b, m, n, k = (int(r[c]) for c in "BMNK")
        flops = 2.0 * b * m * n * k
        t = float(r["Latency"])
        if LOW <= flops < HIGH and t > 0:
            out.append(flops / t / 1e9)
    return out


def trace_tflops(path):
    out = []
    for r in read_csv(path):
        target = r["target"]
        if "addmm" not in target and target != "linear" and "linear" not in target:
            continue
        try:
            shapes = ast.literal_eval(r["input_shapes"])
            if "addmm" in target:
                (m, k), n = shapes[1], shapes[2][1]
            else:
                x, w = shapes[0], shapes[1]
                k, n, m = x[-1], w[0], 1
                for d in x[:-1]:
                    m *= d
        except (ValueError, SyntaxError, IndexError, TypeError):
            continue
        flops = 2.0 * m * n * k
        t = float(r["fw_latency"])
        if LOW <= flops < HIGH and t > 0:
            out.append(flops / t / 1e9)
    return out


def summary(values):
    if not values:
        return "-"
    values = sorted(values)
    return "%.2f / %.2f (%d)" % (statistics.median(values), values[int(0.9 * (len(values) - 1))], len(values))


def main(root):
    gpus = sorted(os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(root, "device_configs", "*.json")))
    tests = {}
    for op in ("linear", "bmm"):
        path = os.path.join(root, "test", op + ".csv.xz")
        tests[op] = read_csv(path) if os.path.exists(path) else []
    print("FP32 GEMMs of 1e10-1e12 FLOPs: achieved TFLOP/s, median / 90th percentile (rows)\n")
    print("| GPU | peak | linear sweep | linear test set | bmm sweep | bmm test set | traced GEMMs | traced / linear sweep |")
    print("|---|---|---|---|---|---|---|---|")
    for gpu in gpus:
        with open(os.path.join(root, "device_configs", gpu + ".json")) as f:
            peak = json.load(f)["SingleFLOPs"] / 1e3
        device = gpu.replace("_", " ")
        cells = []
        medians = {}
        for op in ("linear", "bmm"):
            path = sweep_file(root, op, gpu)
            sweep = tflops(read_csv(path)) if path else []
            test = tflops([r for r in tests[op] if r["Device"] == device])
            medians[op] = statistics.median(sweep) if sweep else None
            cells += [summary(sweep), summary(test)]
        traced = []
        for path in glob.glob(os.path.join(root, "labels", gpu, "*-inf-*.csv*")):
            traced += trace_tflops(path)
        ratio = "%.2fx" % (statistics.median(traced) / medians["linear"]) if traced and medians["linear"] else "-"
        print("| %s | %.1f | %s | %s | %s |" % (gpu, peak, " | ".join(cells), summary(traced), ratio))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: gemm_levels.py NEUSIGHT_DIR")
    main(sys.argv[1])
