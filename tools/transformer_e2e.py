#!/usr/bin/env python3
"""The zoo's transformers against NeuSight's measured end-to-end inference latencies.

For every `labels/<GPU>/<model>-inf-<seq>-<batch>.json` (Hugging Face transformers 4.38, FP32, the full
model), runs `perfcast predict <model> --batch B --seq S --device D --format json` and prints the
measured and predicted milliseconds, the signed error per row and the mean |error| per GPU. Standard
library only.

    python3 tools/transformer_e2e.py build/bin/perfcast /work/shared/data/external/neusight/labels
"""
import glob
import json
import os
import re
import statistics
import subprocess
import sys
from collections import defaultdict

DEVICES = {"NVIDIA_A100-PCIE-40GB": "a100_pcie_40gb", "Tesla_P100-PCIE-16GB": "p100_pcie_16gb", "Tesla_P4": "p4",
           "Tesla_T4": "t4", "Tesla_V100-PCIE-32GB": "v100_pcie_32gb"}
MODELS = {"bert_large", "gpt2_large", "gpt3_xl", "gpt3_27", "opt_13"}


def main(exe, labels):
    errors = defaultdict(list)
    for path in sorted(glob.glob(os.path.join(labels, "*", "*-inf-*-*.json"))):
        gpu = os.path.basename(os.path.dirname(path))
        m = re.fullmatch(r"(.+)-inf-(\d+)-(\d+)\.json", os.path.basename(path))
        if not m or m.group(1) not in MODELS or gpu not in DEVICES:
            continue
        model, seq, batch = m.groups()
        with open(path) as f:
            measured = json.load(f)["e2e_latency"]
        out = subprocess.run([exe, "predict", model, "--batch", batch, "--seq", seq, "--device", DEVICES[gpu],
                              "--format", "json"], capture_output=True, text=True, check=True).stdout
        predicted = json.loads(out)["total_us"] / 1e3
        err = predicted / measured - 1
        errors[gpu].append(err)
        print(f"{gpu:24s} {model:11s} S={seq:>4s} B={batch:>2s} measured {measured:8.1f} ms "
              f"predicted {predicted:8.1f} ms {100 * err:+6.1f}%")
    print()
    for gpu, e in errors.items():
        print(f"{gpu:24s} mean |error| {100 * statistics.mean(abs(x) for x in e):5.1f}% over {len(e)}")
    every = [x for e in errors.values() for x in e]
    print(f"{'all':24s} mean |error| {100 * statistics.mean(abs(x) for x in every):5.1f}% over {len(every)}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
