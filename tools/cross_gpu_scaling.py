#!/usr/bin/env python3
"""How well one GPU's measured time of a GEMM predicts another GPU's time of the same shape.

For the GEMM-like kinds (dense, bmm, conv2d) of perfcast datasets in which several GPUs measured the
same shapes (NeuSight's sweeps did), each row of GPU G is predicted from the row of the same shape on
GPU H, scaled the way the roofline says it should scale:

    t_G = floor_G + (t_H - floor_H) * roofline_G / roofline_H

(roofline = max(FLOPs / FP32 peak, bytes / bandwidth), the FLOPs and bytes of the layer's forward pass;
floor = the machine's fixed cost per call, the model file's `training.kernel_floors_us`). It prints, per
kind, per GPU G and per source GPU H, the mean |error|, the median predicted / measured, and the mean
|error| once that median is divided out (what is left when the one level of G against H is known).
These are measurements of another GPU, not a model's answers: a bound on what a per-shape transfer
across GPUs can do, whatever learns it. Device specifications come from `perfcast devices --format json`.
Standard library only.

    python3 tools/cross_gpu_scaling.py --perfcast build/bin/perfcast --model models/neusight-fp32.json \\
        data/neusight/linear.csv data/neusight/bmm.csv data/neusight/conv.csv
"""
import argparse
import collections
import csv
import json
import statistics
import subprocess
import sys

SIZES = {
    "dense": ("batch", "seq", "in_features", "out_features"),
    "bmm": ("batch", "m", "k", "n"),
    "conv2d": ("batch", "in_channels", "out_channels", "height", "width", "kernel_h", "kernel_w",
               "stride_h", "stride_w", "pad_h", "pad_w"),
}


def flops_bytes(kind, r):
    g = lambda k: int(r[k])
    if kind == "dense":
        m, k, n = g("batch") * g("seq"), g("in_features"), g("out_features")
        return 2 * m * k * n, 4 * (m * k + k * n + m * n)
    if kind == "bmm":
        b, m, k, n = g("batch"), g("m"), g("k"), g("n")
        return 2 * b * m * k * n, 4 * b * (m * k + k * n + m * n)
    b, c, o, h, w = g("batch"), g("in_channels"), g("out_channels"), g("height"), g("width")
    kh, kw, sh, sw, ph, pw = (g(x) for x in ("kernel_h", "kernel_w", "stride_h", "stride_w", "pad_h", "pad_w"))
    oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    return 2 * b * o * oh * ow * c * kh * kw, 4 * (b * c * h * w + o * c * kh * kw + b * o * oh * ow)


def read_rows(path):
    with open(path, newline="") as f:
        lines = [line for line in f if not line.startswith("#")]
    for number, row in enumerate(csv.DictReader(lines), start=2):
        yield number, row


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--perfcast", default="build/bin/perfcast", help="the perfcast program (for device specs)")
    ap.add_argument("--model", default="models/neusight-fp32.json", help="model file with the kernel floors")
    ap.add_argument("datasets", nargs="+", help="perfcast dataset CSV files")
    a = ap.parse_args()
    specs = {d["id"]: d for d in json.loads(subprocess.run([a.perfcast, "devices", "--format", "json"], check=True,
                                                             capture_output=True, text=True).stdout)["devices"]}
    with open(a.model) as f:
        training = json.load(f)["training"]
    floors = dict(zip(training["devices"], training["kernel_floors_us"]))
    times = collections.defaultdict(dict)  # (kind) -> device -> shape -> time
    work = {}
    for path in a.datasets:
        for number, r in read_rows(path):
            kind = r.get("kind")
            if kind not in SIZES or r.get("pass") != "inference" or not r.get("time_us"):
                continue
            for field in ("device",) + SIZES[kind]:
                if r.get(field, "") == "" and field not in ("seq",):
                    sys.exit(f"{path}:{number}: field {field} is empty")
            if kind == "dense" and not r["seq"]:
                r["seq"] = "1"
            if r["device"] not in specs or r["device"] not in floors:
                sys.exit(f"{path}:{number}: field device: {r['device']} has no specification or kernel floor")
            shape = tuple(r[k] for k in SIZES[kind])
            times[kind].setdefault(r["device"], {})[shape] = float(r["time_us"])
            work[(kind, shape)] = flops_bytes(kind, r)

    def roofline(device, f, b):
        s = specs[device]
        return max(f / (s["fp32_tflops"] * 1e6), b / (s["bandwidth_gbs"] * 1e3))

    print("kind     target          source           shapes  mean |error| %  median pred/meas  level divided out %")
    for kind in SIZES:
        by = times.get(kind, {})
        for g in sorted(by):
            for h in sorted(by):
                common = sorted(set(by[g]) & set(by[h]))
                if g == h or len(common) < 20:
                    continue
                ratios = []
                for shape in common:
                    f, b = work[(kind, shape)]
                    scale = roofline(g, f, b) / roofline(h, f, b)
                    predicted = floors[g] + max(by[h][shape] - floors[h], 0.0) * scale
                    ratios.append(predicted / by[g][shape])
                med = statistics.median(ratios)
                err = 100 * statistics.fmean(abs(x - 1) for x in ratios)
                lvl = 100 * statistics.fmean(abs(x / med - 1) for x in ratios)
                print(f"{kind:8} {g:15} {h:15} {len(common):7} {err:15.1f} {med:17.2f} {lvl:20.1f}")


if __name__ == "__main__":
    main()
