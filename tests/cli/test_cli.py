#!/usr/bin/env python3
"""End-to-end tests of the perfcast command-line program: outputs, JSON shapes and errors.

usage: test_cli.py PATH/TO/perfcast
"""
import csv
import json
import math
import os
import subprocess
import sys
import tempfile

from cases import case, finish
from model_digest import model_digest

EXE = sys.argv[1]


def run(*args, ok=True, cwd=None):
    p = subprocess.run([EXE, *args], capture_output=True, text=True, cwd=cwd)
    if ok and p.returncode != 0:
        raise AssertionError(f"{args}: exit {p.returncode}: {p.stderr}")
    if not ok and p.returncode == 0:
        raise AssertionError(f"{args}: expected a failure, got exit 0")
    return p



@case
def network_show_json_counts_match_torchvision():
    expected = {"resnet50": 25557032, "alexnet": 61100840, "vgg16": 138357544, "inception_v3": 23834568}
    for name, params in expected.items():
        j = json.loads(run("network", "show", name, "--batch", "1", "--format", "json").stdout)
        assert j["totals"]["params"] == params, (name, j["totals"]["params"])
        assert j["totals"]["flops_forward"] == sum(l["flops"] for l in j["layers"]), name
        assert len(j["layers"]) == j["totals"]["layers"]


@case
def network_show_table_lists_layers():
    out = run("network", "show", "resnet50", "--batch", "2").stdout
    assert "layer4.2.conv3" in out and "25,557,032 parameters" in out, out[-300:]


@case
def predict_prints_the_resnet50_table_and_names_the_method():
    out = run("predict", "resnet50", "--device", "h100", "--batch", "32").stdout
    assert "fc" in out and "H100 SXM5 80GB" in out
    assert "method:    mlp" in out and "learned model" in out and "h100_sxm was not in its training data" in out, out[-800:]
    out = run("predict", "resnet50", "--device", "h100", "--batch", "32", "--method", "paleo").stdout
    assert "method:    paleo" in out and "analytical estimate" in out


def near_printed(values, rel=1e-5):
    """Values to compare with a printed (6 significant digits) rendering of them."""
    class Near:
        def __init__(self, v):
            self.v = v

        def __eq__(self, other):
            return abs(float(other) - self.v) <= rel * max(abs(self.v), 1e-12)

        def __repr__(self):
            return repr(self.v)
    return [Near(v) for v in values]


@case
def predict_gives_each_layer_in_the_network_and_alone():
    """A GPU network's kernels as a stream (in_stream_us): each layer's time_us at most its alone_us, the
    totals their sums, in JSON, CSV and the table; an analytical estimate has nothing to overlap."""
    j = json.loads(run("predict", "resnet50", "--device", "t4", "--batch", "8", "--format", "json").stdout)
    assert abs(sum(l["time_us"] for l in j["layers"]) - j["total_us"]) <= 1e-9 * j["total_us"]
    assert abs(sum(l["alone_us"] for l in j["layers"]) - j["alone_total_us"]) <= 1e-9 * j["alone_total_us"]
    assert all(l["time_us"] <= l["alone_us"] for l in j["layers"])
    assert j["total_us"] < 0.95 * j["alone_total_us"], (j["total_us"], j["alone_total_us"])
    rows = list(csv.DictReader(run("predict", "resnet50", "--device", "t4", "--batch", "8", "--format", "csv")
                               .stdout.splitlines()))
    assert [float(r["alone_us"]) for r in rows] == near_printed([l["alone_us"] for l in j["layers"]])
    sweep = list(csv.DictReader(run("predict", "resnet50", "--device", "t4", "--batch", "1,8", "--format", "csv")
                                .stdout.splitlines()))
    assert float(sweep[1]["alone_total_us"]) == near_printed([j["alone_total_us"]])[0]
    out = run("predict", "resnet50", "--device", "t4", "--batch", "8").stdout
    assert "alone us" in out and "  alone:     " in out and "as the operator data were" in out, out[-600:]
    r = json.loads(run("predict", "resnet50", "--device", "t4", "--batch", "8", "--method", "roofline",
                       "--format", "json").stdout)
    assert r["total_us"] == r["alone_total_us"] and all(l["time_us"] == l["alone_us"] for l in r["layers"])
    assert "  alone:     " not in run("predict", "resnet50", "--device", "t4", "--method", "roofline").stdout


@case
def predict_uses_the_model_only_where_it_was_trained():
    j = json.loads(run("predict", "resnet50", "--device", "t4", "--format", "json").stdout)
    by = {l["kind"]: set() for l in j["layers"]}
    for l in j["layers"]:
        by[l["kind"]].add(l["method"])
    assert by["conv2d"] == {"mlp"} and by["dense"] == {"mlp"}, by
    assert by["batchnorm2d"] == {"mlp"}  # no rows: the portable model of every memory-bound kind
    assert by["flatten"] == {"no kernel"}  # a view: no kernel, in any pass
    # where each learned layer lies: the T4 is a training GPU, the H100 is not
    assert {l["device_in_training"] for l in j["layers"] if l["kind"] == "conv2d"} == {True}
    assert {l["device_in_training"] for l in j["layers"] if l["kind"] == "batchnorm2d"} == {True}
    assert all("shape_in_training" in l for l in j["layers"] if l["method"] == "mlp")
    h = json.loads(run("predict", "resnet50", "--device", "h100", "--format", "json").stdout)
    assert {l["device_in_training"] for l in h["layers"] if l["method"] == "mlp"} == {False}
    assert "not in its training data" in h["note"] and "same chip as h200_sxm" in h["note"], h["note"]
    # the H100 SXM is the H200's chip: the H200's models answer every learned layer, and each says so
    conv = [l for l in h["layers"] if l["kind"] == "conv2d"]
    assert {x["feature"] for l in conv for x in l["extrapolation"][:1]} == {"device"}, conv[0]
    assert {l["extrapolation"][0].get("same_chip_as") for l in conv} == {"h200_sxm"}, conv[0]
    table = run("predict", "resnet50", "--device", "h100").stdout
    assert " data" in table and "same chip as h200_sxm" in table and "new device" not in table
    # the L4 is no training GPU's chip: the portable models
    l4 = run("predict", "resnet50", "--device", "l4").stdout
    assert "new device" in l4 and "same chip" not in l4, l4[-600:]
    j = json.loads(run("predict", "resnet50", "--device", "t4", "--pass", "training", "--format", "json").stdout)
    # trained on forward passes only: each layer's training step is its kernels, each learned as a forward
    # kernel; the optimizer's update is inference-pass kernels
    assert {l["method"] for l in j["layers"][:-1]} == {"mlp", "no kernel"}
    assert "trained on forward passes only" in j["note"]
    inference = json.loads(run("predict", "resnet50", "--device", "t4", "--format", "json").stdout)
    assert j["total_us"] > 2 * inference["total_us"]
    # a precision the model has no rows of: each layer keeps the ratio learned in fp32, with its own roofline
    b = json.loads(run("predict", "resnet50", "--device", "t4", "--dtype", "bf16", "--format", "json").stdout)
    assert {l["method"] for l in b["layers"]} == {"mlp", "no kernel"}
    assert "it was not trained on bf16" in b["note"] and "so every layer uses the roofline" not in b["note"]
    for l in b["layers"]:
        if l["method"] == "mlp":
            assert {"feature": "precision", "value": "bf16", "learned": "fp32"} in l["extrapolation"], l
            assert l["time_us"] >= l["roofline_us"] * (1 - 1e-9), l
    assert b["total_us"] < inference["total_us"]  # half the bytes, and the T4's FP16 tensor cores
    # TF32 changes what GEMMs and convolutions compute at: the other layers are the FP32 kernels
    f = json.loads(run("predict", "resnet50", "--device", "h200", "--batch", "32", "--format", "json").stdout)
    t = json.loads(run("predict", "resnet50", "--device", "h200", "--batch", "32", "--dtype", "tf32",
                       "--format", "json").stdout)
    for a, c in zip(f["layers"], t["layers"]):
        if a["kind"] in ("conv2d", "dense"):
            assert c["time_us"] < a["time_us"], (a, c)
        else:
            assert c["time_us"] == a["time_us"], (a, c)
    assert "the layers that are not GEMMs or convolutions run their fp32 kernels" in t["note"]
    assert "from fp32" in run("predict", "resnet50", "--device", "h200", "--dtype", "tf32").stdout
    assert j["layers"][-1]["name"] == "optimizer.sgd_momentum" and j["layers"][-1]["method"] == "mlp"


def _synthetic_linear(path, device, rows, launch_ms, ms_per_mac):
    """A NeuSight-format linear file of synthetic rows (made up for the tests): a latency that grows with the
    GEMM size."""
    with open(path, "w") as f:
        f.write("OPName,Latency,Device,B,M,N,K\n")
        for i in range(rows):
            b, m, n, k = 1 + i % 8, 16 + (i * 7) % 200, 32 + (i * 13) % 500, 16 + (i * 29) % 700
            f.write(f"linear,{launch_ms + b * m * n * k * ms_per_mac:.6f},{device},{b},{m},{n},{k}\n")


@case
def import_train_eval_and_study_on_a_small_dataset():
    with tempfile.TemporaryDirectory() as d:
        raw = os.path.join(d, "Tesla_T4.csv")
        _synthetic_linear(raw, "Tesla T4", 400, 0.01, 2e-12)
        _synthetic_linear(os.path.join(d, "Tesla_V100-PCIE-32GB.csv"), "Tesla V100-PCIE-32GB", 400, 0.008, 1e-12)
        data = os.path.join(d, "linear.csv")
        p = run("import", "neusight", raw, os.path.join(d, "Tesla_V100-PCIE-32GB.csv"), "--out", data)
        assert "wrote 800 rows" in p.stderr
        model = os.path.join(d, "m.json")
        p = run("train", "--data", data, "--out", model, "--epochs", "5", "--hidden", "16,16", "--ensemble", "2")
        assert "dense epoch 1" in p.stderr and os.path.exists(model)
        with open(model) as f:
            assert len(json.load(f)["models"]["dense"]["ensemble"]) == 2
        assert "--ensemble" in run("train", "--data", data, "--out", model + ".x", "--ensemble", "0", ok=False).stderr
        rows = os.path.join(d, "rows.csv")
        j = json.loads(run("eval", "--model", model, "--data", data, "--format", "json", "--rows", rows).stdout)
        assert {g["device"] for g in j} == {"*", "t4", "v100_pcie_32gb"}
        assert all(0 <= g["within_10"] <= g["within_20"] <= 1 and g["n"] > 0 for g in j)
        assert sum(g["n"] for g in j if g["device"] != "*") < 200  # only held-out rows
        # --rows: one line per evaluated row, its error consistent with its times and the groups' means
        with open(rows) as f:
            per_row = list(csv.DictReader(f))
        assert len(per_row) == sum(g["n"] for g in j if g["device"] == "*")
        for r in per_row:
            m, p_ = float(r["measured_us"]), float(r["predicted_us"])
            assert r["kind"] == "dense" and m > 0 and p_ > 0
            assert abs(float(r["error"]) - (p_ - m) / m) < 1e-9
        mean = sum(abs(float(r["error"])) for r in per_row) / len(per_row)
        assert abs(mean - next(g for g in j if g["device"] == "*")["mean_rel_error"]) < 1e-9
        out = run("predict", "lenet5", "--device", "t4", "--model", model).stdout
        assert "method:    mlp" in out
        j = json.loads(run("study", "leave-one-out", "--data", data, "--epochs", "3", "--hidden", "8",
                           "--format", "json").stdout)
        assert [r["label"] for r in j] == ["left out: t4", "left out: v100_pcie_32gb"]
        assert all(r["test_rows"] == 400 for r in j)
        # the feature ablation: on GEMM rows alone no GPU has a kernel floor, and time / roofline is the default
        ablation = ["study", "ablation", "--epochs", "2", "--hidden", "8", "--ensemble", "1", "--format", "json"]
        j = json.loads(run(*ablation, "--data", data).stdout)
        assert [r["label"] for r in j][-2:] == ["+ hardware features", "+ hardware, time / roofline (default)"], j
        # with small adds the GPUs' floors are measured, and the floor + roofline target is the default
        adds = os.path.join(d, "add_T4.csv")
        with open(adds, "w") as f:
            f.write("OPName,Latency,Device,B,H\n")
            for i in range(200):  # synthetic rows (made up for this test): a launch plus the bytes
                b, h = 1 + i % 16, 8 + (i * 11) % 120
                f.write(f"add,{0.02 + b * h * 12 / 300e9 * 1e3:.6f},Tesla T4,{b},{h}\n")
        add_data = os.path.join(d, "add.csv")
        run("import", "neusight", adds, "--out", add_data)
        j = json.loads(run(*ablation, "--data", data, "--data", add_data).stdout)
        assert [r["label"] for r in j][-2:] == ["+ hardware, time / roofline",
                                               "+ hardware, time / (kernel floor + roofline) (default)"], j
        # a damaged model file is refused: its contents no longer give the digest it records
        with open(model) as f:
            text = f.read()
        with open(model, "w") as f:
            f.write(text.replace('"predicted_us": ', '"predicted_us": 1'))
        p = run("eval", "--model", model, "--data", data, ok=False)
        assert f"{model}:2: digest: " in p.stderr and "altered" in p.stderr, p.stderr


@case
def a_source_left_out_of_training_is_recorded_and_evaluated_apart():
    with tempfile.TemporaryDirectory() as d:
        raws = [os.path.join(d, "Tesla_T4.csv"), os.path.join(d, "Tesla_V100-PCIE-32GB.csv"),
                os.path.join(d, "Tesla_P100-PCIE-16GB.csv")]
        _synthetic_linear(raws[0], "Tesla T4", 400, 0.03, 6e-12)  # a sweep three times slower than the others'
        _synthetic_linear(raws[1], "Tesla V100-PCIE-32GB", 400, 0.008, 1e-12)
        _synthetic_linear(raws[2], "Tesla P100-PCIE-16GB", 400, 0.01, 1.5e-12)
        data = os.path.join(d, "linear.csv")
        run("import", "neusight", *raws, "--out", data)
        with open(data) as f:
            t4 = next(r for r in csv.DictReader(x for x in f if not x.startswith("#")) if r["device"] == "t4")
        prefix = t4["source"].rsplit(":", 1)[0] + ":"
        model = os.path.join(d, "m.json")
        train = ["train", "--data", data, "--out", model, "--epochs", "5", "--hidden", "16,16", "--ensemble", "1"]
        p = run(*train, "--exclude-source", prefix)
        assert f'leaving out the rows whose source begins with "{prefix}"' in p.stderr, p.stderr
        with open(model) as f:
            j = json.load(f)
        assert j["training"]["exclude_sources"] == [prefix] and j["training"]["excluded_rows"] == 400, j["training"]
        assert j["training"]["devices"] == ["p100_pcie_16gb", "v100_pcie_32gb"], j["training"]["devices"]
        # eval: the left-out rows are not among the held-out ones, and are said apart with their error
        out = run("eval", "--model", model, "--data", data).stdout
        assert "400 rows left out: their sources were left out of the model's training" in out, out
        assert "dense on t4: 400 rows, mean error " in out, out
        p = run("eval", "--model", model, "--data", data, "--format", "json")
        assert {g["device"] for g in json.loads(p.stdout)} == {"*", "p100_pcie_16gb", "v100_pcie_32gb"}, p.stdout
        assert "400 rows left out" in p.stderr, p.stderr
        # the studies leave them out too: the seeds' test rows are the others' held-out rows
        j = json.loads(run("study", "seeds", "--data", data, "--seeds", "3", "--epochs", "2", "--hidden", "8",
                           "--ensemble", "1", "--format", "json", "--exclude-source", prefix).stdout)
        assert j[0]["test_rows"] == json.loads(run("eval", "--model", model, "--data", data, "--format",
                                                   "json").stdout)[0]["n"], j
        # a prefix no row's source begins with is refused before any training, naming the option and the prefix
        p = run(*train, "--exclude-source", "nosuch:", ok=False)
        assert "--exclude-source" in p.stderr and '"nosuch:"' in p.stderr and "epoch" not in p.stderr, p.stderr


@case
def predict_json_total_is_the_sum_of_layers():
    j = json.loads(run("predict", "vgg16", "--device", "NVIDIA A100-SXM4-40GB", "--batch", "4", "--pass",
                       "training", "--dtype", "tf32", "--format", "json").stdout)
    assert abs(j["total_us"] - sum(l["time_us"] for l in j["layers"])) < 1e-6 * j["total_us"]
    assert j["pass"] == "training" and j["dtype"] == "tf32" and j["batch"] == 4
    assert j["device"] == "a100_sxm4_40gb"
    assert j["throughput_per_s"] > 0


@case
def predict_sweeps_batch_sizes_in_every_format():
    j = json.loads(run("predict", "resnet50", "--device", "t4", "--batch", "1,4,16", "--format", "json").stdout)
    assert [x["batch"] for x in j] == [1, 4, 16]
    assert j[2]["flops"] == 16 * j[0]["flops"]
    assert all(x["throughput_per_s"] > 0 for x in j)
    out = run("predict", "resnet50", "--device", "t4", "--batch", "1,4,16", "--format", "csv").stdout.splitlines()
    assert out[0].startswith("network,device,pass,dtype,batch,") and len(out) == 4
    table = run("predict", "vgg16", "--device", "a100", "--batch", "2,8").stdout
    assert "samples/s" in table and "PALEO ms" in table
    rows = run("predict", "alexnet", "--device", "t4", "--format", "csv").stdout.splitlines()
    assert rows[0].split(",")[:4] == ["layer", "kind", "method", "time_us"]
    assert len(rows) == 1 + 22
    share = sum(float(r.split(",")[4]) for r in rows[1:])
    # each share is printed to six significant digits (< 1: off by at most 5e-7), so 22 of them sum to 1 within 1.1e-5
    assert abs(share - 1.0) < 1.1e-5, share
    p = run("predict", "resnet50", "--device", "t4", "--batch", "1,0", ok=False)
    assert "--batch" in p.stderr


@case
def predict_compares_several_devices_side_by_side():
    devices = ["h100", "a100_pcie_80gb", "t4", "l4"]
    ids = ["h100_sxm", "a100_pcie_80gb", "t4", "l4"]
    one = {i: json.loads(run("predict", "resnet50", "--device", d, "--batch", "8", "--format", "json").stdout)
           for d, i in zip(devices, ids)}
    # JSON: one object per device, each the single-device answer, with its time over the fastest one's
    j = json.loads(run("predict", "resnet50", "--device", ",".join(devices), "--batch", "8", "--format", "json").stdout)
    assert [x["device"] for x in j] == ids, [x["device"] for x in j]
    fastest = min(x["total_us"] for x in j)
    for x in j:
        assert x["total_us"] == one[x["device"]]["total_us"] and x["layers"] == one[x["device"]]["layers"], x["device"]
        assert abs(x["relative_to_fastest"] - x["total_us"] / fastest) < 1e-12, x
        assert x["data"] == one[x["device"]]["data"]
    assert min(x["relative_to_fastest"] for x in j) == 1.0
    # where the learned layers lie: a training GPU, a GPU of a training GPU's chip (the A100 80GB's convolutions,
    # which NeuSight did not measure on the A100, are outside), a GPU outside the data
    data = {x["device"]: x["data"] for x in j}
    assert data["t4"] == "trained on it" and data["h100_sxm"] == "same chip as h200_sxm", data
    assert data["l4"] == "not in the data", data
    assert data["a100_pcie_80gb"].startswith("same chip as a100_pcie_40gb: ") and "not in the data" in data["a100_pcie_80gb"]
    # CSV and the table: devices within each batch, in the order given
    rows = list(csv.DictReader(run("predict", "resnet50", "--device", ",".join(devices), "--batch", "1,8",
                                   "--format", "csv").stdout.splitlines()))
    assert [(r["batch"], r["device"]) for r in rows] == [(b, i) for b in ("1", "8") for i in ids], rows
    for r in rows[4:]:
        assert float(r["total_us"]) == near_printed([one[r["device"]]["total_us"]])[0], r
        assert r["data"] == one[r["device"]]["data"]
    assert all(min(float(r["relative_to_fastest"]) for r in rows[k:k + 4]) == 1.0 for k in (0, 4))
    table = run("predict", "resnet50", "--device", ",".join(devices), "--batch", "8").stdout
    assert "vs fastest" in table and "1.00x" in table and "on 4 devices" in table, table
    for i in ids:
        assert f"  {i} (" in table, i
    # one device keeps its layer table; a sweep of one device names it in every CSV row
    sweep = list(csv.DictReader(run("predict", "resnet50", "--device", "t4", "--batch", "1,8", "--format",
                                    "csv").stdout.splitlines()))
    assert [r["device"] for r in sweep] == ["t4", "t4"] and all(r["relative_to_fastest"] == "1" for r in sweep)
    # errors name the device list
    p = run("predict", "resnet50", "--device", "t4,tesla t4", ok=False)
    assert "--device" in p.stderr and "t4 is named twice" in p.stderr, p.stderr
    p = run("predict", "resnet50", "--device", "t4,", ok=False)
    assert "--device" in p.stderr and "empty name" in p.stderr, p.stderr
    p = run("predict", "resnet50", "--device", "t4,nosuchgpu", ok=False)
    assert "nosuchgpu" in p.stderr, p.stderr
    p = run("predict", "resnet50", "--device", "t4,l4", "--kernel-floor-us", "20", ok=False)
    assert "--kernel-floor-us" in p.stderr and "one --device" in p.stderr, p.stderr


@case
def predict_roofline_is_no_slower_than_paleo():
    j = json.loads(run("predict", "resnet50", "--device", "t4", "--method", "roofline", "--format", "json").stdout)
    assert j["method"] == "roofline"
    assert j["total_us"] <= j["paleo_total_us"]


@case
def each_tier_trains_networks_of_the_widths_given_to_it():
    with tempfile.TemporaryDirectory() as d:
        data = os.path.join(d, "small.csv")
        with open(data, "w") as f:
            f.write("kind,pass,dtype,device,batch,in_features,out_features,inputs,time_us,source\n")
            # synthetic rows (made up for this test): dense layers and adds on two GPUs
            for i in range(60):
                for dev, scale in (("t4", 2.0), ("v100_pcie_32gb", 1.0)):
                    f.write(f"dense,inference,fp32,{dev},{1 + i},{64 + 8 * i},{32 + 4 * i},,{scale * (30 + i)},synthetic\n")
                    f.write(f"add,inference,fp32,{dev},{1 + i},{64 + 16 * i},,2,{scale * (20 + i / 2)},synthetic\n")
        out = os.path.join(d, "m.json")
        run("train", "--data", data, "--out", out, "--epochs", "2", "--ensemble", "1", "--hidden", "12,6",
            "--memory-hidden", "8,4", "--portable-hidden", "16")
        with open(out) as f:
            m = json.load(f)
        hidden = lambda k: k["regressor"]["config"]["hidden"]
        assert hidden(m["models"]["dense"]) == [12, 6], hidden(m["models"]["dense"])   # --hidden
        assert hidden(m["models"]["add"]) == [8, 4], hidden(m["models"]["add"])        # a memory-bound kind
        assert m["portable_models"] and all(hidden(k) == [16] for k in m["portable_models"]), m["portable_models"]
        p = run("train", "--data", data, "--out", out, "--no-portable", "--portable-hidden", "16", ok=False)
        assert "--portable-hidden: there is no portable tier to train with --no-portable" in p.stderr, p.stderr
        p = run("train", "--data", data, "--out", out, "--memory-hidden", "8,0", ok=False)
        assert "--memory-hidden: expected an integer 1 to 4096" in p.stderr, p.stderr


@case
def devices_json_has_sources():
    j = json.loads(run("devices", "--format", "json").stdout)
    assert j["format"] == "perfcast-devices"
    assert all(d["source"] for d in j["devices"])
    assert any(d["id"] == "h100_sxm" for d in j["devices"])


@case
def a_machines_kernel_floor_is_measured_from_its_rows_and_moves_the_portable_prediction():
    with tempfile.TemporaryDirectory() as d:
        data = os.path.join(d, "small.csv")
        with open(data, "w") as f:
            f.write("kind,pass,dtype,device,batch,in_features,inputs,time_us,source\n")
            # synthetic rows (made up for this test): adds of small tensors, 30 us on the T4's machine and 20 on
            # the V100's, and one large add on the T4 (its roofline over 1 us: not a floor row)
            for i in range(30):
                f.write(f"add,inference,fp32,t4,{1 + i},64,2,{30 + i % 3},synthetic\n")
                f.write(f"add,inference,fp32,v100_pcie_32gb,{1 + i},64,2,{20 + i % 5},synthetic\n")
            f.write("add,inference,fp32,t4,65536,4096,2,9000,synthetic\n")
        out = run("devices", "--floor-from", data).stdout
        assert "floor us" in out and "v100_pcie_32gb" in out and "h100_sxm" not in out, out
        j = json.loads(run("devices", "--floor-from", data, "--format", "json").stdout)
        floors = {x["id"]: x["kernel_floor_us"] for x in j["devices"]}
        assert floors == {"t4": 31, "v100_pcie_32gb": 22}, floors  # the median of each machine's small rows
        # the file is a devices file: a GPU outside the model's data takes the floor it gives
        j["devices"][0]["id"], j["devices"][0]["aliases"] = "mine", []
        j["devices"][0]["name"] = "My T4"
        mine = os.path.join(d, "mine.json")
        with open(mine, "w") as f:
            json.dump(j, f)
        def total(*args):
            return json.loads(run("predict", "lenet5", "--format", "json", *args).stdout)["total_us"]
        assert total("--device", "mine", "--devices", mine) > 1.5 * total("--device", "mine", "--devices", mine,
                                                                         "--kernel-floor-us", "10")
        assert total("--device", "h100", "--kernel-floor-us", "60") > total("--device", "h100")
        # the method line says which floor a GPU outside the data took
        assert "kernel floor 12.0 us (given)" in run("predict", "lenet5", "--device", "h100", "--kernel-floor-us",
                                                     "12").stdout
        assert "training machines' median" in run("predict", "lenet5", "--device", "h100").stdout
        assert "kernel floor" not in run("predict", "lenet5", "--device", "t4").stdout  # a training GPU
        p = run("predict", "lenet5", "--device", "h100", "--kernel-floor-us", "0", ok=False)
        assert "--kernel-floor-us" in p.stderr, p.stderr
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        p = run("devices", "--floor-from", os.path.join(root, "data", "neusight", "linear.csv"), ok=False)
        assert "--floor-from" in p.stderr and "memory-bound" in p.stderr, p.stderr


@case
def export_then_show_gives_the_same_network():
    exported = run("network", "export", "inception_v3", "--batch", "2").stdout
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "inc.json")
        with open(path, "w") as f:
            f.write(exported)
        a = json.loads(run("network", "show", path, "--format", "json").stdout)
        b = json.loads(run("network", "show", "inception_v3", "--batch", "2", "--format", "json").stdout)
        assert a["totals"] == b["totals"]
        c = json.loads(run("network", "show", path, "--batch", "8", "--format", "json").stdout)
        assert c["batch"] == 8 and c["totals"]["flops_forward"] == 4 * a["totals"]["flops_forward"]


@case
def errors_go_to_stderr_with_a_nonzero_exit():
    p = run("predict", "resnet50", "--device", "nosuchgpu", ok=False)
    assert "unknown device" in p.stderr and p.stdout == ""
    p = run("predict", "resnet51", "--device", "h100", ok=False)
    assert "unknown network" in p.stderr
    p = run("network", "show", "resnet50", "--batch", "zero", ok=False)
    assert "--batch" in p.stderr
    p = run("predict", "resnet50", "--device", "h100", "--dtype", "fp8", ok=False)
    assert "--dtype" in p.stderr
    p = run("devices", "--bogus", ok=False)
    assert "unknown option" in p.stderr
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "bad.json")
        with open(path, "w") as f:
            f.write('{"format": "perfcast-network", "version": 1, "name": "b",\n'
                    ' "layers": [{"kind": "conv2d", "in_channels": 3, "height": 5, "width": 5,\n'
                    '             "out_channels": 4, "kernel": 11}]}\n')
        p = run("network", "show", path, ok=False)
        assert f"{path}:3: layers[0].kernel" in p.stderr, p.stderr


@case
def sizes_and_counts_out_of_range_are_refused_naming_the_rule():
    # --batch past its bound: refused by the option itself, before anything runs
    for cmd in (["predict", "resnet50", "--device", "t4"], ["network", "show", "resnet50"]):
        p = run(*cmd, "--batch", "2147483648", ok=False)
        assert "--batch" in p.stderr and "2147483648" in p.stderr and p.stdout == "", (cmd, p.stderr)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "wide.json")
        with open(path, "w") as f:
            f.write('{"format": "perfcast-network", "version": 1, "name": "w",\n'
                    ' "layers": [{"kind": "conv2d", "in_channels": 3, "height": 8, "width": 8,\n'
                    '             "out_channels": 1125899906842624}]}\n')
        p = run("network", "show", path, ok=False)
        assert f"{path}:3: layers[0].out_channels" in p.stderr and "size_in_range" in p.stderr, p.stderr
        p = run("predict", path, "--device", "t4", ok=False)
        assert "size_in_range" in p.stderr and p.stdout == "", p.stderr
        # every size in range, but the layer's FLOPs pass 2^62: refused by work_in_range, nothing printed
        with open(path, "w") as f:
            f.write('{"format": "perfcast-network", "version": 1, "name": "w",\n'
                    ' "layers": [{"name": "fc", "kind": "dense", "in_features": 2147483647,\n'
                    '             "out_features": 2147483647}]}\n')
        for cmd in (["network", "show", path], ["predict", path, "--device", "t4"]):
            p = run(*cmd, ok=False)
            assert "work_in_range" in p.stderr and p.stdout == "", (cmd, p.stderr)
        # a network file in range, rescaled past the limit by --batch (a layer at 256x the network's batch)
        with open(path, "w") as f:
            f.write('{"format": "perfcast-network", "version": 1, "name": "w", "batch": 1,\n'
                    ' "layers": [{"name": "c", "kind": "conv2d", "batch": 256, "in_channels": 3, "height": 8,\n'
                    '             "width": 8, "out_channels": 4}]}\n')
        run("network", "show", path, "--batch", "8388607")
        p = run("predict", path, "--device", "t4", "--batch", "16777216", ok=False)
        assert "c.batch" in p.stderr and "size_in_range" in p.stderr and p.stdout == "", p.stderr


@case
def embed_regenerates_the_committed_header():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "neusight_fp32.hpp")
        run("embed", "--model", "models/neusight-fp32.json", "--out", out, cwd=root)
        with open(out) as f, open(os.path.join(root, "include", "perfcast", "core", "models", "neusight_fp32.hpp")) as g:
            assert f.read() == g.read(), "include/perfcast/core/models/neusight_fp32.hpp is stale: rerun perfcast embed"
        p = run("embed", "--model", os.path.join(root, "models", "neusight-fp32.json"), "--out", out,
                "--name", "9 bad name", ok=False)
        assert "--name" in p.stderr
        p = run("embed", "--model", os.path.join(root, "models", "neusight-fp32.json"), ok=False)
        assert "--out" in p.stderr


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@case
def training_step_includes_the_optimizer_update_unless_asked_not_to():
    args = ("predict", "alexnet", "--device", "t4", "--pass", "training", "--batch", "8", "--format", "json")
    full = json.loads(run(*args).stdout)
    none = json.loads(run(*args, "--optimizer", "none").stdout)
    adam = json.loads(run(*args, "--optimizer", "adam").stdout)
    upd = full["layers"][-1]
    assert upd["name"] == "optimizer.sgd_momentum" and none["layers"][-1]["name"] != upd["name"]
    assert abs(full["total_us"] - none["total_us"] - upd["time_us"]) < 1e-6 * full["total_us"]
    # Adam runs 8 kernels per tensor where SGD with momentum runs 3
    assert abs(adam["layers"][-1]["time_us"] - upd["time_us"] * 8 / 3) < 1e-6 * adam["total_us"]
    p = run(*args, "--optimizer", "lamb", ok=False)
    assert "--optimizer" in p.stderr


@case
def validate_compares_whole_networks_with_the_sum_of_their_layers():
    model = os.path.join(ROOT, "models", "cpu-xeon_spr_2c.json")
    val = os.path.join(ROOT, "data", "validation", "torch_cpu_xeon_spr_2c_1thread.csv")
    j = json.loads(run("validate", "--model", model, "--validation", val, "--device", "xeon_spr_2c",
                       "--format", "json").stdout)
    rows = j["rows"]
    assert len(rows) == 48 and {r["network"] for r in rows} == {"alexnet", "resnet50", "vgg16", "inception_v3"}
    for r in rows:
        assert abs(r["error"] - (r["predicted_ms"] - r["measured_ms"]) / r["measured_ms"]) < 1e-9
    assert abs(j["mean_abs_error"] - sum(abs(r["error"]) for r in rows) / len(rows)) < 1e-9
    assert all(r["page_faults"] is None for r in rows)  # this file predates the faults column
    # each row is perfcast predict's total for that network, batch and pass
    r = next(r for r in rows if r["network"] == "resnet50" and r["batch"] == 8 and r["pass"] == "training")
    p = json.loads(run("predict", "resnet50", "--device", "xeon_spr_2c", "--model", model, "--batch", "8",
                       "--pass", "training", "--format", "json").stdout)
    assert abs(p["total_us"] / 1e3 - r["predicted_ms"]) < 1e-9 * r["predicted_ms"]
    out = run("validate", "--model", model, "--validation", val, "--device", "xeon_spr_2c").stdout
    assert "mean |error| by network and pass" in out and "resnet50 training" in out
    # a row naming a device perfcast does not know is refused with its file and line
    with tempfile.TemporaryDirectory() as d:
        bad = os.path.join(d, "v.csv")
        with open(bad, "w") as f:
            f.write("network,batch,pass,dtype,device,time_ms\nresnet50,1,inference,fp32,cpu,80\n"
                    "resnet50,2,inference,fp32,tpu9000,150\n")
        p = run("validate", "--model", model, "--validation", bad, ok=False)
        assert "--device" in p.stderr and "v.csv:3" in p.stderr, p.stderr
    p = run("validate", "--model", model, ok=False)
    assert "--validation" in p.stderr
    # several runs of the same configurations: --combine min keeps each one's fastest run
    with tempfile.TemporaryDirectory() as d:
        slow = os.path.join(d, "slow.csv")
        with open(val) as f, open(slow, "w") as g:  # the same rows 20% slower (made up for this test)
            lines = [l for l in f if not l.startswith("#")]
            cols = lines[0].strip().split(",")
            t = cols.index("time_ms")
            g.write(lines[0])
            for l in lines[1:]:
                c = l.rstrip("\n").split(",")
                c[t] = str(float(c[t]) * 1.2)
                g.write(",".join(c) + "\n")
        args = ("validate", "--model", model, "--validation", slow, "--validation", val, "--device", "xeon_spr_2c",
                "--format", "json")
        each = json.loads(run(*args).stdout)
        assert len(each["rows"]) == 96 and all(r["runs"] == 1 for r in each["rows"])
        fastest = json.loads(run(*args, "--combine", "min").stdout)
        assert len(fastest["rows"]) == 48
        for r, o in zip(fastest["rows"], rows):
            assert r["measured_ms"] == o["measured_ms"] and r["runs"] == 2 and abs(r["run_spread"] - 0.2) < 1e-6
            assert r["file"] == val
        assert abs(fastest["mean_abs_error"] - j["mean_abs_error"]) < 1e-9
        out = run("validate", "--model", model, "--validation", slow, "--validation", val, "--device",
                  "xeon_spr_2c", "--combine", "median").stdout
        assert "run spread %" in out and "median run" in out
        assert "--combine" in run(*args, "--combine", "mean", ok=False).stderr



@case
def a_training_step_computes_no_gradient_for_the_network_input():
    args = ("predict", "alexnet", "--device", "xeon_spr_2c", "--batch", "4", "--method", "roofline", "--format", "json")
    train = json.loads(run(*args, "--pass", "training").stdout)
    inf = json.loads(run(*args).stdout)
    first, second = train["layers"][0], train["layers"][3]
    assert first["kind"] == "conv2d" and first["backward"] == "weights only", first
    assert second["kind"] == "conv2d" and second["backward"] == "full", second
    # forward and weight gradient of the first convolution: twice its forward FLOPs; the next, about three
    # times (its input gradient has no bias term)
    assert first["flops"] == 2 * inf["layers"][0]["flops"], (first, inf["layers"][0])
    assert abs(second["flops"] / inf["layers"][3]["flops"] - 3) < 0.01, (second, inf["layers"][3])
    assert "backward" not in inf["layers"][0]
    out = run(*args[:-2], "--pass", "training").stdout
    assert "features.0 computes no input gradient" in out, out

@case
def network_show_takes_the_transformers_at_a_sequence_length():
    # Hugging Face's counts (tied LM heads counted once)
    expected = {"gpt2_large": 774030080, "opt_13": 1315758080, "bert_large": 335174458, "switchxl4": 5267615744}
    for name, params in expected.items():
        j = json.loads(run("network", "show", name, "--batch", "2", "--seq", "64", "--format", "json").stdout)
        assert j["totals"]["params"] == params, (name, j["totals"]["params"])
        assert j["batch"] == 2
    j = json.loads(run("network", "show", "gpt2-large", "--batch", "4", "--seq", "128", "--format", "json").stdout)
    by_name = {l["name"]: l for l in j["layers"]}
    assert by_name["transformer.h.0.attn.scores"]["output_shape"] == [80, 128, 128]  # batch*heads, S, S
    assert by_name["lm_head"]["params"] == 0 and by_name["lm_head"]["layer"]["tied"] is True
    assert by_name["lm_head"]["output_shape"] == [4 * 128, 50257]
    # without --seq: the model's maximum positions
    j = json.loads(run("network", "show", "bert_large", "--format", "json").stdout)
    assert j["layers"][2]["layer"]["seq"] == 512, j["layers"][2]
    out = run("network", "show", "opt_13", "--seq", "32").stdout
    assert "model.decoder.layers.23.fc2" in out and "1,315,758,080 parameters" in out, out[-300:]


@case
def network_export_of_a_transformer_reads_back():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "gpt3.json")
        with open(path, "w") as f:
            f.write(run("network", "export", "gpt3_xl", "--batch", "2", "--seq", "256").stdout)
        a = json.loads(run("network", "show", "gpt3_xl", "--batch", "2", "--seq", "256", "--format", "json").stdout)
        b = json.loads(run("network", "show", path, "--format", "json").stdout)
        assert a["totals"] == b["totals"] and a["totals"]["params"] == 2879554560
        p = run("network", "show", path, "--seq", "128", ok=False)
        assert "--seq" in p.stderr and "takes no sequence length" in p.stderr, p.stderr


@case
def predict_takes_a_transformer_and_refuses_seq_elsewhere():
    def predict(*args):
        return json.loads(run("predict", *args, "--device", "h100", "--format", "json").stdout)

    j = predict("gpt2_large", "--batch", "2", "--seq", "256", "--pass", "inference")
    assert j["total_us"] > 0 and j["batch"] == 2
    kinds = {l["kind"] for l in j["layers"]}
    assert {"embedding", "dense", "bmm", "softmax", "layernorm", "elementwise", "copy", "add"} <= kinds, kinds
    assert predict("gpt2_large", "--batch", "2", "--seq", "1024")["total_us"] > j["total_us"]  # longer, slower
    t = predict("opt_13", "--batch", "1", "--seq", "128", "--pass", "training", "--optimizer", "none")
    assert t["total_us"] > 0 and t["pass"] == "training" and all("backward" in l for l in t["layers"])
    # the embedding is the first layer with parameters: it computes its table's gradient only
    assert t["layers"][0]["name"] == "model.decoder.embed_tokens" and t["layers"][0]["backward"] != "none"
    # a sweep builds the transformer at each batch (the position embedding stays shared by the batch)
    sweep = predict("bert_large", "--batch", "1,4", "--seq", "128")
    one = predict("bert_large", "--batch", "4", "--seq", "128")
    assert len(sweep) == 2 and sweep[1]["batch"] == 4
    assert sweep[1]["total_us"] == one["total_us"] and sweep[1]["flops"] == one["flops"]
    for args, words in [(("predict", "resnet50", "--device", "h100", "--seq", "128"), "takes no sequence length"),
                        (("network", "show", "vgg16", "--seq", "1"), "takes no sequence length"),
                        (("network", "show", "gpt2_large", "--seq", "1025"), "seq must be 1 to 1024"),
                        (("network", "show", "bert_large", "--seq", "0"), "--seq")]:
        p = run(*args, ok=False)
        assert words in p.stderr and p.stdout == "", (args, p.stderr)


def _fx_row(op, target, args, ins, out, dtype, name, fw, block=True, bw=0.0, cls=None):
    stack = [("transformer.h.0" if block else "transformer", "x.Block")]
    if cls:
        stack.append((target, cls))
    meta = "{'nn_module_stack': OrderedDict([" + ", ".join(f"('{m}', <class '{c}'>)" for m, c in stack) + "])}"
    cells = [op, target, args, "{}", meta, ins, "[True]", out, dtype, name, str(fw), str(bw), "0"]
    return ",".join('"' + c.replace('"', '""') + '"' for c in cells) + "\n"


def _tiny_labels(d):
    """A made-up labels folder: one traced configuration (inference and training), an absent trace, a
    -fusion.json, a label with a null num_layer and a malformed one (latencies invented for the test)."""
    labels = os.path.join(d, "labels")
    gpu = os.path.join(labels, "Tesla_V100-PCIE-32GB")
    os.makedirs(gpu)
    os.makedirs(os.path.join(d, "model_configs"))
    with open(os.path.join(d, "model_configs", "tiny.json"), "w") as f:
        json.dump({"vocab_size": 100, "n_positions": 64}, f)
    trace = ("op,target,_args,_kwargs,meta,input_shapes,input_contiguous,output_shape,dtype,Name,fw_latency,"
             "bw_latency,acc_latency\n")
    trace += _fx_row("placeholder", "input_ids", "()", "[]", "(2, 64)", "torch.int64", "input_ids", 0, block=False)
    trace += _fx_row("call_module", "transformer.wte", "(input_ids,)", "[[2, 64]]", "(2, 64, 256)", "torch.float32", "wte",
                     0.05, block=False, bw=0.1, cls="torch.nn.modules.sparse.Embedding")
    trace += _fx_row("call_method", "size", "(wte,)", "[[2, 64, 256]]", "(1,)", "", "size", 0.01)
    trace += _fx_row("call_module", "transformer.h.0.ln", "(wte,)", "[[2, 64, 256]]", "(2, 64, 256)", "torch.float32", "ln",
                     0.03, bw=0.05, cls="torch.nn.modules.normalization.LayerNorm")
    trace += _fx_row("call_module", "transformer.h.0.fc", "(ln,)", "[[2, 64, 256]]", "(2, 64, 1024)", "torch.float32",
                     "fc", 0.2, bw=0.4, cls="torch.nn.modules.linear.Linear")
    trace += _fx_row("call_function", "<built-in function gelu>", "(fc,)", "[[2, 64, 1024]]", "(2, 64, 1024)",
                     "torch.float32", "gelu", 0.04, bw=0.06)
    trace += _fx_row("call_method", "view", "(gelu, 128, 1024)", "[[2, 64, 1024], [1]]", "(128, 1024)", "torch.float32",
                     "view", 0.01)
    trace += _fx_row("call_function", "<built-in method cumsum of type object at 0x1>", "(view,)", "[[128, 1024]]",
                     "(128, 1024)", "torch.float32", "cumsum", 0.02)
    for stem in ("tiny-inf-64-2", "tiny-train-64-2"):
        with open(os.path.join(gpu, stem + ".csv"), "w") as f:
            f.write(trace)
    with open(os.path.join(gpu, "tiny-inf-64-2.json"), "w") as f:
        json.dump({"num_layer": 8, "e2e_latency": 2.5, "fw_latency": 2.5, "bwall_latency": 0}, f)
    with open(os.path.join(gpu, "tiny-train-64-2.json"), "w") as f:
        json.dump({"num_layer": 8, "e2e_latency": 7.0, "fw_latency": 2.5, "bwall_latency": 4.5}, f)
    with open(os.path.join(gpu, "tiny-inf-64-2-fusion.json"), "w") as f:
        json.dump({"e2e_latency": 1.0}, f)
    with open(os.path.join(gpu, "tiny-inf-64-4.json"), "w") as f:  # no trace
        json.dump({"num_layer": 8, "e2e_latency": 5.0}, f)
    with open(os.path.join(gpu, "tiny-inf-64-8.json"), "w") as f:
        f.write('{\n"num_layer": null,\n"e2e_latency": 9.0}')
    with open(os.path.join(gpu, "tiny-inf-128-2.json"), "w") as f:
        f.write('{\n"num_layer": 8,\n"e2e_latency": "slow"}')
    return labels


@case
def validate_neusight_models_compares_traces_and_whole_models():
    with tempfile.TemporaryDirectory() as d:
        labels = _tiny_labels(d)
        j = json.loads(run("validate", "neusight-models", labels, "--format", "json").stdout)
        rows = {(r["pass"], r["batch"], r["seq"]): r for r in j["configurations"]}
        assert set(rows) == {("inference", 2, 64), ("training", 2, 64), ("inference", 4, 64), ("inference", 8, 64)}, rows
        inf, train = rows[("inference", 2, 64)], rows[("training", 2, 64)]
        for r in (inf, train):
            assert abs(r["error"] - (r["predicted_ms"] - r["measured_ms"]) / r["measured_ms"]) < 1e-9
            assert r["kernel_nodes"] == 4 and r["unmapped_nodes"] == 1 and r["no_kernel_nodes"] == 2, r
            assert r["predicted_ms"] > 0 and r["roofline_ms"] > 0
        # NeuSight's rule on the measured nodes: the embedding once, the block's kernels 8 times
        assert abs(inf["trace_measured_ms"] - (0.05 + 8 * (0.03 + 0.2 + 0.04))) < 1e-9, inf
        assert abs(train["trace_measured_ms"] - (0.15 + 8 * (0.08 + 0.6 + 0.1))) < 1e-9, train
        assert abs(inf["trace_no_kernel_ms"] - 8 * 0.02) < 1e-9 and abs(inf["trace_unmapped_ms"] - 8 * 0.02) < 1e-9
        assert train["predicted_ms"] > 0 and train["roofline_ms"] > 0
        assert rows[("inference", 4, 64)]["trace"] is None and "predicted_ms" not in rows[("inference", 4, 64)]
        kinds = {(k["direction"], k["kind"]) for k in j["kinds"]}
        assert {("forward", "dense"), ("forward", "layernorm"), ("forward", "embedding"),
                ("forward", "activation(gelu)"), ("backward", "dense")} <= kinds, kinds
        assert [u["target"] for u in j["unmapped"]] == ["cumsum: a kernel perfcast has no layer for"], j["unmapped"]
        assert len(j["fusion_skipped"]) == 1 and j["fusion_skipped"][0].endswith("tiny-inf-64-2-fusion.json")
        problems = {(os.path.basename(p["file"]), p["line"], p["field"]) for p in j["problems"]}
        assert ("tiny-inf-64-8.json", 2, "num_layer") in problems, problems
        assert ("tiny-inf-128-2.json", 3, "e2e_latency") in problems, problems
        assert any(f == "tiny-inf-64-4.csv.xz" for f, _, _ in problems), problems
        gpus = {g["pass"]: g for g in j["gpus"]}
        assert gpus["inference"]["neusight_published_error"] == 0.066 and gpus["inference"]["configurations"] == 1
        out = run("validate", "neusight-models", labels).stdout
        assert "by GPU" in out and "by kind" in out and "no-kernel nodes" in out, out
        assert "tiny-inf-128-2.json:3 [e2e_latency]" in out and "6.6 (13)" in out, out
        rows_csv = os.path.join(d, "nodes.csv")
        run("validate", "neusight-models", labels, "--rows", rows_csv)
        with open(rows_csv) as f:
            nodes = list(csv.DictReader(f))
        assert len(nodes) == 8 and {n["node"] for n in nodes} == {"wte", "ln", "fc", "gelu"}, nodes
    p = run("validate", "neusight-models", ok=False)
    assert "DIR" in p.stderr, p.stderr
    p = run("validate", "neusight-models", "/nonexistent/labels", ok=False)
    assert "not a folder" in p.stderr, p.stderr


@case
def calibrate_fits_a_gpus_levels_to_its_traced_models():
    labels = os.path.join(ROOT, "data", "validation", "neusight", "labels")
    model = os.path.join(ROOT, "models", "neusight-fp32.json")
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "t4.json")
        j = json.loads(run("calibrate", "--model", model, "--neusight-labels", labels, "--device", "t4",
                           "--skip-model", "bert_large", "--level", "dense,bmm", "--out", out, "--format", "json").stdout)
        assert j["device"] == "t4" and j["kinds"] == [], j
        assert all("bert_large" not in f and "Tesla_T4" in f for f in j["files"]) and len(j["files"]) == 3, j["files"]
        dense = {l["kind"]: l for l in j["levels"]}["dense"]
        assert dense["fitted"] and dense["rows"] >= 5, dense
        assert abs(dense["level"] - dense["in_place_ms"] / dense["predicted_ms"]) < 1e-12, dense
        with open(out) as f:
            saved = json.load(f)["call_overhead"]
        assert saved["device"] == "t4" and saved["kinds"]["dense"]["level"] == dense["level"], saved
        # the calibrated model multiplies the T4's dense kernels by the level, above their physical bound, and
        # leaves every other device as it was
        layer = {"name": "fc", "kind": "dense", "in_features": 4096, "out_features": 4096, "seq": 2048}
        net = os.path.join(d, "fc.json")
        with open(net, "w") as f:
            json.dump({"format": "perfcast-network", "version": 1, "name": "fc", "batch": 1, "layers": [layer]}, f)
        def us(m, device, field="alone_total_us"):  # the layer alone: the level multiplies its kernel's time
            return json.loads(run("predict", net, "--device", device, "--model", m, "--format", "json").stdout)[field]
        assert abs(us(out, "t4") - dense["level"] * us(model, "t4")) < 1e-6 * us(model, "t4")
        assert us(out, "v100") == us(model, "v100") and us(out, "v100", "total_us") == us(model, "v100", "total_us")
        note = json.loads(run("predict", net, "--device", "t4", "--model", out, "--format", "json").stdout)["note"]
        assert "level per kind, calibrated on it: dense x" in note, note
        # validating the model left out with it
        v = json.loads(run("validate", "neusight-models", labels, "--model", out, "--format", "json").stdout)
        assert any(r["gpu"] == "Tesla_T4" and r["model"] == "bert_large" and "predicted_ms" in r for r in v["configurations"])
    p = run("calibrate", "--neusight-labels", labels, "--device", "t4", "--out", "x.json", ok=False)
    assert "--neusight-labels" in p.stderr and "--level" in p.stderr, p.stderr
    p = run("calibrate", "--neusight-labels", labels, "--device", "t4", "--level", "dense", "--skip-model", "bert_large",
            "--skip-model", "gpt2_large", "--skip-model", "opt_13", "--out", "x.json", ok=False)
    assert "no trace of t4" in p.stderr, p.stderr
    p = run("calibrate", "--neusight-labels", labels, "--device", "t4", "--level", "dense,bogus", "--out", "x.json", ok=False)
    assert "--level" in p.stderr and "bogus" in p.stderr, p.stderr
    with tempfile.TemporaryDirectory() as d:  # a made-up trace of one dense node per configuration: too few
        p = run("calibrate", "--neusight-labels", _tiny_labels(d), "--device", "v100_pcie_32gb", "--level", "dense",
                "--out", os.path.join(d, "x.json"), ok=False)
        assert "5 inference operations" in p.stderr and not os.path.exists(os.path.join(d, "x.json")), p.stderr


@case
def study_seeds_trains_the_recipe_from_each_seed():
    with tempfile.TemporaryDirectory() as d:
        raw = os.path.join(d, "Tesla_V100-PCIE-32GB.csv")
        _synthetic_linear(raw, "Tesla V100-PCIE-32GB", 300, 0.008, 1e-12)
        data = os.path.join(d, "linear.csv")
        run("import", "neusight", raw, "--out", data)
        labels = _tiny_labels(d)
        study = ["study", "seeds", "--data", data, "--epochs", "2", "--hidden", "8", "--ensemble", "1"]
        j = json.loads(run(*study, "--seeds", "7,8", "--neusight-labels", labels, "--format", "json").stdout)
        assert [r["label"] for r in j] == ["seed 7", "seed 8"], j
        assert j[0]["test_rows"] == j[1]["test_rows"] > 0 and j[0]["train_rows"] + j[0]["test_rows"] == 300, j
        means = [next(g for g in r["groups"] if g["device"] == "*")["mean_rel_error"] for r in j]
        assert means[0] != means[1], means  # another seed, another model
        for r in j:
            assert [(g["gpu"], g["pass"]) for g in r["end_to_end"]] == [("Tesla_V100-PCIE-32GB", "inference"),
                                                                        ("Tesla_V100-PCIE-32GB", "training")], r
            assert all(g["configurations"] == 1 and g["mean_abs_error"] > 0 for g in r["end_to_end"]), r
        out = run(*study, "--seeds", "7,8", "--neusight-labels", labels).stdout
        assert "over the seeds" in out and "Tesla_V100-PCIE-32GB" in out, out
        p = run("study", "leave-one-out", "--data", data, "--seeds", "1", ok=False)
        assert "--seeds" in p.stderr and "study seeds" in p.stderr, p.stderr


# Every command's options (and positional arguments), as the program accepted them before each
# command declared its own: `CMD --help` must list exactly these.
TRAINING = ["features", "no-portable", "absolute", "no-kernel-floor", "holdout", "split-salt", "config", "epochs", "patience", "batch-size", "seed",
            "ensemble", "lr", "hidden", "transform", "loss", "activation", "memory-epochs", "memory-patience",
            "memory-lr", "memory-hidden", "portable-epochs", "portable-patience", "portable-lr", "portable-hidden", "kinds",
            "only-device", "exclude-source", "threads"]
COMMANDS = {
    "devices": ([], ["format", "devices", "floor-from"]),
    "network": (["show|export", "NAME|FILE.json"], ["batch", "seq", "dtype", "format"]),
    "predict": (["NAME|FILE.json"], ["device", "batch", "seq", "pass", "dtype", "model", "method", "ppp-comp", "ppp-comm",
                                     "optimizer", "kernel-floor-us", "format", "devices"]),
    "import": (["neusight", "FILE.csv"], ["out", "devices"]),
    "train": ([], ["data", "out", "name", *TRAINING, "devices"]),
    "eval": ([], ["data", "model", "all-rows", "format", "rows", "only-device", "devices"]),
    "study": (["leave-one-out|learning-curve|ablation|seeds"],
              ["data", "fractions", "seeds", "neusight-labels", "format", "per-device", *TRAINING, "devices"]),
    "validate": (["neusight-models", "DIR"], ["validation", "layers", "model", "device", "optimizer", "combine", "network",
                                              "rows", "format", "devices"]),
    "calibrate": (["LAYERS.csv"], ["model", "layers", "neusight-labels", "skip-model", "level", "device", "out", "format",
                                   "devices"]),
    "embed": ([], ["model", "out", "name"]),
    "report": ([], ["data", "model", "out", "validation", "layers", "neusight-labels", "device", "quick", "fractions",
                    "devices"]),
}


@case
def every_command_has_a_help_listing_its_options():
    top = run("--help").stdout
    for cmd, (positionals, options) in COMMANDS.items():
        assert f"\n  {cmd}: " in top and f"perfcast {cmd} " in top, f"perfcast --help does not list {cmd}"
        for flag in ("--help", "-h"):
            p = run(cmd, flag)
            assert p.stderr == "" and p.stdout.startswith(f"perfcast {cmd}: "), (cmd, flag, p.stdout[:200], p.stderr)
            listed = [l.split()[0] for l in p.stdout.splitlines() if l.startswith("  --")]
            assert listed == [f"--{o}" for o in options], (cmd, listed)
            for a in positionals:
                assert f"\n  {a}" in p.stdout, (cmd, a)
        assert run("help", cmd).stdout == run(cmd, "--help").stdout, cmd
        # --help wins over the rest of the command line; an unknown option is still refused by name
        assert run(cmd, "--bogus", "--help").stdout == run(cmd, "--help").stdout, cmd
        p = run(cmd, "--bogus", ok=False)
        assert "--bogus: unknown option" in p.stderr and p.stdout == "", (cmd, p.stderr)
    assert run("network", "list", "alexnet", ok=False).stderr.startswith("perfcast: network: usage: perfcast network")
    p = run("frobnicate", ok=False)
    assert "unknown command" in p.stderr and all(f"\n  {c}: " in p.stderr for c in COMMANDS)


def _neusight_raw(path, rows=400):
    """A small NeuSight CSV (synthetic rows, made up for the tests)."""
    with open(path, "w") as f:
        f.write("OPName,Latency,Device,B,M,N,K\n")
        for i in range(rows):
            b, m, n, k = 1 + i % 8, 16 + (i * 7) % 200, 32 + (i * 13) % 500, 16 + (i * 29) % 700
            f.write(f"linear,{0.01 + b * m * n * k * 2e-12:.6f},Tesla T4,{b},{m},{n},{k}\n")


@case
def numeric_options_are_parsed_strictly_and_refused_naming_the_option_and_the_bound():
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "m.json")
        train = ("train", "--data", os.path.join(d, "none.csv"), "--out", out)
        refused = {
            ("--hidden", "1e3"): "--hidden: expected an integer 1 to 4096 (got \"1e3\")",
            ("--hidden", "64x64"): "--hidden: expected an integer 1 to 4096 (got \"64x64\")",
            ("--hidden", "-4"): "--hidden: expected an integer 1 to 4096 (got \"-4\")",
            ("--hidden", "4294967296"): "--hidden: expected an integer 1 to 4096",
            ("--hidden", "64,,64"): "--hidden: empty value",
            ("--ensemble", "9223372036854775807"): "--ensemble: expected an integer 1 to 64",
            ("--epochs", "-1"): "--epochs: expected an integer 1 to 100000 (got \"-1\")",
            ("--patience", "-1"): "--patience: expected an integer 0 to 100000",
            ("--batch-size", "-1"): "--batch-size: expected an integer 1 to 1048576",
            ("--seed", "18446744073709551615"): "--seed: expected an integer 0 to 9007199254740991",
            ("--lr", "nan"): "--lr: expected a number in (0, 10]",
            ("--holdout", "1"): "--holdout: expected a number in [0, 1)",
            ("--epochs", ""): "--epochs: empty value",
            ("--devices", ""): "--devices: empty value",
            ("--name", ""): "--name: empty value",
        }
        for (opt, value), message in refused.items():
            p = run(*train, opt, value, ok=False)
            assert message in p.stderr, (opt, value, p.stderr)
            assert p.stdout == "" and not os.path.exists(out), (opt, value)
        p = run(*train, "--portable-epochs", "0", ok=False)
        assert "--portable-epochs: expected an integer 1 to 100000" in p.stderr, p.stderr
        p = run(*train, "--no-portable", "--portable-lr", "3e-3", ok=False)  # no tier to give settings to
        assert "--portable-lr: there is no portable tier to train with --no-portable" in p.stderr, p.stderr
        assert p.stdout == "" and not os.path.exists(out)
        p = run("train", "--data", os.path.join(d, "none.csv"), "--out", "", ok=False)
        assert "--out: empty value" in p.stderr, p.stderr
        p = run("train", "--data", os.path.join(d, "none.csv"), "--out", os.path.join(d, "no", "m.json"), ok=False)
        assert "--out: no such folder" in p.stderr, p.stderr  # refused before the data is read or a model trained
        p = run("study", "learning-curve", "--data", os.path.join(d, "none.csv"), "--fractions", "nan", ok=False)
        assert "--fractions: expected a number in (0, 1] (got \"nan\")" in p.stderr, p.stderr
        p = run("report", "--data", "x.csv", "--model", "m.json", "--out", os.path.join(d, "r.html"),
                "--fractions", "0.5,2", ok=False)
        assert "--fractions: expected a number in (0, 1] (got \"2\")" in p.stderr, p.stderr
        for args, message in [(("network", "show", "resnet50", "--batch", "2147483648"), "--batch: expected an integer 1 to"),
                              (("predict", "resnet50", "--device", "t4", "--batch", "1,0"), "--batch: expected an integer 1"),
                              (("predict", "resnet50", "--device", "t4", "--batch", "8,"), "--batch: empty value"),
                              (("predict", "resnet50", "--device", "t4", "--ppp-comp", "0"), "--ppp-comp: expected a number in (0, 1]"),
                              (("predict", "gpt2", "--device", "t4", "--seq", "-5"), "--seq: expected an integer 1 to"),
                              (("devices", "--devices", ""), "--devices: empty value")]:
            p = run(*args, ok=False)
            assert message in p.stderr and p.stdout == "", (args, p.stderr)
        # a long value (100 kB; the system limits an argument to 128 kB) is not echoed whole
        p = run("network", "show", "resnet50", "--batch", "9" * 100_000, ok=False)
        assert "--batch" in p.stderr and len(p.stderr) < 300, len(p.stderr)
        # the help shows each bound
        h = run("train", "--help").stdout
        assert "1 to 4096" in h and "1 to 64" in h and "in [0, 1)" in h, h


@case
def no_command_writes_output_and_then_fails_on_a_later_argument():
    with tempfile.TemporaryDirectory() as d:
        raw = os.path.join(d, "Tesla_T4.csv")
        _neusight_raw(raw, 50)
        data = os.path.join(d, "data.csv")
        run("import", "neusight", raw, "--out", data)
        rows = os.path.join(d, "rows.csv")
        p = run("eval", "--model", os.path.join(ROOT, "models", "neusight-fp32.json"), "--data", data, "--rows", rows,
                "--format", "xml", ok=False)
        assert "--format: expected table|json" in p.stderr and not os.path.exists(rows), p.stderr
        out = os.path.join(d, "m.json")
        p = run("calibrate", "--model", os.path.join(ROOT, "models", "neusight-fp32.json"), "--layers", raw,
                "--device", "t4", "--out", out, "--format", "xml", ok=False)
        assert "--format" in p.stderr and not os.path.exists(out), p.stderr


@case
def inputs_are_read_with_a_size_limit():
    p = run("network", "show", "/dev/zero", ok=False)
    assert "/dev/zero: file too large: more than the limit of 256 MiB" in p.stderr, p.stderr
    p = run("devices", "--devices", "/dev/zero", ok=False)
    assert "/dev/zero: file too large" in p.stderr, p.stderr
    with tempfile.TemporaryDirectory() as d:
        p = run("network", "show", d + "/", ok=False)
        assert "is a folder" in p.stderr, p.stderr


@case
def json_errors_name_the_file_the_line_and_the_path():
    with tempfile.TemporaryDirectory() as d:
        def network(body):
            path = os.path.join(d, "net.json")
            with open(path, "w") as f:
                f.write('{"format": "perfcast-network", "version": 1, "name": "n",\n' + body + "}\n")
            return run("network", "show", path, ok=False).stderr
        dense = '[{"kind": "dense", "in_features": 4, "out_features": 2}]'
        net = os.path.join(d, "net.json")
        assert f"{net}:2: batch: number out of range" in network('"batch": 1e999, "layers": ' + dense)
        assert f"{net}:2: batch: expected an integer" in network('"batch": 18446744073709551616, "layers": ' + dense)
        assert f"{net}:2: batch: expected an integer" in network('"batch": 2.5, "layers": ' + dense)
        assert f"{net}:2: batch: expected an integer, got a string" in network('"batch": "2", "layers": ' + dense)
        assert f"{net}:2: layers: a network needs at least one layer" in network('"layers": []')
        key = "k" * 5_000_000
        e = network(f'"{key}": 1, "layers": ' + dense)
        assert "unknown field" in e and len(e) < 400, len(e)
        # a device file
        devices = json.loads(run("devices", "--format", "json").stdout)
        devices["devices"] = devices["devices"][:1]
        devices["devices"][0]["id"] = "mine"
        devices["devices"][0]["name"] = "My GPU"
        devices["devices"][0]["aliases"] = []
        good = json.dumps(devices, indent=1)
        path = os.path.join(d, "dev.json")
        for old, new, message in [('"units": ', '"units": 1e999, "x": ', "devices[0].units: number out of range"),
                                  ('"units": ', '"units": "many", "x": ', "devices[0].units: expected an integer, got a string"),
                                  ('"units": ', '"units": 4294967296, "x": ', "devices[0].units: expected an integer")]:
            with open(path, "w") as f:
                f.write(good.replace(old, new, 1))
            p = run("devices", "--devices", path, ok=False)
            assert f"{path}:" in p.stderr and message in p.stderr, p.stderr
        # a model file: a wrong type names the file and the path
        with open(os.path.join(ROOT, "models", "neusight-fp32.json")) as f:
            text = f.read()
        model = os.path.join(d, "model.json")
        with open(model, "w") as f:
            f.write(text.replace('"holdout": ', '"holdout": "x", "y": ', 1))
        p = run("predict", "lenet5", "--device", "t4", "--model", model, ok=False)
        assert f"{model}:" in p.stderr and "holdout" in p.stderr and "[json.exception" not in p.stderr, p.stderr


def _limit_file_size(limit):
    """A child's file size limit: its writes past it fail (EFBIG) as on a full disk."""
    import resource
    import signal

    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@case
def outputs_are_written_atomically_and_a_failed_write_exits_non_zero():
    with tempfile.TemporaryDirectory() as d:
        raw = os.path.join(d, "Tesla_T4.csv")
        _neusight_raw(raw, 400)
        data = os.path.join(d, "data.csv")
        with open(data, "w") as f:
            f.write("the old file\n")
        p = subprocess.run([EXE, "import", "neusight", raw, "--out", data], capture_output=True, text=True,
                           preexec_fn=_limit_file_size(4096))
        assert p.returncode != 0 and f"{data}: writing the file failed" in p.stderr, p.stderr
        with open(data) as f:
            assert f.read() == "the old file\n"
        assert sorted(os.listdir(d)) == ["Tesla_T4.csv", "data.csv"], os.listdir(d)  # no temporary left
        run("import", "neusight", raw, "--out", data)
        with open(data) as f:
            assert f.read().count("\n") > 400
        p = run("import", "neusight", raw, "--out", os.path.join(d, "no", "such", "data.csv"), ok=False)
        assert os.path.join(d, "no", "such", "data.csv") + ": cannot open the file for writing" in p.stderr, p.stderr
        header = os.path.join(d, "m.hpp")
        p = subprocess.run([EXE, "embed", "--model", os.path.join(ROOT, "models", "neusight-fp32.json"), "--out", header],
                           capture_output=True, text=True, preexec_fn=_limit_file_size(4096))
        assert p.returncode != 0 and f"{header}: writing the file failed" in p.stderr and not os.path.exists(header), p.stderr
    # a full standard output
    with open("/dev/full", "w") as full:
        for args in (("devices",), ("network", "export", "resnet50"), ("predict", "resnet50", "--device", "t4")):
            p = subprocess.run([EXE, *args], stdout=full, stderr=subprocess.PIPE, text=True)
            assert p.returncode != 0 and "writing the standard output failed" in p.stderr, (args, p.stderr)

@case
def a_tampered_model_file_is_refused_by_its_digest_naming_file_and_field():
    with open(os.path.join(ROOT, "models", "neusight-fp32.json")) as f:
        good = json.load(f)
    assert good["digest"].startswith("sha256:"), good.get("digest")
    # every committed model's digest is the one computed apart from perfcast (tests/cli/model_digest.py)
    for name in sorted(os.listdir(os.path.join(ROOT, "models"))):
        if name.endswith(".json"):
            with open(os.path.join(ROOT, "models", name)) as f:
                m = json.load(f)
            assert m["digest"] == model_digest(m), name

    def refused(change, *words):
        j = json.loads(json.dumps(good))
        change(j)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "tampered.json")
            with open(path, "w") as f:
                json.dump(j, f, indent=1)
            p = run("predict", "resnet50", "--device", "t4", "--model", path, ok=False)
            assert p.stderr.startswith(f"perfcast: {path}:"), p.stderr
            for w in words:
                assert w in p.stderr, (w, p.stderr)

    def weight(j):  # one bias of the conv2d model, in its 8th significant digit: no reference query sees it
        layer = j["models"]["conv2d"]["regressor"]["mlp"]["layers"][2]
        layer["bias"][5] *= 1.0000001
    refused(weight, ": digest: ", "where the file records " + good["digest"])
    refused(lambda j: j["training"]["metrics"].update({"note": "edited"}), ": digest: ")
    refused(lambda j: j.pop("references"), ": references: missing")
    refused(lambda j: j.pop("digest"), ": digest: missing")
    refused(lambda j: j["training"]["devices"].append("h100_sxm"), "training.devices[6]", "no description")
    refused(lambda j: j["memory_fit"].update({"efficiency": 1e9}), "memory_fit.efficiency")


@case
def predict_names_the_features_outside_the_training_data():
    big = {"format": "perfcast-network", "version": 1, "name": "big", "batch": 4096,
           "layers": [{"name": "conv", "kind": "conv2d", "in_channels": 8192, "height": 14, "width": 14,
                       "out_channels": 8192, "kernel": 3, "padding": 1}]}
    with tempfile.TemporaryDirectory() as d:
        net = os.path.join(d, "big.json")
        with open(net, "w") as f:
            json.dump(big, f)
        j = json.loads(run("predict", net, "--device", "t4", "--format", "json", cwd=ROOT).stdout)
        conv = j["layers"][0]
        assert conv["shape_in_training"] is False and conv["device_in_training"] is True, conv
        outside = {e["feature"]: e for e in conv["extrapolation"]}
        assert "batch" in outside, conv["extrapolation"]
        b = outside["batch"]
        assert abs(b["value"] - math.log(4096)) < 1e-9 and b["max"] < b["value"] and b["min"] <= b["max"], b
        assert all(e["value"] < e["min"] or e["value"] > e["max"] for e in conv["extrapolation"]), conv
        rows = list(csv.DictReader(run("predict", net, "--device", "t4", "--format", "csv", cwd=ROOT).stdout.splitlines()))
        assert rows[0]["data"] == "new shape", rows[0]
        assert f"batch {b['value']:.4g} outside [{b['min']:.4g}, {b['max']:.4g}]" in rows[0]["extrapolation"], rows[0]
        table = run("predict", net, "--device", "t4", cwd=ROOT).stdout
        assert "new shape (" in table and "batch" in table.split("new shape (")[1], table
    # inside the data: an empty array and an empty cell; a device outside it is named
    j = json.loads(run("predict", "resnet50", "--device", "t4", "--batch", "8", "--format", "json", cwd=ROOT).stdout)
    assert all("extrapolation" in l for l in j["layers"])
    assert any(l["extrapolation"] == [] and l.get("shape_in_training") for l in j["layers"]), j["layers"][:3]
    rows = list(csv.DictReader(run("predict", "resnet50", "--device", "t4", "--batch", "8", "--format", "csv",
                                   cwd=ROOT).stdout.splitlines()))
    assert any(r["data"] == "trained" and r["extrapolation"] == "" for r in rows)
    j = json.loads(run("predict", "resnet50", "--device", "l4", "--format", "json", cwd=ROOT).stdout)
    learned = [l for l in j["layers"] if "device_in_training" in l]
    assert learned and all(l["extrapolation"][0] == {"feature": "device", "value": "l4"} for l in learned)
    # a GPU of a training GPU's chip names the chip whose models answered
    j = json.loads(run("predict", "resnet50", "--device", "h100", "--format", "json", cwd=ROOT).stdout)
    learned = [l for l in j["layers"] if "device_in_training" in l]
    assert learned and all(l["extrapolation"][0] == {"feature": "device", "value": "h100_sxm",
                                                     "same_chip_as": "h200_sxm"} for l in learned), learned[0]
    # a transformer's linear layers are the GEMMs of batch x seq rows the one-sample sweeps cover, and its
    # residual adds and activations the (tokens, features) matrices the sweeps are: not outside by their layout
    j = json.loads(run("predict", "bert_large", "--seq", "512", "--batch", "8", "--device", "t4", "--format", "json",
                       cwd=ROOT).stdout)
    dense = [l for l in j["layers"] if l["kind"] == "dense"]
    assert dense and all(l["shape_in_training"] for l in dense), [l["extrapolation"] for l in dense][:2]
    flat = [l for l in j["layers"] if l["kind"] in ("add", "activation")]
    assert flat and all(e["feature"] != "rank" for l in flat for e in l["extrapolation"]), flat[0]


finish()
