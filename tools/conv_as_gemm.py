#!/usr/bin/env python3
"""A GPU's convolution rows answered by its dense model, each convolution as the implicit GEMM it
amounts to, beside its conv2d model (docs/accuracy.md, "Convolutions from a GPU's dense model").

A convolution of batch N, C input and K output channels, an R x S window and a P x Q output is a GEMM
of N x P x Q rows, C x R x S deep and K wide (the view the features take of it, gemm_of in
feature_kernel.hpp); a GPU with linear rows and no conv rows (NeuSight's A100) could answer its
convolutions by its dense model so. Each row of one device (grouped convolutions skipped) becomes a
layer of two network files, the convolution and that dense layer, both predicted by `perfcast predict
--format csv`; printed: the mean error and the median predicted / measured of each, with PALEO's.

    python3 tools/conv_as_gemm.py data/neusight/conv.csv t4 [--model MODEL.json]
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile


def conv_rows(path, device):
    with open(path, newline="") as f:
        lines = (line for line in f if not line.startswith("#"))
        for r in csv.DictReader(lines):
            if r["kind"] == "conv2d" and r["device"] == device and r["pass"] == "inference" and r["time_us"]:
                yield r


def layers_of(r, i):
    n, c, k = int(r["batch"]), int(r["in_channels"]), int(r["out_channels"])
    h, w = int(r["height"]), int(r["width"])
    kh, kw, sh, sw = int(r["kernel_h"]), int(r["kernel_w"]), int(r["stride_h"]), int(r["stride_w"])
    ph, pw = int(r["pad_h"]), int(r["pad_w"])
    dh, dw = int(r["dilation_h"] or 1), int(r["dilation_w"] or 1)
    p = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    q = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    conv = {"name": f"row{i}", "kind": "conv2d", "batch": n, "in_channels": c, "height": h, "width": w,
            "out_channels": k, "kernel": [kh, kw], "stride": [sh, sw], "padding": [ph, pw], "dilation": [dh, dw],
            "bias": r["bias"] == "1"}
    # the dense rows all have a bias: the GEMM with one, whose cost the GEMM's dwarfs
    gemm = {"name": f"row{i}", "kind": "dense", "batch": 1, "seq": n * p * q, "in_features": c * kh * kw,
            "out_features": k, "bias": True}
    return conv, gemm


def predict(perfcast, layers, device, model, tmp, name):
    path = os.path.join(tmp, name + ".json")
    with open(path, "w") as f:
        json.dump({"format": "perfcast-network", "version": 1, "name": name, "batch": 1, "layers": layers}, f)
    cmd = [perfcast, "predict", path, "--device", device, "--format", "csv"] + (["--model", model] if model else [])
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)}: {out.stderr.strip()}")
    rows = [r for r in csv.DictReader(out.stdout.splitlines()) if r["layer"].startswith("row")]
    return [float(r["time_us"]) for r in rows], [float(r["paleo_us"]) for r in rows]


def summary(predicted, measured):
    errors = [abs(p / m - 1) for p, m in zip(predicted, measured)]
    ratios = [p / m for p, m in zip(predicted, measured)]
    return f"{100 * statistics.mean(errors):.1f}% (median predicted / measured {statistics.median(ratios):.2f})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", help="a perfcast dataset with conv2d rows")
    ap.add_argument("device", help="the device id of the rows")
    ap.add_argument("--model", default=None, help="the model (default: perfcast's default)")
    ap.add_argument("--perfcast", default="build/bin/perfcast", help="the perfcast program")
    a = ap.parse_args()
    convs, gemms, measured = [], [], []
    for i, r in enumerate(conv_rows(a.dataset, a.device)):
        if int(r["groups"] or 1) != 1:
            continue
        conv, gemm = layers_of(r, i)
        convs.append(conv)
        gemms.append(gemm)
        measured.append(float(r["time_us"]))
    if not measured:
        sys.exit(f"{a.dataset}: no ungrouped conv2d inference row of {a.device}")
    with tempfile.TemporaryDirectory() as tmp:
        by_conv, paleo = predict(a.perfcast, convs, a.device, a.model, tmp, "conv")
        by_gemm, _ = predict(a.perfcast, gemms, a.device, a.model, tmp, "gemm")
    print(f"{a.device}: {len(measured)} rows; conv2d model {summary(by_conv, measured)}; dense model, as an implicit "
          f"GEMM {summary(by_gemm, measured)}; PALEO {summary(paleo, measured)}")


if __name__ == "__main__":
    main()
