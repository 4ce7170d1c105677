#!/usr/bin/env python3
"""Splits a perfcast dataset by the kernel its rows ran, one dataset per group, for the study of what
the kernel names would teach a model (docs/accuracy.md, "What the kernel names would add").

The `kernel` column names the cuDNN or cuBLAS kernel NeuSight's profiler saw for a row. A convolution
is grouped by its algorithm: `winograd`, `fft`, `implicit` (cuDNN's implicit-GEMM kernels, `scudnn`)
or `gemm` (an SGEMM over an explicit im2col); a GEMM (dense, bmm) by its tile, `128x64`, `64x32_sliced1x4`,
... Groups of fewer than --min-rows rows go to `other`; rows without a kernel to `none`. Each output
keeps the input's header lines, so `perfcast train` and `perfcast eval` read it as they read the whole
file (a row is held out by a hash of its contents, so it is held out in its group too).

    python3 tools/split_by_kernel.py data/neusight/conv.csv /tmp/conv
    # writes /tmp/conv_winograd.csv, /tmp/conv_implicit.csv, /tmp/conv_gemm.csv

--as-devices writes instead one dataset, PREFIX.csv, whose rows keep their group as a feature: each row's
device becomes DEVICE_GROUP, a copy of the device (PREFIX_devices.json, for `--devices`) whose L2 size is
the device's times 4 to the power of the group's index, so that the models of the training devices, which
see a device through its specification (log_l2_mb among it), see the kernel too; with --plain the copies
keep the device's L2, the same rows without the kernel, for the comparison on the same held-out rows (a
row is held out by a hash that includes its device's name). A study trick: such a model needs the kernel
of a layer to predict it, which no user has for a GPU nobody measured.
"""
import argparse
import copy
import csv
import json
import re
import subprocess
import sys
from collections import defaultdict

TILE = re.compile(r"(\d+x\d+)(_sliced\d+x\d+)?")


def group_of(kernel, kind):
    k = kernel.lower()
    if not k:
        return "none"
    if kind == "conv2d":
        if "winograd" in k:
            return "winograd"
        if "fft" in k:
            return "fft"
        return "implicit" if "scudnn" in k or "implicit" in k else "gemm"
    m = TILE.search(k)
    return m.group(0) if m else "other"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", help="a perfcast dataset with a kernel column")
    ap.add_argument("prefix", help="writes PREFIX_<group>.csv")
    ap.add_argument("--min-rows", type=int, default=500, help="smaller groups go to 'other' (default: 500)")
    ap.add_argument("--kind", default=None, help="only the rows of this kind (default: every row)")
    ap.add_argument("--skip-device", action="append", default=[], help="leave this device's rows out (repeatable)")
    ap.add_argument("--as-devices", action="store_true", help="one dataset, the group in its devices (above)")
    ap.add_argument("--plain", action="store_true", help="with --as-devices: the devices' copies unchanged")
    ap.add_argument("--perfcast", default="build/bin/perfcast", help="the perfcast program (for its devices)")
    a = ap.parse_args()
    with open(a.dataset, newline="") as f:
        lines = f.read().splitlines()
    header = [line for line in lines if line.startswith("#")]
    body = [line for line in lines if not line.startswith("#")]
    if not body:
        sys.exit(f"{a.dataset}: no column header")
    reader = csv.reader(body)
    columns = next(reader)
    if "kernel" not in columns:
        sys.exit(f"{a.dataset}:{len(header) + 1}: no kernel column")
    kernel, kind = columns.index("kernel"), columns.index("kind")
    device = columns.index("device")
    groups = defaultdict(list)
    for row in reader:
        if (a.kind is None or row[kind] == a.kind) and row[device] not in a.skip_device:
            groups[group_of(row[kernel], row[kind])].append(row)
    for name in [n for n, rows in groups.items() if len(rows) < a.min_rows and n not in ("other", "none")]:
        groups["other"].extend(groups.pop(name))
    if a.as_devices:
        return write_as_devices(a, header, columns, device, groups)
    for name, rows in sorted(groups.items()):
        if not rows:
            continue
        path = f"{a.prefix}_{name}.csv"
        with open(path, "w", newline="") as out:
            out.write("\n".join(header) + "\n")
            w = csv.writer(out, lineterminator="\n")
            w.writerow(columns)
            w.writerows(rows)
        print(f"{path}: {len(rows)} rows")


def write_as_devices(a, header, columns, device, groups):
    listed = subprocess.run([a.perfcast, "devices", "--format", "json"], capture_output=True, text=True, check=True)
    specs = {d["id"]: d for d in json.loads(listed.stdout)["devices"]}
    names = sorted(groups)
    copies, rows = {}, []
    for index, name in enumerate(names):
        for row in groups[name]:
            base = row[device]
            if base not in specs:
                sys.exit(f"{a.dataset}: device {base} is not one of {a.perfcast}'s")
            copy_id = f"{base}_{name}"
            if copy_id not in copies:
                d = copy.deepcopy(specs[base])
                d.update(id=copy_id, name=copy_id, aliases=[])
                if not a.plain:
                    d["l2_mb"] = d["l2_mb"] * 4 ** index
                copies[copy_id] = d
            rows.append(row[:device] + [copy_id] + row[device + 1:])
    with open(f"{a.prefix}.csv", "w", newline="") as out:
        out.write("\n".join(header) + "\n")
        w = csv.writer(out, lineterminator="\n")
        w.writerow(columns)
        w.writerows(rows)
    with open(f"{a.prefix}_devices.json", "w") as out:
        json.dump({"format": "perfcast-devices", "version": 1, "devices": list(copies.values())}, out, indent=1)
    print(f"{a.prefix}.csv: {len(rows)} rows, {len(copies)} devices ({', '.join(names)})")


if __name__ == "__main__":
    main()
