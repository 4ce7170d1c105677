#!/usr/bin/env python3
"""Operator sweeps in NeuSight's CSV format, measured with PyTorch on a CUDA GPU (or, to rehearse, a CPU).

The shapes come from NeuSight-format files (the shared folder's `<op>/<GPU>.csv[.xz]` and `test/*.csv.xz`),
so each row measured here has a twin measured on NeuSight's GPUs (or they come from `tools/zoo_shapes.py`:
the layers of perfcast's zoo networks, bench/harness/zoo_shapes/); `perfcast import neusight` reads the
output as it reads NeuSight's own files (the device named by PyTorch must be in perfcast's device
database, e.g. "NVIDIA H200").

usage:
    python3 bench/harness/torch_ops.py --out DIR --shapes OP=FILE[,OP=FILE...] [--budget-s OP=S,...]
        [--sample N] [--seed S] [--device cuda|cpu] [--extra embedding,broadcast] [--deadline-s S]
        [--stream [--stream-calls N]] [--kernels]

    OP is linear, bmm, conv, elem (a file whose rows name their OPName: add, addu, mul, mulu, div,
    divu, pow, powu, relu, gelu, tanh, softmax, ln; NeuSight's per-operator files and its test set
    `elem` alike) or a test set (`test-linear`, `test-bmm`, `test-elem`: written to DIR/test/).

How a row is measured (NeuSight's neusight/Dataset/collect.py): FP32 with TF32 off,
torch.backends.cudnn.benchmark on, forward only; after warm-up calls, 25 separately synchronised
CUDA-event timings of one call, `Latency` (ms) = the mean of the fastest 5. A call slower than
--long-ms in the warm-up is timed 10 times instead (the `Timings` column says how many); the mean of
the fastest 5 stays. NeuSight's launch-geometry columns are left empty; its kernel columns too,
unless --kernels.

--kernels profiles one more call of each row (torch.profiler, after its timings) and fills NeuSight's
`Kernels` (the CUDA kernels the call ran, in launch order, `;`-separated) and `Kernel Name` (the one that
ran longest): which algorithm cuBLAS or cuDNN chose, or which softmax kernel. On a CPU (a rehearsal) they
name the call's top-level ATen operators instead. A call the profiler fails on keeps them empty (said once).

--stream adds a `Stream_Latency` column (ms): the call issued --stream-calls times (default 25) back to
back between two CUDA events, without a synchronisation between calls, divided by their number; the
fastest of three such runs. Each call's host dispatch then overlaps the previous call's kernel, as a
layer's does inside a network: the column is the cost of the operator in a stream of kernels, where
`Latency` (NeuSight's method) is the cost of a call timed alone, its dispatch included.

Sampling and budgets: each file's distinct shapes are shuffled with --seed; an operator's shapes are
measured in that order until --sample rows or its --budget-s seconds are spent (so what is measured
is a random sample of the file), and the whole run stops at --deadline-s. Rows are appended and
flushed as they are measured; a rerun skips shapes already in DIR (resumable). Progress: stderr.

--extra adds sweeps of our own (not NeuSight's) in DIR/extra_*.csv: `embedding` (nn.Embedding(V, D) on
(B, S) indices: the gather a language model's embedding runs) and `broadcast` (an attention mask
broadcast over (B, heads, S, S): add of a (B, 1, 1, S) tensor, div by a scalar, where with a
(1, 1, S, S) mask).
"""
import argparse
import csv
import lzma
import os
import random
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

NEUSIGHT_HEAD = ["OPName", "Latency", "Device", "Torch Version", "CUDNN Version", "Kernel Name", "Warps per SM",
                 "Blocks per SM", "Grid x", "Grid y", "Grid z", "Block x", "Block y", "Block z", "CUDA Version",
                 "Kernels"]
SHAPE_COLS = {"linear": ["B", "M", "N", "K"], "bmm": ["B", "M", "N", "K"],
              "conv": ["B", "Input_Channel", "Output_Channel", "Kernel_Szie", "Input_Size", "Stride", "Padding"],
              "elem": ["B", "H"]}
ELEM_OPS = {"add", "addu", "mul", "mulu", "div", "divu", "pow", "powu", "relu", "gelu", "tanh", "softmax", "ln"}


def read_rows(path):
    opener = lzma.open if path.endswith(".xz") else open
    with opener(path, "rt", newline="") as f:
        return list(csv.DictReader(f))


class Timer:
    def __init__(self, device, long_ms):
        self.device = device
        self.long_ms = long_ms

    def once(self, fn):
        if self.device == "cuda":
            e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            torch.cuda.synchronize()
            e0.record()
            fn()
            e1.record()
            torch.cuda.synchronize()
            return e0.elapsed_time(e1)
        t0 = time.perf_counter()
        fn()
        return (time.perf_counter() - t0) * 1e3

    def stream(self, fn, calls):
        """The cost of one call among `calls` issued back to back (no synchronisation between them), ms;
        the fastest of three runs."""
        best = float("inf")
        for _ in range(3):
            if self.device == "cuda":
                e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                torch.cuda.synchronize()
                e0.record()
                for _ in range(calls):
                    fn()
                e1.record()
                torch.cuda.synchronize()
                ms = e0.elapsed_time(e1)
            else:
                t0 = time.perf_counter()
                for _ in range(calls):
                    fn()
                ms = (time.perf_counter() - t0) * 1e3
            best = min(best, ms / calls)
        return best

    def latency(self, fn):
        """NeuSight's rule: the mean of the fastest 5 of 25 timings (10 for a slow call)."""
        w = [self.once(fn) for _ in range(3)]
        n = 10 if min(w) > self.long_ms else 25
        t = sorted(self.once(fn) for _ in range(n))
        return sum(t[:5]) / 5, n


def kernels_of(fn, device):
    """One call of fn profiled: (the kernels it ran in launch order, `;`-separated; the longest one). On a
    CPU, the top-level ATen operators."""
    from torch.profiler import ProfilerActivity, profile
    cuda = device == "cuda"
    with profile(activities=[ProfilerActivity.CUDA if cuda else ProfilerActivity.CPU]) as prof:
        fn()
        if cuda:
            torch.cuda.synchronize()
    if cuda:
        ran = [e for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA]
        took = lambda e: e.time_range.elapsed_us()
    else:
        ran = [e for e in prof.events() if e.cpu_parent is None]
        took = lambda e: e.cpu_time_total
    ran.sort(key=lambda e: e.time_range.start)
    if not ran:
        return "", ""
    return ";".join(e.name for e in ran), max(ran, key=took).name


def make_call(op, s, dev):
    """The operator NeuSight ran for one row, as a closure over its inputs."""
    g = lambda *shape: torch.randn(*shape, device=dev)
    if op == "linear":
        m = nn.Linear(s["N"], s["K"], bias=True).to(dev)
        x = g(s["B"], s["M"], s["N"])
        return lambda: m(x)
    if op == "bmm":
        a, b = g(s["B"], s["M"], s["N"]), g(s["B"], s["N"], s["K"])
        return lambda: torch.bmm(a, b)
    if op == "conv":
        m = nn.Conv2d(s["Input_Channel"], s["Output_Channel"], s["Kernel_Szie"], s["Stride"], s["Padding"],
                      bias=False).to(dev)
        x = g(s["B"], s["Input_Channel"], s["Input_Size"], s["Input_Size"])
        return lambda: m(x)
    a = g(s["B"], s["H"])
    if op in ("add", "mul", "div", "pow"):
        b = g(s["B"], s["H"])
        f = {"add": torch.add, "mul": torch.mul, "div": torch.div, "pow": torch.pow}[op]
        return lambda: f(a, b)
    if op in ("addu", "mulu", "divu", "powu"):
        f = {"addu": torch.add, "mulu": torch.mul, "divu": torch.div, "powu": torch.pow}[op]
        return lambda: f(a, 2.0)
    if op == "relu":
        return lambda: F.relu(a)
    if op == "gelu":
        return lambda: F.gelu(a)
    if op == "tanh":
        return lambda: torch.tanh(a)
    if op == "softmax":
        m = nn.Softmax(dim=-1)
        return lambda: m(a)
    if op == "ln":
        m = nn.LayerNorm(s["H"]).to(dev)
        return lambda: m(a)
    raise ValueError("unknown operator " + op)


class Sink:
    """An append-only CSV that remembers the keys already in it (resume)."""

    def __init__(self, path, head, key_cols):
        self.path, self.head, self.key_cols = path, head, key_cols
        self.done = set()
        if os.path.exists(path) and os.path.getsize(path) > 0:
            with open(path, newline="") as f:
                for r in csv.DictReader(f):
                    self.done.add(tuple(r[c] for c in key_cols))
            self.f = open(path, "a", newline="")
            self.w = csv.writer(self.f)
        else:
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            self.f = open(path, "w", newline="")
            self.w = csv.writer(self.f)
            self.w.writerow(head)
            self.f.flush()

    def key(self, values):
        return tuple(str(values[c]) for c in self.key_cols)

    def write(self, values):
        self.w.writerow([values.get(c, "") for c in self.head])
        self.f.flush()
        self.done.add(self.key(values))


def provenance(dev):
    p = {"Device": torch.cuda.get_device_name(0) if dev == "cuda" else "cpu",
         "Torch Version": "p" + torch.__version__.split("+")[0],
         "CUDNN Version": str(torch.backends.cudnn.version() or ""),
         "CUDA Version": "cu" + (torch.version.cuda or "").replace(".", "")}
    return p


def sweep(name, rows, cols, out_path, args, timer, prov, t_end):
    """Measures a shuffled sample of one file's shapes into out_path (NeuSight's columns)."""
    extra = ["large"] if rows and "large" in rows[0] else []
    head = NEUSIGHT_HEAD + cols + extra + ["Timings"] + (["Stream_Latency"] if args.stream else [])
    profiler_failed = False
    sink = Sink(out_path, head, ["OPName"] + cols)
    shapes, seen = [], set()
    for r in rows:
        k = (r["OPName"],) + tuple(r[c] for c in cols)
        if k in seen:
            continue
        seen.add(k)
        shapes.append(r)
    random.Random(args.seed).shuffle(shapes)
    budget = dict(kv.split("=") for kv in args.budget_s.split(",")) if args.budget_s else {}
    stop = min(t_end, time.time() + float(budget.get(name, 1e9)))
    done = fails = 0
    t0 = time.time()
    for r in shapes:
        if done >= args.sample or time.time() > stop:
            break
        op = r["OPName"]
        s = {c: int(float(r[c])) for c in cols}
        v = {"OPName": op, **{c: r[c] for c in cols}, **prov}
        if extra:
            v["large"] = r["large"]
        if sink.key(v) in sink.done:
            done += 1
            continue
        try:
            fn = make_call(op, s, args.device)
            with torch.no_grad():
                ms, n = timer.latency(fn)
                if args.stream:
                    v["Stream_Latency"] = timer.stream(fn, args.stream_calls)
                if args.kernels and not profiler_failed:
                    try:
                        v["Kernels"], v["Kernel Name"] = kernels_of(fn, args.device)
                    except Exception as e:  # a profiler that cannot run here: the timings still count
                        profiler_failed = True
                        print(f"[{name}] --kernels: the profiler failed ({type(e).__name__}: "
                              f"{str(e).splitlines()[0][:160] if str(e) else ''}); kernel columns left empty",
                              file=sys.stderr)
            v["Latency"], v["Timings"] = ms, n
            sink.write(v)
            done += 1
        except (RuntimeError, ValueError) as e:  # out of memory, unsupported: reported, not written
            fails += 1
            print(f"[{name}] {op} {s}: {type(e).__name__}: {str(e).splitlines()[0][:160]}", file=sys.stderr)
            fn = None
            if args.device == "cuda":
                torch.cuda.empty_cache()
        if done % 200 == 0:
            print(f"[{name}] {done} rows, {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    print(f"[{name}] done: {done} rows ({len(shapes)} shapes in the file), {fails} failed, "
          f"{time.time() - t0:.1f} s", file=sys.stderr, flush=True)


def extra_sweeps(which, args, timer, prov, t_end):
    """Our own sweeps, in the order --extra names them."""
    for part in which:
        {"embedding": embedding_sweep, "broadcast": broadcast_sweep}[part](args, timer, prov, t_end)


def embedding_sweep(args, timer, prov, t_end):
    dev = args.device
    sink = Sink(os.path.join(args.out, "extra_embedding.csv"),
                ["OPName", "Latency", "Device", "Torch Version", "CUDA Version", "V", "D", "B", "S", "Timings"],
                ["V", "D", "B", "S"])
    for V in (2, 512, 1024, 2048, 30522, 50257, 50272):
        for D in (768, 1024, 1280, 2048, 2560):
            for B, S in ((1, 128), (2, 512), (8, 512), (16, 512), (4, 1024), (8, 1024), (2, 2048), (8, 2048)):
                if time.time() > t_end:
                    return
                v = {"OPName": "embedding", "V": V, "D": D, "B": B, "S": S, **prov}
                if sink.key(v) in sink.done:
                    continue
                emb = nn.Embedding(V, D).to(dev)
                idx = torch.randint(0, V, (B, S), device=dev)
                with torch.no_grad():
                    v["Latency"], v["Timings"] = timer.latency(lambda: emb(idx))
                sink.write(v)
    print("[embedding] done", file=sys.stderr, flush=True)


def broadcast_sweep(args, timer, prov, t_end):
    dev = args.device
    sink = Sink(os.path.join(args.out, "extra_broadcast.csv"),
                ["OPName", "Latency", "Device", "Torch Version", "CUDA Version", "B", "Heads", "S", "Timings"],
                ["OPName", "B", "Heads", "S"])
    for B in (1, 2, 4, 8):
        for Hd in (16, 20, 32):
            for S in (128, 512, 1024, 2048):
                if time.time() > t_end:
                    return
                x = torch.randn(B, Hd, S, S, device=dev)
                mask = torch.randn(B, 1, 1, S, device=dev)
                causal = torch.ones(1, 1, S, S, device=dev, dtype=torch.bool).tril()
                neg = torch.tensor(-1e9, device=dev)
                calls = {"add_mask": lambda: x + mask, "div_scalar": lambda: x / 8.0,
                         "where_causal": lambda: torch.where(causal, x, neg)}
                for op, fn in calls.items():
                    v = {"OPName": op, "B": B, "Heads": Hd, "S": S, **prov}
                    if sink.key(v) in sink.done:
                        continue
                    with torch.no_grad():
                        v["Latency"], v["Timings"] = timer.latency(fn)
                    sink.write(v)
                del x, mask, causal
    print("[broadcast] done", file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--shapes", default="", help="OP=FILE,... (OP: linear, bmm, conv, elem, test-linear, ...)")
    ap.add_argument("--budget-s", default="", help="OP=SECONDS,... per file")
    ap.add_argument("--sample", type=int, default=1 << 30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    ap.add_argument("--long-ms", type=float, default=5.0)
    ap.add_argument("--extra", default="")
    ap.add_argument("--deadline-s", type=float, default=1e9)
    ap.add_argument("--stream", action="store_true",
                    help="also time each call back to back, unsynchronised (column Stream_Latency, ms per call)")
    ap.add_argument("--stream-calls", type=int, default=25, help="calls per back-to-back run of --stream")
    ap.add_argument("--kernels", action="store_true",
                    help="profile one call per row: the kernels it ran (columns Kernels, Kernel Name)")
    args = ap.parse_args()
    if args.stream_calls < 1:
        sys.exit("--stream-calls: at least 1")
    t_end = time.time() + args.deadline_s
    if args.device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = True
    timer = Timer(args.device, args.long_ms)
    prov = provenance(args.device)
    print(f"device {prov}", file=sys.stderr, flush=True)
    for item in filter(None, args.shapes.split(",")):
        name, path = item.split("=", 1)
        kind = name.split("-", 1)[-1]
        if kind not in SHAPE_COLS:
            sys.exit(f"--shapes: unknown operator file kind '{name}' (linear, bmm, conv, elem, test-...)")
        rows = read_rows(path)
        if kind == "elem":
            bad = {r["OPName"] for r in rows} - ELEM_OPS
            if bad:
                sys.exit(f"{path}: OPName {sorted(bad)} is not an element-wise operator this sweep runs")
        sub = "test" if name.startswith("test-") else ""
        sweep(name, rows, SHAPE_COLS[kind], os.path.join(args.out, sub, kind + ".csv"), args, timer, prov, t_end)
        if time.time() > t_end:
            print("deadline reached", file=sys.stderr)
            break
    if args.extra:
        parts = args.extra.split(",")
        bad = [p for p in parts if p not in ("embedding", "broadcast")]
        if bad:
            sys.exit(f"--extra: unknown sweep {bad} (embedding, broadcast)")
        extra_sweeps(parts, args, timer, prov, t_end)


if __name__ == "__main__":
    main()
