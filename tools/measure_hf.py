#!/usr/bin/env python3
"""Measures whole Hugging Face language models end to end on a CUDA GPU, as NeuSight's labels were
measured: the models of NeuSight's `model_configs/` (bert_large, gpt2_large, gpt3_xl, gpt3_27, opt_13,
switchxl4) built from their configurations with random weights, FP32 with TF32 off, eager attention.

usage:
    python3 tools/measure_hf.py --configs DIR --out FILE.csv [--runs NAME-PASS-SEQ-BATCH,...]
        [--warmup 2] [--reps 5] [--deadline-s S] [--labels DIR] [--profile DIR]
    python3 tools/measure_hf.py --labels DIR --from-csv FILE.csv     # labels of rows measured before

    --labels DIR also writes each measured row as NeuSight writes a label, DIR/<GPU>/<NAME-PASS-SEQ-BATCH>.json
    (`num_layer`, `e2e_latency`, `fw_latency`, `bwall_latency` in ms; <GPU> is the device's name with '_' for
    ' ', e.g. NVIDIA_H200), so that `perfcast validate neusight-models DIR` compares them to its predictions.

    --profile DIR runs each measured configuration once more under torch.profiler and writes the time of
    every ATen operator by input shapes, DIR/<GPU>/<NAME-PASS-SEQ-BATCH>.ops.csv (columns: op, input_shapes,
    calls, self_device_ms, self_cpu_ms, device_ms, cpu_ms; the most device time first). Self times do not
    count the operators an operator calls, so the self_device_ms column sums to the GPU's busy time: what a
    model's time is made of when there is no per-node trace (NeuSight published none of Switch).

    NAME-PASS-SEQ-BATCH as NeuSight names its label files: gpt2_large-inf-1024-4, bert_large-train-512-8.
    The default list is NeuSight's labelled configurations that fit one GPU's memory.

What is timed, per row (CUDA events around each part, synchronised after each iteration):
    inf    model.eval(), torch.no_grad(): one forward pass on random token ids (B, S), use_cache off
    train  model.train() (dropout on): forward, then backward of the logits' mean; no loss function, no
           optimizer step (NeuSight's `e2e = fw + bwall`); gradients are cleared outside the timing
Columns: model, pass, seq, batch, e2e_ms (median), fw_ms, bw_ms (medians of the parts), min_e2e_ms,
samples, params (the model's parameter count), layers, attn (the attention implementation the model
runs), device_name, torch_version, transformers_version, date, error. A row is appended and flushed as
it finishes; a rerun skips rows already in FILE (resumable). A configuration that fails (out of
memory, a model class this transformers lacks) becomes a row with its error.
"""
import argparse
import csv
import datetime
import json
import os
import statistics
import sys
import time

DEFAULT_RUNS = ("bert_large-inf-512-8,bert_large-inf-512-16,gpt2_large-inf-1024-4,gpt2_large-inf-1024-8,"
                "bert_large-train-512-2,bert_large-train-512-8,gpt2_large-train-1024-1,opt_13-inf-2048-2,"
                "gpt3_xl-inf-2048-2,gpt3_27-inf-2048-2,switchxl4-inf-512-1,switchxl4-inf-512-2,"
                "opt_13-inf-2048-8,gpt3_xl-inf-2048-8,gpt3_27-inf-2048-8,switchxl4-inf-2048-1,switchxl4-inf-2048-2")
HEAD = ["model", "pass", "seq", "batch", "e2e_ms", "fw_ms", "bw_ms", "min_e2e_ms", "samples", "params", "layers",
        "attn", "device_name", "torch_version", "transformers_version", "date", "error"]


def build(configs, name):
    import torch
    import transformers
    with open(os.path.join(configs, name + ".json")) as f:
        cfg = json.load(f)
    arch = cfg["architectures"][0]
    try:
        conf = transformers.AutoConfig.for_model(**cfg)
    except (TypeError, ValueError, KeyError):
        conf = transformers.CONFIG_MAPPING[cfg["model_type"]](**{k: v for k, v in cfg.items() if k != "model_type"})
    cls = getattr(transformers, arch)
    with torch.device("cuda"):
        try:
            model = cls._from_config(conf, attn_implementation="eager")
        except (TypeError, ValueError):
            model = cls(conf)
    model = model.to(dtype=torch.float32)
    layers = cfg.get("n_layer") or cfg.get("num_hidden_layers") or cfg.get("num_layers")
    return model, cfg, layers


def model_inputs(cfg, seq, batch):
    import torch
    vocab = cfg["vocab_size"]
    ids = torch.randint(0, vocab, (batch, seq), device="cuda")
    kwargs = {"input_ids": ids}
    if cfg.get("model_type") == "switch_transformers":
        kwargs["decoder_input_ids"] = torch.randint(0, vocab, (batch, seq), device="cuda")
    else:
        kwargs["use_cache"] = False
    return kwargs


def step_of(model, kwargs, pas):
    """One iteration of a pass as run_one times it: a forward without gradients, or forward and backward."""
    import torch

    def step():
        model.zero_grad(set_to_none=True)
        if pas == "inf":
            with torch.no_grad():
                model(**kwargs)
        else:
            model(**kwargs).logits.mean().backward()
    return step


def _ms(event, *names):
    """The first of the event's time totals that this PyTorch has (us), in ms: newer releases call the
    CUDA times device times."""
    for n in names:
        v = getattr(event, n, None)
        if v is not None:
            return v / 1e3
    return 0.0


PROFILE_HEAD = ["op", "input_shapes", "calls", "self_device_ms", "self_cpu_ms", "device_ms", "cpu_ms"]


def profile_step(step, cuda):
    """Runs step() once under torch.profiler, input shapes recorded: a row per ATen operator and input
    shapes (PROFILE_HEAD), the most self device time first, then the most self CPU time."""
    import torch
    from torch.profiler import ProfilerActivity, profile
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    with profile(activities=activities, record_shapes=True) as prof:
        step()
        if cuda:
            torch.cuda.synchronize()
    rows = []
    for e in prof.key_averages(group_by_input_shape=True):
        # a self time is the total less the children's; the profiler can attribute a child that ran on
        # another thread (autograd's engine) past its parent's end, which leaves the parent a negative self
        # time under a busy CPU: an operator's own time is at least 0
        rows.append({"op": e.key, "input_shapes": json.dumps(e.input_shapes, separators=(",", ":")),
                     "calls": e.count,
                     "self_device_ms": max(0.0, _ms(e, "self_device_time_total", "self_cuda_time_total")),
                     "self_cpu_ms": max(0.0, _ms(e, "self_cpu_time_total")),
                     "device_ms": _ms(e, "device_time_total", "cuda_time_total"),
                     "cpu_ms": _ms(e, "cpu_time_total")})
    rows.sort(key=lambda r: (-r["self_device_ms"], -r["self_cpu_ms"]))
    return rows


def write_profile(path, rows):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=PROFILE_HEAD)
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.6f}" if isinstance(v, float) else v) for k, v in r.items()})


def run_one(model, cfg, pas, seq, batch, warmup, reps, t_end):
    import torch
    kwargs = model_inputs(cfg, seq, batch)
    ev = lambda: torch.cuda.Event(enable_timing=True)
    fw, bw, e2e = [], [], []
    if pas == "inf":
        model.eval()
    else:
        model.train()
    for i in range(warmup + reps):
        if i >= warmup + 1 and time.time() > t_end:
            break
        model.zero_grad(set_to_none=True)
        torch.cuda.synchronize()
        e0, e1, e2 = ev(), ev(), ev()
        e0.record()
        if pas == "inf":
            with torch.no_grad():
                model(**kwargs)
            e1.record()
            e2.record()
        else:
            out = model(**kwargs).logits
            e1.record()
            out.mean().backward()
            e2.record()
            del out
        torch.cuda.synchronize()
        if i >= warmup:
            fw.append(e0.elapsed_time(e1))
            bw.append(e1.elapsed_time(e2))
            e2e.append(e0.elapsed_time(e2))
    return statistics.median(e2e), statistics.median(fw), statistics.median(bw), min(e2e), len(e2e)


def write_label(labels, row):
    """One measured row as NeuSight's label JSON (inference: fw = e2e, bwall = 0)."""
    gpu = row["device_name"].replace(" ", "_")
    os.makedirs(os.path.join(labels, gpu), exist_ok=True)
    name = f"{row['model']}-{row['pass']}-{row['seq']}-{row['batch']}.json"
    e2e, fw, bw = float(row["e2e_ms"]), float(row["fw_ms"]), float(row["bw_ms"])
    if row["pass"] == "inf":
        fw, bw = e2e, 0.0
    with open(os.path.join(labels, gpu, name), "w") as f:
        json.dump({"num_layer": int(row["layers"]), "e2e_latency": e2e, "fw_latency": fw, "bwall_latency": bw}, f,
                  indent=4)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs")
    ap.add_argument("--out")
    ap.add_argument("--labels", help="also write NeuSight-format label JSONs under this folder")
    ap.add_argument("--profile", help="also write each configuration's time per ATen operator under this folder")
    ap.add_argument("--from-csv", help="with --labels: write the labels of this file's rows, measure nothing")
    ap.add_argument("--runs", default=DEFAULT_RUNS)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--deadline-s", type=float, default=1e9)
    args = ap.parse_args()
    if args.from_csv:
        if not args.labels:
            sys.exit("--from-csv needs --labels DIR")
        with open(args.from_csv, newline="") as f:
            rows = [r for r in csv.DictReader(f) if not r["error"]]
        for r in rows:
            write_label(args.labels, r)
        print(f"wrote {len(rows)} labels under {args.labels}", file=sys.stderr)
        return
    if not args.configs or not args.out:
        sys.exit("--configs and --out are required to measure")
    t_end = time.time() + args.deadline_s
    import torch
    import transformers
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    done = set()
    new = not os.path.exists(args.out) or os.path.getsize(args.out) == 0
    if not new:
        with open(args.out, newline="") as f:
            done = {(r["model"], r["pass"], r["seq"], r["batch"]) for r in csv.DictReader(f) if not r["error"]}
    out = open(args.out, "a", newline="")
    w = csv.writer(out)
    if new:
        w.writerow(HEAD)
    built = {}
    for run in args.runs.split(","):
        name, pas, seq, batch = run.rsplit("-", 3)
        if (name, pas, seq, batch) in done:
            continue
        if time.time() > t_end:
            print("deadline reached", file=sys.stderr)
            break
        row = {"model": name, "pass": pas, "seq": seq, "batch": batch, "device_name": torch.cuda.get_device_name(0),
               "torch_version": torch.__version__, "transformers_version": transformers.__version__,
               "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), "error": ""}
        t0 = time.time()
        try:
            if name not in built:
                built.clear()
                torch.cuda.empty_cache()
                built[name] = build(args.configs, name)
            model, cfg, layers = built[name]
            row["params"] = sum(p.numel() for p in model.parameters())
            row["layers"] = layers
            row["attn"] = getattr(model.config, "_attn_implementation", "")
            e2e, fw, bw, mn, n = run_one(model, cfg, pas, int(seq), int(batch), args.warmup, args.reps, t_end)
            row.update(e2e_ms=e2e, fw_ms=fw, bw_ms=bw, min_e2e_ms=mn, samples=n)
        except Exception as e:  # out of memory, a missing class: the row says so
            row["error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"
            built.clear()
            torch.cuda.empty_cache()
        w.writerow([row.get(c, "") for c in HEAD])
        out.flush()
        if args.labels and not row["error"]:
            write_label(args.labels, {k: str(v) for k, v in row.items()})
        if args.profile and not row["error"]:
            path = os.path.join(args.profile, row["device_name"].replace(" ", "_"), run + ".ops.csv")
            try:  # the timing above stands whatever happens here
                model, cfg, _ = built[name]
                write_profile(path, profile_step(step_of(model, model_inputs(cfg, int(seq), int(batch)), pas), True))
            except Exception as e:
                print(f"{run}: no profile: {type(e).__name__}: {e}", file=sys.stderr)
        print(f"{run}: {row.get('e2e_ms', '')} ms {row['error']} ({time.time() - t0:.1f} s)", file=sys.stderr,
              flush=True)


if __name__ == "__main__":
    main()
