#!/usr/bin/env python3
"""Measures whole networks with PyTorch: the ground truth perfcast's whole-network predictions are
validated against (inference and one training step, over batch sizes, on a CPU or a CUDA GPU).

usage:
    /usr/bin/python3 tools/measure_torch.py --out FILE.csv [--device cpu|cuda] [--threads N]
        [--networks alexnet,vgg16,resnet50,inception_v3] [--batches 1,2,4,8,16,32,64]
        [--max-batch vgg16=8,inception_v3=8] [--passes inference,training] [--dtypes fp32,tf32,bf16]
        [--warmup 3] [--reps 20] [--min-time 0.5] [--slow-ms 1000 --slow-warmup 2 --slow-reps 10]
        [--malloc default|keep] [--note TEXT] [--retry-errors] [--layers LAYERS.csv]

examples:
    # an H100: fp32 and tf32, the four zoo networks, batch 1..64
    /usr/bin/python3 tools/measure_torch.py --device cuda --dtypes fp32,tf32,bf16 --out torch_h100.csv
    # this repository's CPU set (data/validation/torch_cpu_xeon_spr_2c.csv)
    /usr/bin/python3 tools/measure_torch.py --device cpu --threads 2 --networks resnet50,alexnet,vgg16,inception_v3 \\
        --max-batch resnet50=16,alexnet=32,vgg16=8,inception_v3=8 --out data/validation/torch_cpu_xeon_spr_2c.csv

Networks: alexnet, vgg16, resnet50, inception_v3 (perfcast's zoo, torchvision's definitions: inception_v3
without the auxiliary head, 299x299 input; the others 224x224), lenet5 (the seed thesis' LeNet-5, as
perfcast's zoo has it, 1x32x32), or any other torchvision classification model name. Models are built
without weights (nothing is downloaded) and fed random inputs.

What is timed, per row (one network, batch, pass, dtype):
    inference  model.eval(), torch.no_grad(): one forward pass
    training   model.train(): zero_grad, forward, cross-entropy on random labels, backward, SGD step
               (lr 0.01, momentum 0.9)
dtypes: fp32 (TF32 off), tf32 (CUDA only: torch.backends.cuda.matmul.allow_tf32 and cudnn.allow_tf32 on),
bf16 and fp16 (torch.autocast; fp16 training uses a GradScaler; fp16 is CUDA only).
Timing: --warmup iterations, then at least --reps timed iterations and at least --min-time seconds
(an iteration slower than --slow-ms in the warm-up switches to --slow-warmup/--slow-reps instead).
On a CPU, PyTorch's OpenMP threads spin while they wait, and OpenBLAS (Debian's BLAS for dense layers)
has its own threads: with few cores shared with other jobs that thrashes (AlexNet batch 1 took 450 ms
instead of 50 on 2 busy vCPUs); OMP_WAIT_POLICY=PASSIVE in the environment avoids the spinning, and
the tool sizes OpenBLAS's pool to --threads itself (openblas_set_num_threads: torch.set_num_threads
does not reach it, and with --clock thread a second BLAS thread's work would go unseen: AlexNet
batch 1 read 59 ms instead of 81 on the AMD EPYC VM); the provenance records both.
On a CPU shared with other jobs, wait_share (below) says how much of the time this process's threads were ready to run but had no core;
--wait-quiet S waits up to S seconds before each row for no other runnable task, and
--max-wait-share X measures a row again (up to --retries times, keeping the least disturbed try)
when its wait_share is above X.
CUDA: each iteration between two torch.cuda.Event records, synchronised after each iteration (so a
launch-bound iteration's gaps count); CPU: time.perf_counter around each iteration, or with
--clock thread (for --threads 1) time.thread_time: with one intra-op thread PyTorch runs every CPU
kernel, forward and backward, on the calling thread, so its CPU time is the work's time without the
time other processes took from it. The row reports
the median (time_ms) and the spread, (Q3 - Q1) / median. On a GPU cudnn.benchmark is on.

Output: CSV with the columns below, after `# key: value` provenance lines (host CPU, GPU, versions,
threads, load average, command line). A row is appended and flushed as soon as it is measured, and
rows already in the file are skipped, so an interrupted run resumes where it stopped (--retry-errors
measures error rows again, --retry-contended X the rows whose wait_share is above X; the old rows
are taken out of the file). A configuration that fails (out of memory, an unsupported dtype) becomes
a row with an empty time_ms and the reason in `error`; after an out-of-memory error the larger batches
of that network, pass and dtype are recorded as not run. Progress goes to stderr.

Per layer (--layers FILE.csv): for each inference configuration measured, the network is also run
node by node through torch.fx (tools/torch2perfcast.py's trace; a torch.fx.Interpreter that times each
call_module / call_function / call_method with the same clock, CUDA events on a GPU) after the same
warm-up, for the same number of iterations, and FILE.csv gets one row per node: the median time of that
node in the network (its inputs are what the layer before produced, its weights were last read an
iteration ago), and the perfcast layers torch2perfcast makes of it (`layers`, a JSON array, empty for a
free operation such as getitem or size). `perfcast validate --layers FILE.csv` predicts each of them and
shows, kind by kind, where the sum of the layers is missed. Columns: network, batch, pass, dtype,
device, threads, malloc, index (the node's position), node (torch.fx's name), layer (the first perfcast
layer's name, or the node's), kind (the first layer's kind; "free" when it makes none; "unconverted"
when torch2perfcast refuses it), time_ms (median per iteration), samples, spread, isolated_ms, layers,
error. isolated_ms (CPU only; empty on a GPU) is the same operation called back to back on the same
inputs, as the layer sweeps time an operator: after the timed iterations the network runs once more,
and each node, once it has run in its place, is called again (one warm-up call, then the median of 5
samples, each averaging enough calls to last >= 100 us; 3 for a call over 50 ms). time_ms - isolated_ms
is what the network's context costs the call (its code and data out of the caches), which
`perfcast calibrate` fits the model's call overhead to. An in-place node (ReLU, +=) changes its
tensor on each call, as the sweeps' in-place operators do; the values stay finite.

Columns: network, batch, pass, dtype, device, threads, time_ms (median per iteration, whole batch),
samples (timed iterations), spread, torch_version, cuda_version, cudnn_version, device_name, date,
load (the 1-minute load average when the row finished; this process's own threads count in it),
cpu_share (process CPU time / (wall time x threads) over the timed iterations: near 1 when all the
threads computed all the time; lower for serial work, such as a small network's Python overhead, or
when other jobs took the cores), wait_share (the time the process's threads spent runnable but
waiting for a core, from /proc/self/task/*/schedstat, / (wall time x threads): near 0 on an idle
machine; CPU rows on Linux only), faults (the median number of minor page faults per timed iteration:
pages the process touched for the first time since the kernel mapped them, ru_minflt), malloc (the
allocator setting, below), error.

The allocator (--malloc): PyTorch's CPU tensors come from the C library's malloc. glibc's, left at its
defaults ("default"), maps every block of 32 MiB or more afresh (mmap) and hands the memory back when it
is freed, and gives back the top of its heap when more than twice its (adaptive) mmap threshold is
free there, so a network touches some of its activations' pages for the first time on every
iteration: a minor page fault each, 3.3-3.8 us per 4 KiB page on the AMD EPYC VM (a 256 MiB buffer
filled fresh: 248 ms, filled again: 33 ms). ResNet-50 batch 16 inference took 344,787 of them per
iteration there (1.4 GB), 3.23 s where it took 2.10 s without them
(data/validation/torch_cpu_epyc_milan_2c_1thread_malloc_*.csv). "keep" re-runs the tool with
GLIBC_TUNABLES=glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=68719476736 (what
PyTorch's CPU tuning advice gets with jemalloc or tcmalloc: freed memory is kept and reused), so after
the warm-up an iteration faults no page.
"""
import argparse
import csv
import datetime
import gc
import json
import os
import platform
import resource
import shlex
import statistics
import sys
import time

COLUMNS = ["network", "batch", "pass", "dtype", "device", "threads", "time_ms", "samples", "spread",
           "torch_version", "cuda_version", "cudnn_version", "device_name", "date", "load", "cpu_share", "wait_share", "faults", "malloc", "error"]
KEY = ("network", "batch", "pass", "dtype", "device", "threads")
LAYER_COLUMNS = ["network", "batch", "pass", "dtype", "device", "threads", "malloc", "index", "node", "layer", "kind",
                 "time_ms", "samples", "spread", "isolated_ms", "layers", "error"]
MALLOC_KEEP = "glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=68719476736"
DEFAULT_NETWORKS = "alexnet,vgg16,resnet50,inception_v3"
DEFAULT_BATCHES = "1,2,4,8,16,32,64"


def die(msg):
    print(f"measure_torch: error: {msg}", file=sys.stderr)
    sys.exit(2)


def size_openblas(threads):
    """Sizes OpenBLAS's own thread pool, which torch.set_num_threads does not reach (Debian's PyTorch
    runs dense layers through OpenBLAS): finds openblas_set_num_threads in the libraries this process
    has loaded, as the layer harness does with dlsym. Returns what it did, for the provenance."""
    import ctypes
    try:
        with open("/proc/self/maps") as f:
            paths = sorted({p for p in (line.split()[-1] for line in f)
                            if ".so" in p and "blas" in os.path.basename(p).lower()})
    except OSError:
        return "not sized (no /proc/self/maps)"
    for path in paths:
        try:
            fn = getattr(ctypes.CDLL(path), "openblas_set_num_threads")
        except (OSError, AttributeError):
            continue
        fn.argtypes = [ctypes.c_int]
        fn.restype = None
        fn(threads)
        return f"openblas_set_num_threads({threads}) in {path}"
    return "no OpenBLAS loaded (its thread pool not sized)"


try:
    import torch
    import torch.fx
    import torch.nn as nn
except ImportError as e:
    die(f"PyTorch is not installed for {sys.executable} ({e}); on Debian 12: "
        "apt-get install python3-torch python3-torchvision, then run with /usr/bin/python3")


# --------------------------------------------------------------------------------------------
# Networks

class LeNet5(nn.Module):
    """The seed thesis' LeNet-5 (Table 2.1), as perfcast's zoo::lenet5: 61,706 parameters."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5), nn.Tanh(), nn.AvgPool2d(2, 2),
            nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2, 2),
            nn.Conv2d(16, 120, 5), nn.Tanh(), nn.Flatten())
        self.classifier = nn.Sequential(nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))

    def forward(self, x):
        # the zoo ends with a softmax; cross-entropy applies its own, so training uses the logits
        return self.classifier(self.features(x))


def build(name):
    """(model, per-sample input size) for a network name."""
    if name == "lenet5":
        return LeNet5(), (1, 32, 32)
    try:
        import torchvision.models as tvm
    except ImportError as e:
        raise RuntimeError(f"torchvision is not installed ({e}): apt-get install python3-torchvision")
    fn = getattr(tvm, name, None)
    if fn is None or not callable(fn):
        raise RuntimeError(f"unknown network {name!r} (lenet5 or a torchvision model name)")
    kw = {"aux_logits": False, "init_weights": False} if name in ("inception_v3", "googlenet") else {}
    try:
        model = fn(weights=None, **kw)
    except TypeError:
        model = fn(pretrained=False, **kw)
    return model, ((3, 299, 299) if name == "inception_v3" else (3, 224, 224))


# --------------------------------------------------------------------------------------------
# Provenance

def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_features():
    """'family F model M; flags ...' for the vector and matrix extensions that matter to DL kernels."""
    info, want = {}, ("fma", "avx2", "avx512f", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16")
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                k, _, v = line.partition(":")
                k = k.strip()
                if k in ("cpu family", "model", "flags") and k not in info:
                    info[k] = v.strip()
                if len(info) == 3:
                    break
    except OSError:
        return ""
    flags = [x for x in want if x in info.get("flags", "").split()]
    return f"family {info.get('cpu family', '?')} model {info.get('model', '?')}; {' '.join(flags) or 'no AVX2'}"


def load_avg():
    try:
        return os.getloadavg()
    except OSError:
        return (float("nan"),) * 3


def versions(device):
    cuda = torch.version.cuda or ""
    try:
        cudnn = torch.backends.cudnn.version() if device == "cuda" else None
    except Exception:
        cudnn = None
    name = torch.cuda.get_device_name() if device == "cuda" else cpu_name()
    return {"torch_version": torch.__version__, "cuda_version": cuda if device == "cuda" else "",
            "cudnn_version": str(cudnn) if cudnn else "", "device_name": name}


def provenance(args, device):
    la = load_avg()
    v = versions(device)
    lines = [
        ("tool", "tools/measure_torch.py (perfcast): whole-network PyTorch timings"),
        ("date", datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")),
        ("command", " ".join(shlex.quote(a) for a in [sys.executable] + sys.argv)),
        ("host", platform.node()),
        ("host_cpu", f"{cpu_name()} ({os.cpu_count()} logical CPUs visible; {cpu_features()})"),
        ("gpu", v["device_name"] if device == "cuda" else "none used"),
        ("torch", f"{torch.__version__} (CUDA {torch.version.cuda or 'none'}, cuDNN {v['cudnn_version'] or 'none'})"),
        ("python", platform.python_version()),
        ("threads", f"{torch.get_num_threads()} intra-op, {torch.get_num_interop_threads()} inter-op; "
                    f"BLAS: {getattr(args, 'blas_threads', 'not sized')}"),
        ("thread_env", " ".join(f"{k}={v}" for k, v in sorted(os.environ.items())
                                if k.startswith(("OMP_", "GOMP_", "KMP_", "OPENBLAS_", "MKL_", "DNNL_", "ONEDNN_")))
         or "none set (OMP_WAIT_POLICY, OPENBLAS_NUM_THREADS, ... at their defaults)"),
        ("torch_build", "; ".join(l.strip() for l in torch.__config__.show().splitlines()
                                  if "CPU capability" in l or "MKL-DNN" in l or "oneDNN" in l or "OpenMP" in l)
         + "; BLAS " + next((kv.split("=")[1] for l in torch.__config__.show().splitlines()
                             for kv in l.replace(",", " ").split() if kv.startswith("BLAS_INFO=")), "?")),
        ("load_at_start", " ".join(f"{x:.2f}" for x in la) + " (1, 5, 15 minutes)"),
        ("inference", "model.eval() under torch.no_grad(): one forward pass per iteration"),
        ("training", "model.train(): zero_grad, forward, cross-entropy on random labels, backward, SGD step "
                     "(lr 0.01, momentum 0.9) per iteration"),
        ("timing", f"warm-up {args.warmup}, then >= {args.reps} timed iterations and >= {args.min_time} s; "
                   f"iterations slower than {args.slow_ms} ms in the warm-up: warm-up {args.slow_warmup}, "
                   f"{args.slow_reps} timed; median reported, spread = IQR / median; "
                   + ("CUDA events, synchronised per iteration, cudnn.benchmark on" if device == "cuda"
                      else "time.thread_time (the CPU time of the one thread that runs everything: time the OS "
                           "gave to other processes is left out)" if args.clock == "thread"
                      else "time.perf_counter")),
        ("inputs", "random normal inputs and random labels, NCHW (contiguous), no data loading"),
        ("malloc", "keep: GLIBC_TUNABLES=" + os.environ.get("GLIBC_TUNABLES", "") + " (freed memory kept and "
                   "reused, no page faults after the warm-up)" if args.malloc == "keep"
                   else "default: glibc's malloc at its defaults (GLIBC_TUNABLES "
                   + (os.environ["GLIBC_TUNABLES"] if os.environ.get("GLIBC_TUNABLES") else "unset")
                   + "; blocks >= 32 MiB mapped afresh, the heap's top trimmed)"),
    ]
    if device == "cpu" and (args.wait_quiet > 0 or args.max_wait_share > 0):
        lines.append(("contention", f"before each row waited up to {args.wait_quiet:g} s for no other runnable task; "
                      f"rows with wait_share > {args.max_wait_share:g} measured again up to {args.retries} times, "
                      "keeping the try with the lowest wait_share"))
    try:
        cap = torch.backends.cpu.get_cpu_capability()  # PyTorch >= 2.0
        lines.append(("cpu_capability", cap))
    except Exception:
        pass
    if args.note:
        lines.append(("note", args.note))
    return [f"# {k}: {val}" for k, val in lines]


# --------------------------------------------------------------------------------------------
# Timing

def others_running(samples=5, interval=0.1):
    """Median number of runnable tasks on the machine besides this process's sampling thread."""
    counts = []
    for i in range(samples):
        try:
            with open("/proc/loadavg") as f:
                counts.append(int(f.read().split()[3].split("/")[0]) - 1)
        except (OSError, ValueError, IndexError):
            return 0
        if i + 1 < samples:
            time.sleep(interval)
    return statistics.median(counts)


def wait_quiet(limit_s):
    """Waits up to limit_s seconds for no other runnable task; returns the seconds waited."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit_s and others_running() > 0:
        time.sleep(1.0)
    return time.perf_counter() - t0


def runqueue_wait_s():
    """Seconds this process's threads have spent runnable but waiting for a core (Linux schedstat)."""
    total = 0
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return None
    for t in tasks:
        try:
            with open(f"/proc/self/task/{t}/schedstat") as f:
                total += int(f.read().split()[1])
        except (OSError, ValueError, IndexError):
            continue  # a thread that ended
    return total / 1e9


def quantiles(xs):
    s = sorted(xs)
    if len(s) < 2:
        return s[0], s[0], s[0]
    q = statistics.quantiles(s, n=4, method="inclusive")
    return q[0], statistics.median(s), q[2]


def set_dtype_flags(device, dtype):
    if device == "cuda":
        tf32 = dtype == "tf32"
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32


def make_step(model, x, labels, pass_, dtype, device):
    """A closure running one iteration of the configuration."""
    amp = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(dtype)

    def ctx():
        if amp is None:
            return _Null()
        return torch.autocast(device_type=device, dtype=amp)

    if pass_ == "inference":
        model.eval()

        def step():
            with torch.no_grad(), ctx():
                model(x)
        return step, None
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    scaler = torch.cuda.amp.GradScaler() if (dtype == "fp16" and device == "cuda") else None

    def step():
        opt.zero_grad(set_to_none=True)
        with ctx():
            out = model(x)
            if isinstance(out, (tuple, list)):
                out = out[0]
            loss = loss_fn(out.float(), labels)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        else:
            loss.backward()
            opt.step()
    return step, opt


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def time_config(step, device, threads, args):
    """(times in ms, cpu_share or None, wait_share or None, page faults per iteration)."""
    faults = []

    def once():
        f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        t = timed()
        faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
        return t

    def timed():
        if device == "cuda":
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            torch.cuda.synchronize()
            start.record()
            step()
            end.record()
            end.synchronize()
            return start.elapsed_time(end)
        clock = time.thread_time if args.clock == "thread" else time.perf_counter
        t0 = clock()
        step()
        return (clock() - t0) * 1e3

    warm = [once() for _ in range(max(args.warmup, 1))]
    warmup, reps = args.warmup, args.reps
    if min(warm) > args.slow_ms:
        warmup, reps = args.slow_warmup, args.slow_reps
    for _ in range(max(warmup - len(warm), 0)):
        once()
    times = []
    faults.clear()
    q0 = runqueue_wait_s() if device == "cpu" else None
    c0, w0 = time.process_time(), time.perf_counter()
    while len(times) < reps or (sum(times) / 1e3 < args.min_time and len(times) < args.max_reps):
        times.append(once())
    c1, w1 = time.process_time(), time.perf_counter()
    q1 = runqueue_wait_s() if q0 is not None else None
    share = (c1 - c0) / ((w1 - w0) * threads) if device == "cpu" and w1 > w0 else None
    wait = (q1 - q0) / ((w1 - w0) * threads) if q0 is not None and q1 is not None and w1 > w0 else None
    return times, share, wait, statistics.median(faults)


def node_layers(model, size, batch, device):
    """(GraphModule on `device`, [(node, [perfcast layer dicts], kind)]) of the network traced as
    tools/torch2perfcast.py traces it, each node with the layers the converter makes of it."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import torch2perfcast as t2p
    was_training = model.training
    model = model.eval()
    gm, graph = t2p.trace(model.cpu() if device != "cpu" else model, torch.randn(2, *size))
    conv = t2p.Converter(gm, graph, batch)
    made = {}
    emit = conv._emit

    def recording_emit(node, layer, out_shape, op_name=None, name=None):
        got = emit(node, layer, out_shape, op_name, name)
        made.setdefault(node.name, []).append(conv.layers[-1])
        return got
    conv._emit = recording_emit
    conv.run(skip_unknown=True)
    refused = {u[0] for u in conv.unknown}
    nodes = []
    for node in graph.nodes:
        if node.op in ("call_module", "call_function", "call_method"):
            layers = made.get(node.name, [])
            kind = layers[0]["kind"] if layers else ("unconverted" if node.name in refused else "free")
            nodes.append((node, layers, kind))
    model.train(was_training)
    return gm.to(device), nodes


class _NodeTimer(torch.fx.Interpreter):
    """Runs a GraphModule node by node, timing each operation (not the interpreter's own work of
    fetching its arguments): the thread clock or the wall clock on a CPU, CUDA events on a GPU."""

    def __init__(self, gm, clock, cuda):
        super().__init__(gm)
        self.clock, self.cuda, self.took, self.events = clock, cuda, {}, []

    def _timed(self, run, target, args, kwargs):
        if self.cuda:
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            out = run(target, args, kwargs)
            b.record()
            self.events.append((self._node, a, b))
            return out
        t0 = self.clock()
        out = run(target, args, kwargs)
        self.took[self._node] = (self.clock() - t0) * 1e3
        return out

    def run_node(self, n):
        self._node = n.name
        return super().run_node(n)

    def call_module(self, target, args, kwargs):
        return self._timed(super().call_module, target, args, kwargs)

    def call_function(self, target, args, kwargs):
        return self._timed(super().call_function, target, args, kwargs)

    def call_method(self, target, args, kwargs):
        return self._timed(super().call_method, target, args, kwargs)

    def iteration(self, x):
        """{node name: ms} of one forward pass."""
        self.took, self.events = {}, []
        self.run(x)
        if self.cuda:
            torch.cuda.synchronize()
            self.took = {n: a.elapsed_time(b) for n, a, b in self.events}
        return self.took


class _IsolatedTimer(_NodeTimer):
    """Runs a GraphModule once (CPU); after each operation has run in its place, calls it again back to
    back on the same inputs and keeps the median time of a call (ms), as the layer sweeps time an operator."""

    def __init__(self, gm, clock):
        super().__init__(gm, clock, False)

    def _timed(self, run, target, args, kwargs):
        out = run(target, args, kwargs)
        run(target, args, kwargs)  # warm-up
        t0 = self.clock()
        run(target, args, kwargs)
        one = max(self.clock() - t0, 1e-7)
        calls = max(1, int(100e-6 / one))
        samples = []
        for _ in range(3 if one > 0.05 else 5):
            t0 = self.clock()
            for _ in range(calls):
                run(target, args, kwargs)
            samples.append((self.clock() - t0) / calls * 1e3)
        self.took[self._node] = statistics.median(samples)
        return out


def time_layers(model, size, x, dtype, device, iterations, args):
    """[(node, layers, kind, [ms per iteration], isolated ms or None)] of one inference configuration."""
    gm, nodes = node_layers(model, size, x.shape[0], device)
    gm.eval()
    amp = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(dtype)
    timer = _NodeTimer(gm, time.thread_time if args.clock == "thread" else time.perf_counter, device == "cuda")
    runs = []
    with torch.no_grad(), (torch.autocast(device_type=device, dtype=amp) if amp is not None else _Null()):
        for i in range(max(args.warmup, 1) + iterations):
            took = timer.iteration(x)
            if i >= max(args.warmup, 1):
                runs.append(took)
        isolated = {}
        if device == "cpu":
            isolated = _IsolatedTimer(gm, timer.clock).iteration(x)
    return [(node, layers, kind, [r.get(node.name, 0.0) for r in runs], isolated.get(node.name))
            for node, layers, kind in nodes]


def is_oom(e):
    if type(e).__name__ == "OutOfMemoryError":
        return True
    msg = str(e).lower()
    return "out of memory" in msg or "can't allocate memory" in msg or "cannot allocate memory" in msg


# --------------------------------------------------------------------------------------------
# The run

def parse_list(text, what, conv=str):
    try:
        out = [conv(v.strip()) for v in text.split(",") if v.strip()]
    except ValueError:
        die(f"{what}: expected a comma-separated list, got {text!r}")
    if not out:
        die(f"{what}: empty")
    return out


def read_done(path, redo, malloc):
    """Keys of the rows already in the file (checking its header). Rows for which redo(row) is true
    are taken out of the file (rewritten in place, comments kept) so that they are measured again."""
    done = set()
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return done, False
    with open(path, newline="") as f:
        lines = f.readlines()
    data = [line for line in lines if line.strip() and not line.startswith("#")]
    if not data:
        return done, True
    reader = csv.DictReader(data)
    if reader.fieldnames != COLUMNS:
        die(f"{path}: its columns {reader.fieldnames} are not this tool's {COLUMNS}; use another --out")
    dropped = set()
    for r in reader:
        if r["malloc"] != malloc:
            die(f"{path}: its rows were measured with --malloc {r['malloc']}, not {malloc}; use another --out")
        key = tuple(r[k] for k in KEY)
        if redo(r):
            dropped.add(key)
        else:
            done.add(key)
    if dropped:
        kept = []
        for line in lines:
            if line.strip() and not line.startswith("#") and line is not data[0]:
                r = next(csv.DictReader([data[0], line]))
                if tuple(r[k] for k in KEY) in dropped:
                    continue
            kept.append(line)
        tmp = path + ".tmp"
        with open(tmp, "w", newline="") as f:
            f.writelines(kept)
        os.replace(tmp, path)
        print(f"measure_torch: {len(dropped)} rows of {path} will be measured again", file=sys.stderr)
    return done, True


def main():
    ap = argparse.ArgumentParser(prog="measure_torch.py", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="CSV file (appended to; existing rows are skipped)")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu", choices=["cpu", "cuda"])
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: all CPUs)")
    ap.add_argument("--networks", default=DEFAULT_NETWORKS)
    ap.add_argument("--batches", default=DEFAULT_BATCHES)
    ap.add_argument("--max-batch", default="", help="per-network batch limits, e.g. vgg16=8,inception_v3=8")
    ap.add_argument("--passes", default="inference,training")
    ap.add_argument("--dtypes", default="fp32")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--min-time", type=float, default=0.5, help="seconds of timed iterations at least")
    ap.add_argument("--max-reps", type=int, default=2000)
    ap.add_argument("--slow-ms", type=float, default=1000.0,
                    help="an iteration slower than this in the warm-up uses --slow-warmup/--slow-reps")
    ap.add_argument("--slow-warmup", type=int, default=2)
    ap.add_argument("--slow-reps", type=int, default=10)
    ap.add_argument("--wait-quiet", type=float, default=0.0,
                    help="CPU: before each row wait up to this many seconds for no other runnable task")
    ap.add_argument("--max-wait-share", type=float, default=0.0,
                    help="CPU: measure a row again when its wait_share is above this (other jobs took the cores)")
    ap.add_argument("--retries", type=int, default=2, help="with --max-wait-share: at most this many more tries; "
                                                           "the try with the lowest wait_share is kept")
    ap.add_argument("--clock", default="wall", choices=["wall", "thread"],
                    help="CPU with --threads 1: 'thread' times the CPU time of the thread that runs every "
                         "kernel (forward and backward), so other jobs on the machine do not inflate it")
    ap.add_argument("--malloc", default="default", choices=["default", "keep"],
                    help="glibc's allocator: its defaults, or 'keep' (no mmap per large block, no heap "
                         "trimming: freed memory is reused without page faults; set through GLIBC_TUNABLES)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--note", default="", help="a line of provenance to record (e.g. 'machine shared')")
    ap.add_argument("--retry-errors", action="store_true", help="measure rows recorded as errors again")
    ap.add_argument("--layers", default="", help="also time each inference configuration layer by layer "
                                                 "(torch.fx, node by node) and append the rows to this CSV")
    ap.add_argument("--retry-contended", type=float, default=0.0,
                    help="measure again the rows (of --networks and --passes) already in the file whose "
                         "wait_share is above this; the old rows are taken out of the file")
    args = ap.parse_args()
    if args.malloc == "keep" and os.environ.get("PERFCAST_MALLOC") != "keep":
        # glibc reads its tunables when the process starts: run again with them set
        env = dict(os.environ, PERFCAST_MALLOC="keep")
        env["GLIBC_TUNABLES"] = ":".join(t for t in (env.get("GLIBC_TUNABLES", ""), MALLOC_KEEP) if t)
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(sys.executable, [sys.executable] + sys.argv, env)

    networks = parse_list(args.networks, "--networks")
    batches = sorted(set(parse_list(args.batches, "--batches", int)))
    passes = parse_list(args.passes, "--passes")
    dtypes = parse_list(args.dtypes, "--dtypes")
    limits = {}
    for item in parse_list(args.max_batch, "--max-batch") if args.max_batch else []:
        k, _, v = item.partition("=")
        if not v.isdigit():
            die(f"--max-batch: expected NET=B, got {item!r}")
        limits[k] = int(v)
    for p in passes:
        if p not in ("inference", "training"):
            die(f"--passes: {p!r} is neither inference nor training")
    for d in dtypes:
        if d not in ("fp32", "tf32", "bf16", "fp16"):
            die(f"--dtypes: {d!r} (fp32, tf32, bf16, fp16)")
        if args.device == "cpu" and d in ("tf32", "fp16"):
            die(f"--dtypes {d} is for --device cuda (TF32 is a CUDA setting; CPU autocast has no fp16)")
    if any(b < 1 for b in batches):
        die("--batches must be >= 1")
    if args.reps < 1 or args.slow_reps < 1:
        die("--reps and --slow-reps must be >= 1")
    device = args.device
    if device == "cuda":
        if not torch.cuda.is_available():
            die("--device cuda: no CUDA device is available to this PyTorch")
        torch.backends.cudnn.benchmark = True
    if args.threads:
        torch.set_num_threads(args.threads)
    threads = torch.get_num_threads()
    args.blas_threads = size_openblas(threads) if device == "cpu" else "not sized (GPU)"
    if args.clock == "thread" and (device != "cpu" or threads != 1):
        die("--clock thread needs --device cpu --threads 1 (with more threads, or a GPU, the work runs "
            "outside the calling thread)")
    torch.manual_seed(args.seed)

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    def redo(r):
        if args.retry_errors and r["error"]:
            return True
        return bool(args.retry_contended and r["wait_share"] and float(r["wait_share"]) > args.retry_contended
                    and r["network"] in networks and r["pass"] in passes)
    done, exists = read_done(args.out, redo, args.malloc)
    vers = versions(device)
    layer_file = layer_writer = None
    if args.layers:
        os.makedirs(os.path.dirname(os.path.abspath(args.layers)), exist_ok=True)
        fresh = not os.path.exists(args.layers) or os.path.getsize(args.layers) == 0
        if not fresh:
            with open(args.layers, newline="") as lf:
                header = next(csv.reader(l for l in lf if l.strip() and not l.startswith("#")), None)
            if header is not None and header != LAYER_COLUMNS:
                die(f"{args.layers}: its columns {header} are not this tool's {LAYER_COLUMNS}; use another --layers")
            fresh = header is None
        layer_file = open(args.layers, "a", newline="")
        for line in provenance(args, device):
            layer_file.write(line.replace("whole-network PyTorch timings", "PyTorch timings of each layer in "
                                          "the network (torch.fx, node by node)") + "\n")
        if device == "cpu":
            layer_file.write("# isolated_ms: the node called back to back on its own inputs once it has run in its place "
                             "(1 warm-up call, median of 5 samples of >= 100 us, 3 for calls over 50 ms)\n")
        layer_writer = csv.DictWriter(layer_file, fieldnames=LAYER_COLUMNS)
        if fresh:
            layer_writer.writeheader()
        layer_file.flush()
    with open(args.out, "a", newline="") as f:
        if exists:
            f.write("# resumed:\n")
        for line in provenance(args, device):
            f.write(line + "\n")
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        if not exists:
            writer.writeheader()
        f.flush()

        plan = [(n, p, d, b) for n in networks for p in passes for d in dtypes for b in batches
                if b <= limits.get(n, b)]
        todo = [c for c in plan if (c[0], str(c[3]), c[1], c[2], device, str(threads)) not in done]
        print(f"measure_torch: {len(plan)} configurations, {len(plan) - len(todo)} already in {args.out}; "
              f"{device}, {threads} threads, torch {torch.__version__}", file=sys.stderr)
        started = time.perf_counter()
        model_name, model, size, n_out = None, None, None, 0
        oom_at = {}
        for i, (net, pass_, dtype, batch) in enumerate(todo, 1):
            row = {"network": net, "batch": batch, "pass": pass_, "dtype": dtype, "device": device,
                   "threads": threads, "time_ms": "", "samples": 0, "spread": "", **vers,
                   "load": "", "cpu_share": "", "wait_share": "", "faults": "", "malloc": args.malloc, "error": ""}
            tag = f"[{i}/{len(todo)}] {net} batch {batch} {pass_} {dtype}"
            step = x = labels = None
            try:
                if (net, pass_, dtype) in oom_at and batch > oom_at[(net, pass_, dtype)]:
                    raise _Skip(f"not run: batch {oom_at[(net, pass_, dtype)]} ran out of memory")
                if model_name != net:
                    model = None
                    gc.collect()
                    if device == "cuda":
                        torch.cuda.empty_cache()
                    model_name = None
                    model, size = build(net)
                    model = model.to(device)
                    with torch.no_grad():  # the number of classes, for the labels
                        n_out = model.eval()(torch.randn(1, *size, device=device)).shape[-1]
                    model_name = net
                set_dtype_flags(device, dtype)
                x = torch.randn(batch, *size, device=device)
                labels = torch.randint(0, n_out, (batch,), device=device)
                step, _ = make_step(model, x, labels, pass_, dtype, device)
                best = None
                for attempt in range(1 + (args.retries if device == "cpu" and args.max_wait_share > 0 else 0)):
                    if device == "cpu" and args.wait_quiet > 0:
                        wait_quiet(args.wait_quiet)
                    got = time_config(step, device, threads, args)
                    if best is None or (got[2] or 0) < (best[2] or 0):
                        best = got
                    if device != "cpu" or args.max_wait_share <= 0 or got[2] is None or got[2] <= args.max_wait_share:
                        break
                    if attempt < args.retries:
                        print(f"{tag}: wait share {got[2]:.2f} > {args.max_wait_share:g} ({statistics.median(got[0]):.2f}"
                              " ms): measuring again", file=sys.stderr, flush=True)
                times, share, wait, faults = best
                if layer_writer is not None and pass_ == "inference":
                    per_node = time_layers(model, size, x, dtype, device, len(times), args)
                    for index, (node, layers, kind, ts, iso) in enumerate(per_node):
                        lq1, lmed, lq3 = quantiles(ts)
                        layer_writer.writerow({
                            "network": net, "batch": batch, "pass": pass_, "dtype": dtype, "device": device,
                            "threads": threads, "malloc": args.malloc, "index": index, "node": node.name,
                            "layer": layers[0]["name"] if layers else node.name, "kind": kind,
                            "time_ms": f"{lmed:.5f}", "samples": len(ts),
                            "spread": f"{(lq3 - lq1) / lmed:.4f}" if lmed > 0 else "",
                            "isolated_ms": f"{iso:.5f}" if iso is not None else "",
                            "layers": json.dumps(layers, separators=(",", ":")), "error": ""})
                    layer_file.flush()
                    os.fsync(layer_file.fileno())
                    node_sum = sum(statistics.median(ts) for _, _, _, ts, _ in per_node)
                    print(f"{tag}: {len(per_node)} nodes timed one by one, their medians sum to {node_sum:.2f} ms",
                          file=sys.stderr, flush=True)
                q1, med, q3 = quantiles(times)
                row.update(time_ms=f"{med:.4f}", samples=len(times), spread=f"{(q3 - q1) / med:.4f}",
                           cpu_share=f"{share:.3f}" if share is not None else "",
                           wait_share=f"{wait:.3f}" if wait is not None else "", faults=f"{faults:.0f}")
                step = x = labels = None
                msg = (f"{med:.2f} ms (spread {100 * (q3 - q1) / med:.1f}%, {len(times)} iterations, "
                       f"{faults:.0f} page faults each)")
            except _Skip as e:
                row["error"] = str(e)
                msg = str(e)
            except KeyboardInterrupt:
                print(f"measure_torch: interrupted at {tag}; rows so far are in {args.out}", file=sys.stderr)
                return 130
            except Exception as e:  # OOM and anything else: record and go on
                oom = is_oom(e)
                if oom:
                    oom_at[(net, pass_, dtype)] = batch
                row["error"] = ("out of memory: " if oom else f"{type(e).__name__}: ") + " ".join(str(e).split())[:300]
                msg = "ERROR " + row["error"]
                step = x = labels = None  # free the inputs and the closure (which holds the optimizer state)
                if model is not None:
                    model.zero_grad(set_to_none=True)
                gc.collect()
                if device == "cuda":
                    torch.cuda.empty_cache()
            row["load"] = f"{load_avg()[0]:.2f}"
            row["date"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
            writer.writerow(row)
            f.flush()
            os.fsync(f.fileno())
            elapsed = time.perf_counter() - started
            print(f"{tag}: {msg}; load {row['load']}"
                  + (f", cpu share {row['cpu_share']}, wait share {row['wait_share']}" if row["cpu_share"] else "")
                  + f" [{elapsed:.0f} s]",
                  file=sys.stderr, flush=True)
    return 0


class _Skip(Exception):
    pass


if __name__ == "__main__":
    sys.exit(main())
