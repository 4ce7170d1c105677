#!/usr/bin/env python3
"""tools/zoo_shapes.py: the zoo's operators in NeuSight's shape formats (bench/harness/torch_ops.py's input),
and the committed bench/harness/zoo_shapes/ current. Its own test: it runs perfcast about 200 times.

usage: test_zoo_shapes.py PATH/TO/perfcast
"""
import csv
import os
import subprocess
import sys
import tempfile

from cases import case, finish

EXE = sys.argv[1]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@case
def zoo_shapes_writes_the_zoos_operators_and_the_committed_files_are_current():
    """tools/zoo_shapes.py: the zoo's layers in NeuSight's shape formats (torch_ops.py's input)."""
    committed = os.path.join(ROOT, "bench", "harness", "zoo_shapes")
    with open(os.path.join(committed, "README.md")) as f:
        command = next(l for l in f if l.startswith("python3 tools/zoo_shapes.py")).split()
    with tempfile.TemporaryDirectory() as d:
        # the committed files, regenerated with the command their README records
        argv = command[1:]
        argv[argv.index("--perfcast") + 1] = EXE
        argv[argv.index("--out") + 1] = os.path.join(d, "all")
        p = subprocess.run([sys.executable, *argv], capture_output=True, text=True, cwd=ROOT)
        assert p.returncode == 0, p.stderr
        for name in ("linear.csv", "bmm.csv", "conv.csv", "elem.csv"):
            with open(os.path.join(d, "all", name)) as f, open(os.path.join(committed, name)) as g:
                assert f.read() == g.read(), f"bench/harness/zoo_shapes/{name} is stale: rerun " + " ".join(command)
        # rows of known layers, one network at two batch sizes
        tool = [sys.executable, os.path.join(ROOT, "tools", "zoo_shapes.py"), "--perfcast", EXE]
        out = os.path.join(d, "small")
        p = subprocess.run(tool + ["--out", out, "--networks", "resnet50,bert_large", "--batches", "1,8",
                                   "--seqs", "512,1024"], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr

        def rows(name):
            with open(os.path.join(out, name + ".csv")) as f:
                return [tuple(r.values()) for r in csv.DictReader(f)]
        conv, linear, bmm, elem = rows("conv"), rows("linear"), rows("bmm"), rows("elem")
        assert ("conv", "8", "3", "64", "7", "224", "2", "3") in conv  # ResNet-50's stem at batch 8
        assert ("linear", "8", "512", "1024", "4096") in linear       # BERT-large's feed-forward, batch 8
        assert ("linear", "1", "1", "2048", "1000") in linear         # ResNet-50's classifier, batch 1
        assert ("bmm", "128", "512", "64", "512") in bmm              # BERT's scores, 8 x 16 heads
        assert ("ln", "4096", "1024") in elem and ("softmax", "65536", "512") in elem
        assert ("relu", "7168", "112") in elem  # ResNet-50's first ReLU at batch 1, (1, 64, 112, 112): B the rows, H the last
        assert len(conv) == len(set(conv)) and len(linear) == len(set(linear))  # each operator once
        with open(os.path.join(out, "README.md")) as f:
            readme = f.read()
        assert "batchnorm2d" in readme and "pool2d" in readme and "bert_large 1024" in readme, readme
        # bad input: an unknown network, a batch that is no number
        for bad, said in ((["--networks", "resnet51"], "resnet51"), (["--batches", "1,x"], "--batches")):
            p = subprocess.run(tool + ["--out", out] + bad, capture_output=True, text=True)
            assert p.returncode != 0 and said in p.stderr, (bad, p.stderr)


finish()
