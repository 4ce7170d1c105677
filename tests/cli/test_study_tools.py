#!/usr/bin/env python3
"""The data studies behind docs/accuracy.md that read the kernel column, answer a layer another way or set
rows apart: tools/split_by_kernel.py, tools/noise_floor.py --by-kernel, tools/conv_as_gemm.py and
tools/split_largest.py, on slices of the committed NeuSight data (measured rows, a few hundred of one GPU).

usage: test_study_tools.py PATH/TO/perfcast
"""
import csv
import json
import os
import re
import subprocess
import sys
import tempfile

from cases import case, finish

EXE = sys.argv[1]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS = os.path.join(ROOT, "tools")
CONV = os.path.join(ROOT, "data", "neusight", "conv.csv")


def tool(name, *args):
    p = subprocess.run([sys.executable, os.path.join(TOOLS, name), *args], capture_output=True, text=True, cwd=ROOT)
    return p


def read(path):
    with open(path, newline="") as f:
        lines = f.read().splitlines()
    header = [line for line in lines if line.startswith("#")]
    rows = list(csv.DictReader(line for line in lines if not line.startswith("#")))
    return header, rows


def slice_of(d, device, per_device=400):
    """The first rows of data/neusight/conv.csv of a device (and of the V100, so there are two devices)."""
    header, rows = read(CONV)
    kept, count = [], {}
    for r in rows:
        if r["device"] in (device, "v100_pcie_32gb") and count.get(r["device"], 0) < per_device:
            count[r["device"]] = count.get(r["device"], 0) + 1
            kept.append(r)
    path = os.path.join(d, "conv_slice.csv")
    with open(path, "w", newline="") as f:
        f.write("\n".join(header) + "\n")
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()), lineterminator="\n")
        w.writeheader()
        w.writerows(kept)
    return path, header, kept


@case
def split_by_kernel_writes_a_dataset_per_algorithm_that_perfcast_reads():
    with tempfile.TemporaryDirectory() as d:
        path, header, rows = slice_of(d, "t4")
        p = tool("split_by_kernel.py", path, os.path.join(d, "c"), "--min-rows", "1")
        assert p.returncode == 0, p.stderr
        written = sorted(f for f in os.listdir(d) if f.startswith("c_"))
        assert written and set(written) <= {"c_winograd.csv", "c_implicit.csv", "c_gemm.csv", "c_fft.csv"}, written
        total = 0
        for name in written:
            h, part = read(os.path.join(d, name))
            assert h == header, name
            group = name[2:-4]
            for r in part:
                k = r["kernel"].lower()
                assert (group == "winograd") == ("winograd" in k), (name, k)
                assert (group == "implicit") == ("winograd" not in k and "fft" not in k
                                                 and ("scudnn" in k or "implicit" in k)), (name, k)
            total += len(part)
            # a group's file is a dataset perfcast reads
            e = subprocess.run([EXE, "eval", "--data", os.path.join(d, name), "--all-rows"], capture_output=True, text=True)
            assert e.returncode == 0, e.stderr
        assert total == len(rows), (total, len(rows))
        # groups below --min-rows go to "other"
        p = tool("split_by_kernel.py", path, os.path.join(d, "o"), "--min-rows", "100000")
        assert p.returncode == 0, p.stderr
        assert sorted(f for f in os.listdir(d) if f.startswith("o_")) == ["o_other.csv"]


@case
def split_by_kernel_as_devices_keeps_the_kernel_in_a_copy_of_each_device():
    with tempfile.TemporaryDirectory() as d:
        path, _, rows = slice_of(d, "t4")
        for plain in (False, True):
            prefix = os.path.join(d, "plain" if plain else "kernel")
            p = tool("split_by_kernel.py", path, prefix, "--as-devices", "--perfcast", EXE, *(["--plain"] if plain else []))
            assert p.returncode == 0, p.stderr
            _, out = read(prefix + ".csv")
            assert len(out) == len(rows)
            with open(prefix + "_devices.json") as f:
                devices = {x["id"]: x for x in json.load(f)["devices"]}
            assert {r["device"] for r in out} == set(devices)
            groups = sorted({i.split("_")[-1] for i in devices})
            for i, x in devices.items():
                base = i[: -len(i.split("_")[-1]) - 1]
                assert base in ("t4", "v100_pcie_32gb"), i
                l2 = {"t4": 4.0, "v100_pcie_32gb": 6.0}[base]
                expect = l2 if plain else l2 * 4 ** groups.index(i.split("_")[-1])
                assert x["l2_mb"] == expect, (i, x["l2_mb"], expect)
            # perfcast knows the copies, and trains on them (a small model, few epochs)
            listed = subprocess.run([EXE, "devices", "--devices", prefix + "_devices.json", "--format", "json"],
                                    capture_output=True, text=True)
            assert listed.returncode == 0, listed.stderr
            assert set(devices) <= {x["id"] for x in json.loads(listed.stdout)["devices"]}
            t = subprocess.run([EXE, "train", "--data", prefix + ".csv", "--devices", prefix + "_devices.json",
                                "--kinds", "conv2d", "--no-portable", "--ensemble", "1", "--epochs", "2",
                                "--out", os.path.join(d, "m.json")], capture_output=True, text=True)
            assert t.returncode == 0, t.stderr


@case
def split_by_kernel_refuses_a_dataset_without_kernels():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "no_kernel.csv")
        with open(path, "w") as f:
            f.write("# format: perfcast-dataset\nkind,device,time_us\nconv2d,t4,1.0\n")
        p = tool("split_by_kernel.py", path, os.path.join(d, "x"))
        assert p.returncode != 0 and "no kernel column" in p.stderr and "no_kernel.csv:2" in p.stderr, p.stderr


@case
def noise_floor_by_kernel_splits_the_same_pairs():
    with tempfile.TemporaryDirectory() as d:
        path, _, _ = slice_of(d, "t4", per_device=2000)
        whole = tool("noise_floor.py", path)
        split = tool("noise_floor.py", "--by-kernel", path)
        assert whole.returncode == 0 and split.returncode == 0, whole.stderr + split.stderr
        pairs = {r["kind"]: int(r["pairs"]) for r in csv.DictReader(whole.stdout.splitlines())}
        parts = {r["kind"]: int(r["pairs"]) for r in csv.DictReader(split.stdout.splitlines())}
        assert pairs.get("conv2d", 0) > 0, whole.stdout
        assert set(parts) <= {"conv2d same kernel", "conv2d other kernel"}, parts
        assert sum(parts.values()) == pairs["conv2d"], (parts, pairs)


@case
def conv_as_gemm_answers_each_convolution_by_the_same_multiply_adds():
    with tempfile.TemporaryDirectory() as d:
        path, _, rows = slice_of(d, "t4", per_device=50)
        p = tool("conv_as_gemm.py", path, "t4", "--perfcast", EXE)
        assert p.returncode == 0, p.stderr
        m = re.match(r"t4: (\d+) rows; conv2d model ([\d.]+)% .*; dense model, as an implicit GEMM ([\d.]+)% .*; "
                     r"PALEO ([\d.]+)%", p.stdout)
        assert m, p.stdout
        assert int(m.group(1)) == sum(1 for r in rows if r["device"] == "t4" and int(r["groups"] or 1) == 1)
        # the layers it writes: a convolution and its implicit GEMM do the same multiply-adds
        sys.path.insert(0, TOOLS)
        from conv_as_gemm import layers_of
        conv, gemm = layers_of(rows[0], 0)
        gemm["bias"] = conv["bias"] = False
        flops = []
        for name, layer in (("conv", conv), ("gemm", gemm)):
            f = os.path.join(d, name + ".json")
            with open(f, "w") as out:
                json.dump({"format": "perfcast-network", "version": 1, "name": name, "batch": 1, "layers": [layer]}, out)
            q = subprocess.run([EXE, "predict", f, "--device", "t4", "--format", "csv"], capture_output=True, text=True)
            assert q.returncode == 0, q.stderr
            flops.append(int(next(csv.DictReader(q.stdout.splitlines()))["flops"]))
        assert flops[0] == flops[1] > 0, flops
        # a device without rows is refused, by name
        p = tool("conv_as_gemm.py", path, "p100_pcie_16gb", "--perfcast", EXE)
        assert p.returncode != 0 and "p100_pcie_16gb" in p.stderr, p.stderr


@case
def split_largest_sets_apart_each_devices_largest_gemms_by_perfcasts_own_count():
    with tempfile.TemporaryDirectory() as d:
        path, header, rows = slice_of(d, "t4", per_device=200)
        rest, largest = os.path.join(d, "rest.csv"), os.path.join(d, "largest.csv")
        p = tool("split_largest.py", path, "conv2d", rest, largest, "--fraction", "0.25")
        assert p.returncode == 0, p.stderr
        h_rest, r_rest = read(rest)
        h_largest, r_largest = read(largest)
        assert h_rest == header and h_largest == header
        key = lambda r: r["source"]
        assert sorted(map(key, r_rest + r_largest)) == sorted(map(key, rows))
        for device in ("t4", "v100_pcie_32gb"):
            assert sum(1 for r in r_largest if r["device"] == device) == 50, device
        # the size is the convolution's multiply-adds as perfcast counts them (its FLOPs without a bias, halved)
        sys.path.insert(0, TOOLS)
        from conv_as_gemm import layers_of
        layers = []
        for i, r in enumerate(rows):
            conv, _ = layers_of(r, i)
            conv["bias"] = False
            layers.append(conv)
        net = os.path.join(d, "net.json")
        with open(net, "w") as out:
            json.dump({"format": "perfcast-network", "version": 1, "name": "n", "batch": 1, "layers": layers}, out)
        q = subprocess.run([EXE, "predict", net, "--device", "t4", "--format", "csv", "--method", "roofline"],
                           capture_output=True, text=True)
        assert q.returncode == 0, q.stderr
        flops = {rows[int(r["layer"][3:])]["source"]: int(r["flops"]) for r in csv.DictReader(q.stdout.splitlines())}
        for device in ("t4", "v100_pcie_32gb"):
            big = min(flops[key(r)] for r in r_largest if r["device"] == device)
            small = max(flops[key(r)] for r in r_rest if r["device"] == device)
            assert big >= small, (device, big, small)
        # --fraction 0 copies every row of any kind; a share of a kind without a GEMM, or of 1, is refused
        p = tool("split_largest.py", path, "conv2d", rest, largest, "--fraction", "0")
        assert p.returncode == 0 and len(read(rest)[1]) == len(rows) and read(largest)[1] == [], p.stderr
        p = tool("split_largest.py", path, "softmax", rest, largest)
        assert p.returncode != 0 and "softmax" in p.stderr, p.stderr
        p = tool("split_largest.py", path, "conv2d", rest, largest, "--fraction", "1")
        assert p.returncode != 0 and "--fraction" in p.stderr, p.stderr


finish()
