#!/usr/bin/env python3
"""tools/torch2perfcast.py against perfcast's zoo: PyTorch models converted with torch.fx give the
zoo's layers, parameters and FLOPs, and every layer's output shape agrees with PyTorch's.

usage: test_torch_import.py PATH/TO/perfcast

Needs PyTorch and torchvision (Debian 12: apt-get install python3-torch python3-torchvision, for
/usr/bin/python3). When the running python has no torch, the script re-runs itself with
/usr/bin/python3 if that one has it; otherwise it says it skipped and exits 0.
"""
import csv
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from model_digest import model_digest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TOOL = os.path.join(ROOT, "tools", "torch2perfcast.py")
SYSTEM_PYTHON = "/usr/bin/python3"


def _has_torch(python):
    try:
        return subprocess.run([python, "-c", "import torch"], capture_output=True, timeout=120).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


try:
    import torch
except ImportError:
    if (os.path.exists(SYSTEM_PYTHON) and os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON)
            and _has_torch(SYSTEM_PYTHON)):
        sys.stdout.flush()
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON, os.path.abspath(__file__), *sys.argv[1:]])
    print(f"skipped: PyTorch not installed (for {sys.executable} nor {SYSTEM_PYTHON}); "
          "apt-get install python3-torch python3-torchvision")
    print("0 passed, 0 failed, 1 skipped")
    sys.exit(0)

if len(sys.argv) != 2:
    sys.exit("usage: test_torch_import.py PATH/TO/perfcast")
EXE = sys.argv[1]
PY = sys.executable
sys.path.insert(0, os.path.join(ROOT, "tools"))
import torch2perfcast as t2p  # noqa: E402

HAVE_TV = importlib.util.find_spec("torchvision") is not None

torch.set_num_threads(2)
failures = passed = skipped = 0
TMP = tempfile.mkdtemp(prefix="perfcast-torch-")


def case(fn):
    global failures, passed, skipped
    if getattr(fn, "needs_tv", False) and not HAVE_TV:
        skipped += 1
        print(f"skip {fn.__name__}: torchvision not installed")
        return fn
    try:
        fn()
        passed += 1
        print(f"ok   {fn.__name__}", flush=True)
    except AssertionError as e:
        failures += 1
        print(f"FAIL {fn.__name__}: {e}", flush=True)
    return fn


def needs_torchvision(fn):
    fn.needs_tv = True
    return fn


def perfcast(*args, ok=True):
    p = subprocess.run([EXE, *args], capture_output=True, text=True)
    if ok and p.returncode != 0:
        raise AssertionError(f"perfcast {' '.join(args)}: exit {p.returncode}: {p.stderr}")
    return p


def tool(*args, ok=True):
    p = subprocess.run([PY, TOOL, *args], capture_output=True, text=True, cwd=TMP)
    if ok and p.returncode != 0:
        raise AssertionError(f"torch2perfcast {' '.join(args)}: exit {p.returncode}: {p.stderr[-2000:]}")
    if not ok and p.returncode == 0:
        raise AssertionError(f"torch2perfcast {' '.join(args)}: expected a failure, got exit 0")
    return p


def show(source, batch=None):
    args = ["network", "show", source, "--format", "json"] + (["--batch", str(batch)] if batch else [])
    return json.loads(perfcast(*args).stdout)


def check_shapes(shown, info):
    """perfcast's output shape of every layer equals PyTorch's (both at batch 2)."""
    assert len(shown["layers"]) == len(info["out_shapes"])
    for l, s in zip(shown["layers"], info["out_shapes"]):
        got = list(l["output_shape"])
        if l["kind"] == "dense" and l["layer"].get("seq", 1) != 1:  # perfcast: [batch * seq, out_features]
            want = [s[0] * l["layer"]["seq"], s[-1]]
            assert len(s) > 2 and got == want, f"{l['name']}: perfcast {got}, PyTorch {s}"
            continue
        assert got == list(s), f"{l['name']}: perfcast {got}, PyTorch {s}"


def compare_with_zoo(name):
    model, _ = t2p.load_model(name)
    net, info = t2p.convert(model, t2p.default_input_size(name), batch=2, name=name)
    path = os.path.join(TMP, f"{name}.json")
    with open(path, "w") as f:
        json.dump(net, f)
    zoo, conv = show(name, 2), show(path)
    assert conv["batch"] == 2
    assert info["perfcast_params"] == info["torch_params"], (info["perfcast_params"], info["torch_params"])
    assert conv["totals"]["params"] == zoo["totals"]["params"] == info["torch_params"], \
        (conv["totals"]["params"], zoo["totals"]["params"], info["torch_params"])
    for key in ("flops_forward", "flops_training", "bytes_forward", "bytes_training", "layers"):
        assert conv["totals"][key] == zoo["totals"][key], (key, conv["totals"][key], zoo["totals"][key])
    assert len(conv["layers"]) == len(zoo["layers"]), (len(conv["layers"]), len(zoo["layers"]))
    kinds_c, kinds_z = [l["kind"] for l in conv["layers"]], [l["kind"] for l in zoo["layers"]]
    assert kinds_c == kinds_z, next((i, a, b) for i, (a, b) in enumerate(zip(kinds_c, kinds_z)) if a != b)
    # layer by layer the same description (names aside)
    for c, z in zip(conv["layers"], zoo["layers"]):
        dc = {k: v for k, v in c["layer"].items() if k != "name"}
        dz = {k: v for k, v in z["layer"].items() if k != "name"}
        assert dc == dz, (c["name"], z["name"], dc, dz)
    # modules (conv, bn, dense) carry torchvision's names in both
    mod = ("conv2d", "batchnorm2d", "dense")
    names_c = [l["name"] for l in conv["layers"] if l["kind"] in mod]
    names_z = [l["name"] for l in zoo["layers"] if l["kind"] in mod]
    assert names_c == names_z, next((a, b) for a, b in zip(names_c, names_z) if a != b)
    check_shapes(conv, info)
    same = sum(c["name"] == z["name"] for c, z in zip(conv["layers"], zoo["layers"]))
    print(f"     {name}: {len(conv['layers'])} layers, {conv['totals']['params']:,} parameters, "
          f"{conv['totals']['flops_forward']:,} forward FLOPs at batch 2; {same} of {len(conv['layers'])} names "
          "as the zoo's")


@case
@needs_torchvision
def resnet50_matches_the_zoo():
    compare_with_zoo("resnet50")


@case
@needs_torchvision
def vgg16_matches_the_zoo():
    compare_with_zoo("vgg16")


@case
@needs_torchvision
def alexnet_matches_the_zoo():
    compare_with_zoo("alexnet")


@case
@needs_torchvision
def inception_v3_matches_the_zoo():
    compare_with_zoo("inception_v3")


FORMS = r'''
import torch
import torch.nn as nn
import torch.nn.functional as F


class Forms(nn.Module):
    """One of each form the converter maps; input 3x32x32."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding="same", bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.act = nn.ReLU6(inplace=True)
        self.dw = nn.Conv2d(16, 16, 3, stride=2, padding=1, groups=16)
        self.pool = nn.MaxPool2d(3, 2, 0, ceil_mode=True)
        self.apool = nn.AdaptiveAvgPool2d((2, 2))
        self.tokens = nn.Linear(2, 4)
        self.fc = nn.Linear(128, 10)
        self.sm = nn.Softmax(dim=1)
        self.drop = nn.Dropout(0.25)
        self.flat = nn.Flatten()
        self.same = nn.Identity()

    def forward(self, x):
        x = self.act(self.bn(self.conv(x)))                     # conv2d, batchnorm2d, activation: 8x32x32
        y = F.relu(x)                                             # activation
        y = torch.sigmoid(y)                                      # activation
        y = y.relu_()                                             # activation
        x = x + y                                                 # add
        x += F.silu(y)                                            # activation, add
        x = torch.add(x, F.hardswish(x))                          # activation, add
        x = self.same(x).contiguous()                             # free
        a = F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)     # pool2d
        b = F.max_pool2d(x, kernel_size=3, stride=1, padding=1)   # pool2d
        x = torch.cat([a, b], 1)                                  # concat: 16x32x32
        x = self.dw(x)                                            # conv2d (depthwise): 16x16x16
        x = self.pool(x)                                          # pool2d (ceil mode): 16x8x8
        g = x.mean([2, 3], keepdim=True)                          # pool2d (global): 16x1x1
        x = self.apool(x)                                         # pool2d (adaptive 8 -> 2): 16x2x2
        t = F.gelu(self.tokens(x))                                # dense (seq 32), activation: 16x2x4
        x = t.reshape(t.size(0), -1)                              # flatten: 128
        x = F.dropout(x, p=0.1, training=self.training)           # dropout
        x = self.fc(self.drop(x))                                 # dropout, dense: 10
        m = torch.flatten(F.adaptive_avg_pool2d(g, 1), 1)         # pool2d (global), flatten
        m = m + self.flat(g) + g.view(g.size(0), -1)             # flatten, add, flatten, add
        return self.sm(x) + F.softmax(x, dim=-1), m               # softmax, softmax, add


def build():
    return Forms()


class Reflect(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1, padding_mode="reflect")

    def forward(self, x):
        return self.conv(x)


class Unknown(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        return self.conv(x).flip(3).cumsum(2)
'''

FORMS_KINDS = ["conv2d", "batchnorm2d", "activation", "activation", "activation", "activation", "add",
               "activation", "add", "activation", "add", "pool2d", "pool2d", "concat", "conv2d", "pool2d",
               "pool2d", "pool2d", "dense", "activation", "flatten", "dropout", "dropout", "dense", "pool2d",
               "flatten", "flatten", "add", "flatten", "add", "softmax", "softmax", "add"]


def write_forms():
    path = os.path.join(TMP, "forms.py")
    with open(path, "w") as f:
        f.write(FORMS)
    return path


@case
def functional_forms_convert_and_perfcast_reads_them():
    path = write_forms()
    out = os.path.join(TMP, "forms.json")
    p = tool(f"{path}:build", "--batch", "2", "--input-size", "3,32,32", "--out", out)
    assert "parameters:" in p.stderr and "(same)" in p.stderr, p.stderr
    shown = show(out)
    kinds = [l["kind"] for l in shown["layers"]]
    assert kinds == FORMS_KINDS, kinds
    by = {l["name"]: l["layer"] for l in shown["layers"]}
    assert by["conv"]["padding"] == 1 and by["dw"]["groups"] == 16, (by["conv"], by["dw"])
    assert by["act"]["activation"] == "relu6" and by["silu"]["activation"] == "silu", by["silu"]
    assert by["tokens"].get("seq") == 32 and by["tokens"]["in_features"] == 2, by["tokens"]
    assert by["pool"].get("ceil_mode") is True and by["avg_pool2d"].get("count_include_pad") is False
    assert by["apool"]["kernel"] == 4 and by["apool"]["stride"] == 4, by["apool"]
    assert by["mean"].get("global") is True and by["adaptive_avg_pool2d"].get("global") is True
    assert by["dropout"]["p"] == 0.1 and by["drop"]["p"] == 0.25, (by["dropout"], by["drop"])
    assert shown["totals"]["params"] == 8 * 3 * 9 + 2 * 8 + 16 * 9 + 16 + 2 * 4 + 4 + 128 * 10 + 10
    # the same conversion in-process: every output shape agrees with PyTorch's
    model = t2p.user_model(f"{path}:build")
    net, info = t2p.convert(model, (3, 32, 32), batch=2)
    check_shapes(shown, info)


@case
def refusals_name_the_node_op_and_target():
    path = write_forms()
    p = tool(f"{path}:Reflect", "--input-size", "3,8,8", ok=False)
    assert "padding_mode='reflect'" in p.stderr and "'conv'" in p.stderr, p.stderr
    p = tool(f"{path}:Unknown", "--input-size", "3,8,8", ok=False)
    assert "node 'flip'" in p.stderr and "call_method" in p.stderr and "target flip" in p.stderr, p.stderr
    p = tool(f"{path}:Unknown", "--input-size", "3,8,8", "--skip-unknown")
    assert "left out (2 operations" in p.stderr and "cumsum" in p.stderr, p.stderr
    assert [l["kind"] for l in json.loads(p.stdout)["layers"]] == ["conv2d"]
    p = tool("no_such_model_name", ok=False)
    assert "unknown torchvision model" in p.stderr or "torchvision is not installed" in p.stderr, p.stderr


@case
@needs_torchvision
def batch_and_cli_output():
    out = os.path.join(TMP, "alexnet8.json")
    p = tool("alexnet", "--batch", "8", "--out", out)
    assert "alexnet: 22 layers" in p.stderr and "61,100,840 by perfcast's rules, 61,100,840 in PyTorch (same)" \
        in p.stderr, p.stderr
    with open(out) as f:
        j = json.load(f)
    assert j["format"] == "perfcast-network" and j["version"] == 1 and j["batch"] == 8 and j["name"] == "alexnet"
    assert show(out)["totals"]["flops_forward"] == show("alexnet", 8)["totals"]["flops_forward"]


@case
@needs_torchvision
def measure_torch_sizes_openblas_to_its_threads():
    """tools/measure_torch.py with --threads 1: OpenBLAS (which torch.set_num_threads does not reach)
    gets one thread too, so the thread clock sees every kernel; the provenance says so."""
    out = os.path.join(TMP, "measured.csv")
    cmd = [PY, os.path.join(ROOT, "tools", "measure_torch.py"), "--device", "cpu", "--threads", "1", "--clock", "thread",
           "--networks", "alexnet", "--batches", "1", "--passes", "inference", "--dtypes", "fp32",
           "--warmup", "1", "--reps", "1", "--min-time", "0", "--out", out]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENBLAS_")}
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=TMP, env=env)
    assert p.returncode == 0, p.stderr[-2000:]
    with open(out) as f:
        text = f.read()
    threads = [l for l in text.splitlines() if l.startswith("# threads:")]
    assert len(threads) == 1 and "1 intra-op" in threads[0], threads
    # this process runs the same torch: does it have OpenBLAS loaded?
    import ctypes
    with open("/proc/self/maps") as f:
        libs = {l.split()[-1] for l in f if ".so" in l and "blas" in os.path.basename(l.split()[-1]).lower()}
    if any(hasattr(ctypes.CDLL(lib), "openblas_set_num_threads") for lib in libs):
        assert "BLAS: openblas_set_num_threads(1) in " in threads[0], threads[0]
    else:
        assert "BLAS: no OpenBLAS loaded" in threads[0], threads[0]
    rows = [l for l in text.splitlines() if l.startswith("alexnet,1,inference,fp32,cpu,1,")]
    assert len(rows) == 1, text[-2000:]



@case
@needs_torchvision
def measure_torch_records_page_faults_and_the_allocator():
    """--malloc keep runs the tool again with glibc's tunables set, says so in the provenance and in each
    row's malloc column; every row has its page faults per iteration; a file is not resumed under the
    other setting."""
    out = os.path.join(TMP, "measured_keep.csv")
    cmd = [PY, os.path.join(ROOT, "tools", "measure_torch.py"), "--device", "cpu", "--threads", "1", "--clock", "thread",
           "--networks", "alexnet", "--batches", "1", "--passes", "inference", "--dtypes", "fp32",
           "--warmup", "1", "--reps", "1", "--min-time", "0", "--out", out]
    env = {k: v for k, v in os.environ.items() if k not in ("GLIBC_TUNABLES", "PERFCAST_MALLOC")}
    p = subprocess.run(cmd + ["--malloc", "keep"], capture_output=True, text=True, cwd=TMP, env=env)
    assert p.returncode == 0, p.stderr[-2000:]
    with open(out) as f:
        text = f.read()
    malloc = [l for l in text.splitlines() if l.startswith("# malloc:")]
    assert len(malloc) == 1 and "glibc.malloc.mmap_threshold=4294967296" in malloc[0] \
        and "glibc.malloc.trim_threshold=68719476736" in malloc[0], malloc
    rows = list(csv.DictReader(l for l in text.splitlines() if l and not l.startswith("#")))
    assert len(rows) == 1 and rows[0]["malloc"] == "keep", rows
    assert rows[0]["faults"].isdigit(), rows[0]
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=TMP, env=env)
    assert p.returncode != 0 and "measured with --malloc keep, not default" in p.stderr, p.stderr[-2000:]


@case
@needs_torchvision
def measure_torch_times_each_layer_in_its_network():
    """--layers: one row per operation of the traced network, each with the perfcast layers
    torch2perfcast makes of it (together the converted network, in order), and `perfcast validate
    --layers` predicts them and sums them by configuration and kind."""
    out = os.path.join(TMP, "whole_for_layers.csv")
    layers = os.path.join(TMP, "layers.csv")
    cmd = [PY, os.path.join(ROOT, "tools", "measure_torch.py"), "--device", "cpu", "--threads", "1", "--clock", "thread",
           "--networks", "alexnet", "--batches", "2", "--passes", "inference,training", "--dtypes", "fp32",
           "--warmup", "1", "--reps", "2", "--min-time", "0", "--out", out, "--layers", layers]
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=TMP)
    assert p.returncode == 0, p.stderr[-2000:]
    with open(layers) as f:
        text = f.read()
    assert "# tool: tools/measure_torch.py (perfcast): PyTorch timings of each layer" in text, text[:500]
    rows = list(csv.DictReader(l for l in text.splitlines() if l and not l.startswith("#")))
    assert rows and all(r["pass"] == "inference" and r["batch"] == "2" for r in rows), rows[:3]  # no training rows
    assert [int(r["index"]) for r in rows] == list(range(len(rows)))
    assert all(float(r["time_ms"]) >= 0 and r["samples"] == "2" for r in rows), rows[:3]
    made = [l for r in rows for l in json.loads(r["layers"])]
    converted = tool("alexnet", "--batch", "2", "--out", os.path.join(TMP, "alexnet2.json"))
    with open(os.path.join(TMP, "alexnet2.json")) as f:
        net = json.load(f)
    assert made == net["layers"], (made, net["layers"])
    assert [r["kind"] for r in rows if json.loads(r["layers"])][:3] == ["conv2d", "activation", "pool2d"], rows[:3]
    j = json.loads(perfcast("validate", "--layers", layers, "--model", os.path.join(ROOT, "models",
                            "cpu-epyc_milan_2c-torch.json"), "--device", "epyc_milan_2c", "--format", "json").stdout)
    assert len(j["configurations"]) == 1 and j["configurations"][0]["operations"] == len(rows), j
    total = sum(float(r["time_ms"]) for r in rows)
    assert abs(j["all"]["measured_ms"] - total) <= 1e-6 * total + 1e-9, (j["all"], total)
    assert {k["key"] for k in j["kinds"]} >= {"conv2d", "dense", "activation", "pool2d"}, j["kinds"]
    assert j["all"]["predicted_ms"] > 0 and j["all"]["predicted"] == sum(1 for r in rows if json.loads(r["layers"]))
    rows_out = os.path.join(TMP, "layer_rows.csv")
    perfcast("validate", "--layers", layers, "--model", os.path.join(ROOT, "models", "cpu-epyc_milan_2c-torch.json"),
             "--device", "epyc_milan_2c", "--rows", rows_out)
    with open(rows_out) as f:
        written = list(csv.DictReader(f))
    assert [w["node"] for w in written] == [r["node"] for r in rows], written[:3]
    assert all((w["predicted_us"] == "") == (r["layers"] == "[]") for w, r in zip(written, rows)), written[:3]
    # --layers and --validation are two questions
    p = perfcast("validate", "--layers", layers, "--validation", out, ok=False)
    assert p.returncode != 0 and "not both" in p.stderr, p.stderr
    # on a CPU each node is also timed back to back on its own inputs
    assert "# isolated_ms:" in text, text[:2000]
    assert all(r["isolated_ms"] != "" and float(r["isolated_ms"]) >= 0 for r in rows), rows[:3]
    # calibrate fits the call overhead to them (AlexNet: ReLUs and poolings enough of one kind, conv2d and
    # dense none) and the calibrated model adds it to the layers of its device only
    base = os.path.join(TMP, "base.json")
    with open(os.path.join(ROOT, "models", "cpu-epyc_milan_2c-torch.json")) as f:
        m = json.load(f)
    m.pop("call_overhead", None)
    m["digest"] = model_digest(m)  # the file is changed on purpose: its digest with it
    with open(base, "w") as f:
        json.dump(m, f)
    calibrated = os.path.join(TMP, "calibrated.json")
    j = json.loads(perfcast("calibrate", "--model", base, "--layers", layers, "--device", "epyc_milan_2c",
                            "--out", calibrated, "--format", "json").stdout)
    kinds = {k["kind"]: k for k in j["kinds"]}
    assert "conv2d" not in kinds and "dense" not in kinds and kinds["activation"]["fitted"], j
    assert kinds["activation"]["rows"] == sum(1 for r in rows if r["kind"] == "activation"), (kinds, rows[:3])
    with open(calibrated) as f:
        c = json.load(f)
    assert c["call_overhead"]["device"] == "epyc_milan_2c" and "activation" in c["call_overhead"]["kinds"], c["call_overhead"]
    pred = lambda model, dev: json.loads(perfcast("predict", "alexnet", "--batch", "2", "--device", dev, "--model", model,
                                                  "--format", "json").stdout)
    a, b = pred(base, "epyc_milan_2c"), pred(calibrated, "epyc_milan_2c")
    assert a["overhead_total_us"] == 0 and b["overhead_total_us"] > 0, (a["overhead_total_us"], b["overhead_total_us"])
    assert abs(b["total_us"] - a["total_us"] - b["overhead_total_us"]) <= 1e-6 * b["total_us"], (a["total_us"], b["total_us"])
    assert all(l["overhead_us"] == 0 for l in b["layers"] if l["kind"] in ("conv2d", "dense")), b["layers"]
    assert pred(calibrated, "xeon_spr_2c")["overhead_total_us"] == 0  # fitted on another device
    # a training step calls each layer's forward the same way: the same overhead, none in the optimizer
    tr = json.loads(perfcast("predict", "alexnet", "--batch", "2", "--pass", "training", "--device", "epyc_milan_2c",
                             "--model", calibrated, "--format", "json").stdout)
    assert abs(tr["overhead_total_us"] - b["overhead_total_us"]) <= 1e-9 * b["overhead_total_us"], (tr, b)
    p = perfcast("calibrate", "--model", base, "--layers", layers, "--out", calibrated, ok=False)
    assert p.returncode != 0 and "--device" in p.stderr, p.stderr

    # validate --network: a network outside the zoo, named as in its JSON file, at each row's batch size
    tool("alexnet", "--batch", "1", "--out", os.path.join(TMP, "alexnet1.json"))
    with open(os.path.join(TMP, "alexnet1.json")) as f:
        mine = dict(json.load(f), name="my_alexnet")
    with open(os.path.join(TMP, "my_alexnet.json"), "w") as f:
        json.dump(mine, f)
    renamed = os.path.join(TMP, "renamed.csv")
    with open(out) as f:
        whole = f.read()
    with open(renamed, "w") as f:
        f.write("\n".join(l.replace("alexnet,", "my_alexnet,", 1) if not l.startswith("#") else l
                          for l in whole.splitlines()) + "\n")
    val = lambda *extra: json.loads(perfcast("validate", "--model", os.path.join(ROOT, "models", "cpu-epyc_milan_2c-torch.json"),
                                              "--device", "epyc_milan_2c", "--format", "json", *extra).stdout)
    zoo_rows = val("--validation", out)["rows"]
    my_rows = val("--validation", renamed, "--network", os.path.join(TMP, "my_alexnet.json"))["rows"]
    assert [r["network"] for r in my_rows] == ["my_alexnet"] * len(zoo_rows) and len(zoo_rows) == 2, my_rows
    assert [r["batch"] for r in my_rows] == [2, 2], my_rows  # rebatched from the file's 1
    for z, m2 in zip(zoo_rows, my_rows):  # torch2perfcast's AlexNet is the zoo's
        assert abs(z["predicted_ms"] - m2["predicted_ms"]) <= 1e-9 * z["predicted_ms"], (z, m2)
    p = perfcast("validate", "--validation", renamed, "--device", "epyc_milan_2c", ok=False)
    assert p.returncode != 0 and "--network" in p.stderr, p.stderr


@case
def torch_ops_measures_neusight_rows_resumes_and_refuses_bad_input():
    """bench/harness/torch_ops.py on a CPU: each shape of a NeuSight-format file (synthetic shapes, written
    here) becomes a row in NeuSight's columns with a positive latency and its timing count; a rerun adds
    nothing (resumable); an operator it does not run is refused before anything is measured."""
    ops = os.path.join(ROOT, "bench", "harness", "torch_ops.py")
    shapes = os.path.join(TMP, "shapes_linear.csv")
    with open(shapes, "w") as f:
        f.write("OPName,Latency,Device,B,M,N,K\nlinear,1,x,1,8,16,4\nlinear,1,x,2,4,8,8\nlinear,1,x,1,8,16,4\n")
    elem = os.path.join(TMP, "shapes_elem.csv")
    with open(elem, "w") as f:
        f.write("OPName,B,H\nadd,4,8\naddu,4,8\npow,2,16\ngelu,4,8\nsoftmax,3,5\nln,3,5\n")
    out = os.path.join(TMP, "ops")
    run = lambda *extra: subprocess.run([PY, ops, "--device", "cpu", "--out", out, *extra], capture_output=True,
                                        text=True, cwd=TMP)
    p = run("--shapes", f"linear={shapes},elem={elem}")
    assert p.returncode == 0, p.stderr[-2000:]
    with open(os.path.join(out, "linear.csv")) as f:
        lin = list(csv.DictReader(f))
    assert [(r["B"], r["M"], r["N"], r["K"]) for r in sorted(lin, key=lambda r: r["B"])] == \
        [("1", "8", "16", "4"), ("2", "4", "8", "8")], lin  # the repeated shape measured once
    assert all(float(r["Latency"]) > 0 and r["Timings"] == "25" and r["Device"] == "cpu" for r in lin), lin
    with open(os.path.join(out, "elem.csv")) as f:
        el = list(csv.DictReader(f))
    assert sorted(r["OPName"] for r in el) == ["add", "addu", "gelu", "ln", "pow", "softmax"], el
    p = run("--shapes", f"linear={shapes},elem={elem}")
    assert p.returncode == 0, p.stderr[-2000:]
    with open(os.path.join(out, "linear.csv")) as f:
        assert len(list(csv.DictReader(f))) == 2
    bad = os.path.join(TMP, "shapes_bad.csv")
    with open(bad, "w") as f:
        f.write("OPName,B,H\nadd,4,8\nsub,4,8\n")
    p = run("--shapes", f"elem={bad}")
    assert p.returncode != 0 and "sub" in p.stderr and bad in p.stderr, p.stderr[-2000:]
    p = run("--shapes", f"gemm={shapes}")
    assert p.returncode != 0 and "gemm" in p.stderr, p.stderr[-2000:]


@case
def torch_ops_times_zoo_shapes_in_a_stream_too_and_perfcast_imports_them():
    """torch_ops.py --stream on a CPU over the first rows of the committed zoo shapes (tools/zoo_shapes.py):
    every row gets both NeuSight's latency and the back-to-back cost per call, and `perfcast import
    neusight` reads the files with the extra column; --stream-calls must be positive."""
    ops = os.path.join(ROOT, "bench", "harness", "torch_ops.py")
    small = os.path.join(TMP, "zoo_small")
    os.makedirs(small, exist_ok=True)
    files = []
    for name in ("linear", "bmm", "conv", "elem"):
        with open(os.path.join(ROOT, "bench", "harness", "zoo_shapes", name + ".csv")) as f:
            head = [next(f) for _ in range(4)]  # LeNet-5's and AlexNet's smallest layers come first
        with open(os.path.join(small, name + ".csv"), "w") as f:
            f.writelines(head)
        files.append(f"{name}={os.path.join(small, name + '.csv')}")
    out = os.path.join(TMP, "zoo_ops")
    p = subprocess.run([PY, ops, "--device", "cpu", "--out", out, "--stream", "--stream-calls", "3",
                        "--shapes", ",".join(files)], capture_output=True, text=True, cwd=TMP)
    assert p.returncode == 0, p.stderr[-2000:]
    measured = []
    for name in ("linear", "bmm", "conv", "elem"):
        with open(os.path.join(out, name + ".csv")) as f:
            rows = list(csv.DictReader(f))
        assert len(rows) == 3 and all(float(r["Latency"]) > 0 and float(r["Stream_Latency"]) > 0 for r in rows), rows
        measured.append(os.path.join(out, name + ".csv"))
    dataset = os.path.join(TMP, "zoo_ops.csv")
    p = subprocess.run([EXE, "import", "neusight", *measured, "--out", dataset], capture_output=True, text=True)
    assert p.returncode == 0 and "wrote 12 rows" in p.stderr, p.stderr
    p = subprocess.run([PY, ops, "--device", "cpu", "--out", out, "--stream", "--stream-calls", "0",
                        "--shapes", files[0]], capture_output=True, text=True, cwd=TMP)
    assert p.returncode != 0 and "--stream-calls" in p.stderr, p.stderr[-2000:]

@case
def torch_ops_names_the_kernels_each_row_ran():
    """torch_ops.py --kernels on a CPU (its top-level ATen operators stand for the CUDA kernels): every row
    names what it ran, the longest among them, and `perfcast import neusight` carries a GEMM's into the
    dataset's `kernel` column; without --kernels the columns stay empty."""
    ops = os.path.join(ROOT, "bench", "harness", "torch_ops.py")
    small = os.path.join(TMP, "zoo_small")  # written by the case above
    files = [f"{name}={os.path.join(small, name + '.csv')}" for name in ("linear", "bmm", "elem")]
    out = os.path.join(TMP, "zoo_kernels")
    p = subprocess.run([PY, ops, "--device", "cpu", "--out", out, "--kernels", "--shapes", ",".join(files)],
                       capture_output=True, text=True, cwd=TMP)
    assert p.returncode == 0 and "profiler failed" not in p.stderr, p.stderr[-2000:]
    expect = {"linear": "aten::linear", "bmm": "aten::bmm"}
    for name in ("linear", "bmm", "elem"):
        with open(os.path.join(out, name + ".csv")) as f:
            rows = list(csv.DictReader(f))
        assert len(rows) == 3, rows
        for r in rows:
            ran = r["Kernels"].split(";")
            assert r["Kernels"] and r["Kernel Name"] in ran, r
            if name in expect:
                assert expect[name] in ran, r
    dataset = os.path.join(TMP, "zoo_kernels.csv")
    p = subprocess.run([EXE, "import", "neusight", os.path.join(out, "linear.csv"), "--out", dataset],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    with open(dataset) as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith("#")))
    assert len(rows) == 3 and all(r["kernel"] == "aten::linear" for r in rows), rows
    with open(os.path.join(TMP, "zoo_ops", "linear.csv")) as f:  # the case above, without --kernels
        assert all(r["Kernels"] == "" and r["Kernel Name"] == "" for r in csv.DictReader(f))

@case
def measure_hf_writes_neusight_labels_that_validate_reads():
    """tools/measure_hf.py --from-csv: each measured row (synthetic times, written here) becomes NeuSight's
    label JSON under <GPU>/; an error row is left out; `perfcast validate neusight-models` compares the
    labels to the zoo."""
    rows = os.path.join(TMP, "hf.csv")
    head = "model,pass,seq,batch,e2e_ms,fw_ms,bw_ms,min_e2e_ms,samples,params,layers,attn,device_name,torch_version,transformers_version,date,error"
    with open(rows, "w") as f:
        f.write(head + "\n")
        f.write("gpt2_large,inf,1024,4,200.0,199.9,0.001,199.5,5,774030080,36,eager,NVIDIA H200,2,5,d,\n")
        f.write("bert_large,train,512,2,66.0,25.0,41.0,65.7,5,335174458,24,eager,NVIDIA H200,2,5,d,\n")
        f.write("opt_13,inf,2048,8,,,,,,,,,NVIDIA H200,2,5,d,RuntimeError: out of memory\n")
    labels = os.path.join(TMP, "labels")
    p = subprocess.run([PY, os.path.join(ROOT, "tools", "measure_hf.py"), "--labels", labels, "--from-csv", rows],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr[-2000:]
    assert sorted(os.listdir(os.path.join(labels, "NVIDIA_H200"))) == \
        ["bert_large-train-512-2.json", "gpt2_large-inf-1024-4.json"]
    with open(os.path.join(labels, "NVIDIA_H200", "gpt2_large-inf-1024-4.json")) as f:
        assert json.load(f) == {"num_layer": 36, "e2e_latency": 200.0, "fw_latency": 200.0, "bwall_latency": 0.0}
    with open(os.path.join(labels, "NVIDIA_H200", "bert_large-train-512-2.json")) as f:
        assert json.load(f) == {"num_layer": 24, "e2e_latency": 66.0, "fw_latency": 25.0, "bwall_latency": 41.0}
    v = json.loads(perfcast("validate", "neusight-models", labels, "--format", "json").stdout)
    got = {(c["model"], c["pass"], c["device"], c["measured_ms"]) for c in v["configurations"]}
    assert got == {("gpt2_large", "inference", "h200_sxm", 200.0), ("bert_large", "training", "h200_sxm", 66.0)}, got
    assert all(c["zoo_ms"] > 0 for c in v["configurations"]), v["configurations"]



@case
def measure_hf_profiles_a_step_by_operator_and_shapes():
    """tools/measure_hf.py's profile of one step (here a small hand-written model on the CPU, the same
    code that profiles a Hugging Face model on a GPU): a row per ATen operator and input shapes, the
    linear layers among them with their shapes; self times are not counted twice, so they sum to no
    more than the step; the CSV has the documented columns."""
    spec = importlib.util.spec_from_file_location("measure_hf", os.path.join(ROOT, "tools", "measure_hf.py"))
    hf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hf)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.GELU(), torch.nn.Linear(256, 32))
    x = torch.randn(8, 64)
    t0 = time.perf_counter()
    rows = hf.profile_step(lambda: model(x).sum().backward(), cuda=False)
    wall_ms = (time.perf_counter() - t0) * 1e3
    ops = {(r["op"], r["input_shapes"]) for r in rows}
    assert any(op in ("aten::addmm", "aten::linear") and "[8,64]" in shapes for op, shapes in ops), ops
    assert any(op in ("aten::addmm", "aten::linear") and "[8,256]" in shapes for op, shapes in ops), ops
    assert any(op.startswith("aten::gelu") for op, _ in ops), ops
    assert all(r["calls"] >= 1 and 0 <= r["self_cpu_ms"] <= r["cpu_ms"] + 1e-9 for r in rows), rows
    assert all(r["self_device_ms"] == 0 for r in rows), rows  # no GPU: no device time
    selfs = [r["self_cpu_ms"] for r in rows]
    assert selfs == sorted(selfs, reverse=True), selfs
    assert 0 < sum(selfs) <= wall_ms, (sum(selfs), wall_ms)  # each operator's own time, nothing counted twice
    path = os.path.join(TMP, "profile", "cpu", "tiny-train-8-1.ops.csv")
    hf.write_profile(path, rows)
    with open(path, newline="") as f:
        back = list(csv.DictReader(f))
    assert list(back[0].keys()) == hf.PROFILE_HEAD and len(back) == len(rows), back[:2]
    assert json.loads(back[0]["input_shapes"]) == json.loads(rows[0]["input_shapes"]), back[0]


shutil.rmtree(TMP, ignore_errors=True)
print(f"{passed} passed, {failures} failed" + (f", {skipped} skipped" if skipped else ""))
sys.exit(1 if failures else 0)
