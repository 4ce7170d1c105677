#!/usr/bin/env python3
"""The operators of perfcast's zoo networks as NeuSight shape files, for bench/harness/torch_ops.py.

usage:
    python3 tools/zoo_shapes.py --perfcast build/bin/perfcast --out DIR
        [--networks resnet50,vgg16,...] [--batches 1,2,4,...] [--seqs 128,512,...]

NeuSight's sweeps (and so the default model's training rows) draw every size at random: a shape whose
dimensions are all multiples of 64, as most layers of real networks have, is in none of them (4
convolutions of 19,875), and the model answers it by extrapolation (docs/accuracy.md, "Aligned
shapes"). This writes the distinct operators of the zoo's networks at the given batch sizes (and, for
the transformers, sequence lengths) in NeuSight's per-operator formats, so that one run of
torch_ops.py on a GPU times the layers real networks run with NeuSight's method:

    DIR/linear.csv  OPName,B,M,N,K        Linear(N, K) on (B, M, N): a dense layer, B the batch, M its tokens
    DIR/bmm.csv     OPName,B,M,N,K        bmm of (B, M, N) by (B, N, K) (a transposed operand timed as stored)
    DIR/conv.csv    OPName,B,Input_Channel,Output_Channel,Kernel_Szie,Input_Size,Stride,Padding
    DIR/elem.csv    OPName,B,H            add, mul, div, pow (u: a scalar operand), relu, gelu, tanh,
                                          softmax, ln over (B, H): H the last dimension, B the rest

plus DIR/README.md (the command, the networks, batches and sequences, and what was left out). Left
out, counted in the README: what NeuSight's formats cannot say (a convolution with a non-square input,
kernel, stride or padding, grouped or dilated; an element-wise operand broadcast from another shape;
sub and where; batch norm, pooling, embedding, copies, concatenation), and layers that run no kernel
(flatten, dropout at inference). The layers come from `perfcast network show NAME --format json`, so
they are the zoo's own, shapes and all.
"""
import argparse
import csv
import json
import os
import subprocess
import sys

CNNS = ["lenet5", "alexnet", "vgg16", "resnet50", "inception_v3"]
TRANSFORMERS = ["bert_large", "gpt2_large", "gpt3_xl", "gpt3_27", "opt_13", "switchxl4"]

COLUMNS = {
    "linear": ["OPName", "B", "M", "N", "K"],
    "bmm": ["OPName", "B", "M", "N", "K"],
    "conv": ["OPName", "B", "Input_Channel", "Output_Channel", "Kernel_Szie", "Input_Size", "Stride", "Padding"],
    "elem": ["OPName", "B", "H"],
}
ACTIVATIONS = {"relu", "gelu", "tanh"}  # NeuSight's unary operators (torch_ops.py's relu, gelu, tanh)
BINARY = {"add", "mul", "div", "pow"}   # with a tensor of the same shape, or (suffix u) a Python scalar


def prod(xs):
    p = 1
    for x in xs:
        p *= int(x)
    return p


def rows_of(layer, shown, batch):
    """(file, row) for one layer of `perfcast network show --format json` (its `layer` and the whole entry,
    of a network at `batch`), or (None, why) if NeuSight's formats cannot say it."""
    k = layer["kind"]
    out = shown["output_shape"]
    if k == "dense":  # a layer without a bias is timed with one: torch_ops.py's Linear (cuBLAS adds it in the GEMM)
        return "linear", {"OPName": "linear", "B": batch, "M": layer.get("seq", 1),
                          "N": layer["in_features"], "K": layer["out_features"]}
    if k == "bmm":
        return "bmm", {"OPName": "bmm", "B": layer["batch"], "M": layer["m"], "N": layer["k"], "K": layer["n"]}
    if k == "conv2d":
        def square(v):
            return v if isinstance(v, int) else (v[0] if len(v) == 2 and v[0] == v[1] else None)
        kern, stride, pad = square(layer["kernel"]), square(layer.get("stride", 1)), square(layer.get("padding", 0))
        if layer.get("height") != layer.get("width") or None in (kern, stride, pad):
            return None, "conv2d not square (input, kernel, stride or padding)"
        if layer.get("groups", 1) != 1 or square(layer.get("dilation", 1)) != 1:
            return None, "conv2d grouped or dilated"
        return "conv", {"OPName": "conv", "B": batch, "Input_Channel": layer["in_channels"],
                        "Output_Channel": layer["out_channels"], "Kernel_Szie": kern, "Input_Size": layer["height"],
                        "Stride": stride, "Padding": pad}
    vec = {"B": prod(out[:-1]), "H": out[-1]} if out else None
    if k == "activation":
        act = layer.get("activation")
        if act not in ACTIVATIONS:
            return None, f"activation {act}"
        return "elem", {"OPName": act, **vec}
    if k == "add":
        if layer.get("inputs", 2) != 2:
            return None, "add of more than two inputs"
        return "elem", {"OPName": "add", **vec}
    if k == "elementwise":
        op = layer.get("op")
        if op not in BINARY:
            return None, f"element-wise {op}"
        if layer.get("scalar"):
            return "elem", {"OPName": op + "u", **vec}
        other = layer.get("other")
        if other is not None and list(other) != list(layer.get("shape", [])) and list(other) != list(out):
            return None, f"element-wise {op} with a broadcast operand"
        return "elem", {"OPName": op, **vec}
    if k == "softmax":
        return "elem", {"OPName": "softmax", **vec}  # over the last dimension
    if k == "layernorm":
        return "elem", {"OPName": "ln", **vec}
    if k in ("flatten", "dropout"):
        return None, f"{k} (no kernel at inference)"
    return None, k


def show(perfcast, name, batch, seq):
    cmd = [perfcast, "network", "show", name, "--batch", str(batch), "--format", "json"]
    if seq is not None:
        cmd += ["--seq", str(seq)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0 and seq is not None and "maximum positions" in r.stderr:
        return None  # a sequence longer than the model's positions
    if r.returncode != 0:
        sys.exit(f"zoo_shapes: {' '.join(cmd)} failed: {r.stderr.strip()}")
    return json.loads(r.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--perfcast", required=True, help="the perfcast program (build/bin/perfcast)")
    ap.add_argument("--out", required=True, help="folder for linear.csv, bmm.csv, conv.csv, elem.csv, README.md")
    ap.add_argument("--networks", default=",".join(CNNS + TRANSFORMERS))
    ap.add_argument("--batches", default="1,2,4,8,16,32,64")
    ap.add_argument("--seqs", default="128,512,1024,2048", help="the transformers' sequence lengths")
    args = ap.parse_args()
    try:
        batches = [int(b) for b in args.batches.split(",")]
        seqs = [int(s) for s in args.seqs.split(",")]
    except ValueError:
        sys.exit("zoo_shapes: --batches and --seqs take whole numbers separated by commas")
    if not batches or not seqs or min(batches + seqs) < 1:
        sys.exit("zoo_shapes: --batches and --seqs take positive whole numbers")
    networks = [n for n in args.networks.split(",") if n]
    unknown = [n for n in networks if n not in CNNS + TRANSFORMERS]
    if unknown:
        sys.exit(f"zoo_shapes: unknown network {unknown} (the zoo: {', '.join(CNNS + TRANSFORMERS)})")

    rows = {f: [] for f in COLUMNS}
    seen = set()
    left_out = {}
    too_long = set()  # "name seq": beyond the model's maximum positions
    layers = 0
    for name in networks:
        for batch in batches:
            for seq in (seqs if name in TRANSFORMERS else [None]):
                net = show(args.perfcast, name, batch, seq)
                if net is None:
                    too_long.add(f"{name} {seq}")
                    continue
                for shown in net["layers"]:
                    layers += 1
                    f, row = rows_of(shown["layer"], shown, net["batch"])
                    if f is None:
                        left_out[row] = left_out.get(row, 0) + 1
                        continue
                    key = (f,) + tuple(row[c] for c in COLUMNS[f])
                    if key not in seen:
                        seen.add(key)
                        rows[f].append(row)
    os.makedirs(args.out, exist_ok=True)
    for f, cols in COLUMNS.items():
        with open(os.path.join(args.out, f + ".csv"), "w", newline="") as out:
            w = csv.DictWriter(out, fieldnames=cols)
            w.writeheader()
            w.writerows(rows[f])
    command = f"python3 tools/zoo_shapes.py --perfcast {args.perfcast} --out {args.out}" + "".join(
        f" --{k} {v}" for k, v in (("networks", ",".join(networks)), ("batches", args.batches), ("seqs", args.seqs)))
    with open(os.path.join(args.out, "README.md"), "w") as readme:
        readme.write("# The zoo's operators as NeuSight shape files\n\n")
        readme.write("Shapes, not timings: written by `tools/zoo_shapes.py` from perfcast's zoo, for "
                     "`bench/harness/torch_ops.py` (the layers real networks run, with NeuSight's method). "
                     "Regenerate them after a change of the zoo; `tests/cli/test_zoo_shapes.py` checks they are current.\n\n")
        readme.write(f"```sh\n{command}\n```\n\n")
        readme.write(f"{layers:,} layers of {len(networks)} networks; distinct operators: " +
                     ", ".join(f"{f} {len(rows[f]):,}" for f in COLUMNS) + ".\n\n")
        readme.write("Left out (layers, not distinct): " +
                     (", ".join(f"{why} {n:,}" for why, n in sorted(left_out.items())) or "none") + ".\n")
        if too_long:
            readme.write("Sequence lengths beyond a model's maximum positions, skipped: " +
                         ", ".join(sorted(too_long)) + ".\n")
    print(f"zoo_shapes: {layers} layers -> " + ", ".join(f"{f}.csv {len(rows[f])}" for f in COLUMNS) +
          f" in {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
