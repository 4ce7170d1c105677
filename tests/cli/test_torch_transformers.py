#!/usr/bin/env python3
"""tools/torch2perfcast.py on transformer graphs: hand-written GPT-2 and BERT blocks, an embedding front
end and a small GPT convert to perfcast's layer kinds (dense with seq, bmm with heads and transpose flags,
softmax and layernorm over a shape, elementwise with scalars, broadcast operands and where, embedding,
copy, dropout, gelu_tanh), with PyTorch's parameter count, element counts that agree with PyTorch's output
shapes, and files the perfcast program reads; what it cannot convert stops it, naming the node.

usage: test_torch_transformers.py PATH/TO/perfcast

Needs PyTorch (Debian 12: apt-get install python3-torch, for /usr/bin/python3). When the running python
has no torch, the script re-runs itself with /usr/bin/python3 if that one has it; otherwise it says it
skipped and exits 0.
"""
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

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
          "apt-get install python3-torch")
    print("0 passed, 0 failed, 1 skipped")
    sys.exit(0)

if len(sys.argv) != 2:
    sys.exit("usage: test_torch_transformers.py PATH/TO/perfcast")
EXE = sys.argv[1]
PY = sys.executable
sys.path.insert(0, os.path.join(ROOT, "tools"))
import torch2perfcast as t2p  # noqa: E402

torch.set_num_threads(2)
failures = passed = 0
TMP = tempfile.mkdtemp(prefix="perfcast-torch-tf-")


def case(fn):
    global failures, passed
    try:
        fn()
        passed += 1
        print(f"ok   {fn.__name__}", flush=True)
    except AssertionError as e:
        failures += 1
        print(f"FAIL {fn.__name__}: {e}", flush=True)
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


BLOCKS = r'''
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

D, H, S, V, FF = 64, 4, 16, 100, 256


class GPT2Block(nn.Module):
    """ln, fused qkv, heads by view/permute, scaled scores, a causal mask, softmax, dropout, @ v, heads
    merged by permute + contiguous, out projection, residual, MLP with gelu tanh."""

    def __init__(self, masked_fill=False):
        super().__init__()
        self.masked_fill = masked_fill
        self.ln_1 = nn.LayerNorm(D)
        self.c_attn = nn.Linear(D, 3 * D)
        self.c_proj = nn.Linear(D, D)
        self.attn_dropout = nn.Dropout(0.1)
        self.resid_dropout = nn.Dropout(0.1)
        self.ln_2 = nn.LayerNorm(D)
        self.c_fc = nn.Linear(D, FF)
        self.mlp_proj = nn.Linear(FF, D)
        causal = torch.tril(torch.ones(S, S, dtype=torch.bool)).view(1, 1, S, S)
        self.register_buffer("bias", causal)
        self.register_buffer("future", ~causal)

    def forward(self, x):
        B, T, C = x.size()
        h = self.ln_1(x)
        q, k, v = self.c_attn(h).split(D, dim=2)
        q = q.view(B, T, H, C // H).permute(0, 2, 1, 3)
        k = k.view(B, T, H, C // H).permute(0, 2, 1, 3)
        v = v.view(B, T, H, C // H).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(D // H)
        if self.masked_fill == "in place":
            att.masked_fill_(self.future[:, :, :T, :T], float("-inf"))
        elif self.masked_fill:
            att = att.masked_fill(self.future[:, :, :T, :T], float("-inf"))
        else:
            att = torch.where(self.bias[:, :, :T, :T], att, torch.tensor(-1e4))
        att = F.softmax(att, dim=-1)
        att = self.attn_dropout(att)
        y = att @ v
        y = y.permute(0, 2, 1, 3).contiguous().view(B, T, C)
        x = x + self.resid_dropout(self.c_proj(y))
        m = F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh")
        x = x + F.dropout(self.mlp_proj(m), p=0.1, training=self.training)
        return x


def gpt2_masked_fill():
    return GPT2Block(masked_fill=True)


def gpt2_masked_fill_in_place():
    return GPT2Block(masked_fill="in place")


class BertLayer(nn.Module):
    """separate q/k/v, an additive (B, 1, 1, S) mask made from a 0/1 input, exact gelu, post-LN."""

    def __init__(self):
        super().__init__()
        self.query = nn.Linear(D, D)
        self.key = nn.Linear(D, D)
        self.value = nn.Linear(D, D)
        self.dropout = nn.Dropout(0.1)
        self.dense = nn.Linear(D, D)
        self.ln = nn.LayerNorm(D, eps=1e-12)
        self.intermediate = nn.Linear(D, FF)
        self.act = nn.GELU()
        self.output = nn.Linear(FF, D)
        self.ln_out = nn.LayerNorm(D, eps=1e-12)

    def heads(self, t):
        return t.view(t.size(0), t.size(1), H, D // H).permute(0, 2, 1, 3)

    def forward(self, x, mask):
        q, k, v = self.heads(self.query(x)), self.heads(self.key(x)), self.heads(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(D // H))
        scores = scores + (1.0 - mask) * -10000.0
        probs = self.dropout(nn.functional.softmax(scores, dim=-1))
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).reshape(x.size(0), x.size(1), D)
        x = self.ln(self.dropout(self.dense(ctx)) + x)
        return self.ln_out(self.dropout(self.output(self.act(self.intermediate(x)))) + x)


class Embeddings(nn.Module):
    """token + position embeddings, the positions a (1, S) buffer sliced to the input's length."""

    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(V, D)
        self.wpe = nn.Embedding(S, D)
        self.ln = nn.LayerNorm(D)
        self.drop = nn.Dropout(0.1)
        self.register_buffer("position_ids", torch.arange(S).unsqueeze(0))

    def forward(self, ids):
        pos = self.position_ids[:, : ids.size(1)]
        return self.drop(self.ln(self.wte(ids) + self.wpe(pos)))


class PositionInput(nn.Module):
    """the (1, S) position ids given as a second input"""

    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(V, D)
        self.wpe = nn.Embedding(S, D)

    def forward(self, ids, pos):
        return self.wte(ids) + self.wpe(pos)


class TinyGPT(nn.Module):
    def __init__(self, layers=2):
        super().__init__()
        self.emb = Embeddings()
        self.h = nn.ModuleList([GPT2Block() for _ in range(layers)])
        self.ln_f = nn.LayerNorm(D)
        self.lm_head = nn.Linear(D, V, bias=False)

    def forward(self, ids):
        x = self.emb(ids)
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))


class Forms(nn.Module):
    """the rest: torch.bmm of batch*heads-merged 3-D tensors, a transposed first operand, pow, rsub,
    tanh, relu, a broadcast (features,) operand, a reshape that is a view, contiguous of a contiguous
    tensor, an explicit gelu module with approximate="tanh", nn.Softmax over the last dim of 3-D."""

    def __init__(self):
        super().__init__()
        self.register_buffer("scale", torch.ones(D))
        self.act = nn.GELU(approximate="tanh")
        self.sm = nn.Softmax(dim=-1)

    def forward(self, x):                                       # (B, S, D)
        B, T, C = x.shape
        a = x.reshape(B * H, T, C // H)                          # a view: (B*H, S, D/H)
        s = torch.bmm(a, a.transpose(1, 2))                      # bmm heads H, transpose_b
        t = torch.matmul(a.transpose(1, 2), a)                   # bmm heads H, transpose_a: (B*H, D/H, D/H)
        y = x * self.scale                                       # elementwise mul, other [D]
        y = torch.tanh(y) ** 2                                   # activation tanh, elementwise pow scalar
        y = 1.0 - torch.relu(y.contiguous())                     # (free), activation relu, elementwise sub scalar
        return self.sm(s), self.act(y), t


class Conv1D(nn.Module):
    """GPT-2's linear as Hugging Face writes it: addmm of the (batch*seq, features) view."""

    def __init__(self, nf, nx):
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(torch.randn(nx, nf) * 0.02)
        self.bias = nn.Parameter(torch.zeros(nf))

    def forward(self, x):
        size_out = x.size()[:-1] + (self.nf,)
        x = torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight)
        return x.view(size_out)


class Linears(nn.Module):
    def __init__(self):
        super().__init__()
        self.c_fc = Conv1D(FF, D)
        self.w = nn.Parameter(torch.randn(D, FF) * 0.02)

    def forward(self, x):
        return F.linear(self.c_fc(x), self.w)


class Rank5(nn.Module):
    def forward(self, x):
        return torch.relu(x.view(x.size(0), 2, 2, 16, 16))


class Unsupported(nn.Module):
    def forward(self, x):
        return torch.cumsum(x, 1)


class SoftmaxDim1(nn.Module):
    def forward(self, x):
        return x.softmax(dim=1)


class Broadcast2D(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.ones(D, D))

    def forward(self, x):
        return x @ self.w
'''


def write_blocks():
    path = os.path.join(TMP, "blocks.py")
    with open(path, "w") as f:
        f.write(BLOCKS)
    return path


def convert(callable_name, *sizes, batch=2):
    """(network dict, info, perfcast's `network show` of it) of blocks.py's callable_name, in process and
    through the file the perfcast program reads."""
    path = write_blocks()
    model = t2p.user_model(f"{path}:{callable_name}")
    specs = [t2p.parse_size(s) for s in sizes]
    net, info = t2p.convert(model, specs, batch=batch, name=callable_name)
    out = os.path.join(TMP, f"{callable_name}.json")
    with open(out, "w") as f:
        json.dump(net, f)
    shown = show(out)
    assert len(shown["layers"]) == len(net["layers"]), (len(shown["layers"]), len(net["layers"]))
    assert info["perfcast_params"] == info["torch_params"], (info["perfcast_params"], info["torch_params"])
    assert shown["totals"]["params"] == info["torch_params"], (shown["totals"]["params"], info["torch_params"])
    if batch == 2:  # the traced batch: each layer's output has PyTorch's element count
        for l, s in zip(shown["layers"], info["out_shapes"]):
            assert math.prod(l["output_shape"]) == math.prod(s), (l["name"], l["output_shape"], s)
    return net, info, shown


def kinds(net):
    return [l["kind"] for l in net["layers"]]


# torch.matmul of permuted heads copies them first (q and k^T, then v): the copies before each bmm
GPT2_KINDS = ["layernorm", "dense", "copy", "copy", "bmm", "elementwise", "elementwise", "softmax", "dropout", "copy",
              "bmm", "copy", "dense", "dropout", "add", "layernorm", "dense", "activation", "dense", "dropout", "add"]


@case
def gpt2_block():
    net, info, shown = convert("GPT2Block", "16,64")
    assert kinds(net) == GPT2_KINDS, kinds(net)
    by = {l["name"]: l for l in net["layers"]}
    assert by["ln_1"]["shape"] == [16, 64] and by["ln_1"].get("affine", True), by["ln_1"]
    assert by["c_attn"]["seq"] == 16 and by["c_attn"]["in_features"] == 64 and by["c_attn"]["out_features"] == 192
    qk, av = by["matmul"], by["matmul_1"]
    # q and k^T are permuted views: reshaped to (batch * heads, m, k) they are copies, which the product reads
    assert (qk["heads"], qk["m"], qk["k"], qk["n"]) == (4, 16, 16, 16) and "transpose_b" not in qk \
        and "transpose_a" not in qk, qk
    assert (av["heads"], av["m"], av["k"], av["n"]) == (4, 16, 16, 16) and "transpose_b" not in av, av
    for copy in ("matmul.a_copy", "matmul.b_copy", "matmul_1.b_copy"):
        assert by[copy] == {"name": copy, "kind": "copy", "shape": [4, 16, 16]}, by[copy]
    assert "matmul_1.a_copy" not in by  # the probabilities are contiguous
    assert by["div"]["op"] == "div" and by["div"]["scalar"] is True and by["div"]["shape"] == [4, 16, 16], by["div"]
    w = by["where"]
    assert w["op"] == "where" and w["scalar"] is False and w["other"] == [1, 1, 16, 16] and w["shape"] == [4, 16, 16], w
    assert by["softmax"]["shape"] == [4, 16, 16], by["softmax"]
    assert by["attn_dropout"]["shape"] == [4, 16, 16] and by["attn_dropout"]["p"] == 0.1
    assert by["contiguous"]["shape"] == [16, 4, 16], by["contiguous"]
    assert by["gelu"]["activation"] == "gelu_tanh" and by["gelu"]["shape"] == [16, 256], by["gelu"]
    assert by["add"]["shape"] == [16, 64] and by["add"]["inputs"] == 2, by["add"]
    assert not any("batch" in l for l in net["layers"]), [l for l in net["layers"] if "batch" in l]
    # perfcast's reading: the bmm is batch*heads products, the softmax batch*heads*seq rows
    sb = {l["name"]: l for l in shown["layers"]}
    assert sb["matmul"]["output_shape"] == [8, 16, 16], sb["matmul"]
    assert shown["totals"]["flops_forward"] > 0


@case
def gpt2_block_with_masked_fill():
    # out of place, ATen clones the scores and fills the clone in place: a copy, then the where
    net, _, _ = convert("gpt2_masked_fill", "16,64")
    names = [l["name"] for l in net["layers"]]
    at = names.index("masked_fill")
    mf, clone = net["layers"][at], net["layers"][at - 1]
    assert mf["kind"] == "elementwise" and mf["op"] == "where" and mf["other"] == [1, 1, 16, 16], mf
    assert clone == {"name": "masked_fill.clone", "kind": "copy", "shape": mf["shape"]}, clone
    assert kinds(net)[:at - 1] + kinds(net)[at:] == GPT2_KINDS, kinds(net)
    # in place: the fill alone
    net, _, _ = convert("gpt2_masked_fill_in_place", "16,64")
    assert kinds(net) == GPT2_KINDS, kinds(net)
    mf = next(l for l in net["layers"] if l["name"] == "masked_fill")
    assert mf["kind"] == "elementwise" and mf["op"] == "where" and mf["other"] == [1, 1, 16, 16], mf


@case
def bert_layer_with_a_broadcast_mask():
    net, info, _ = convert("BertLayer", "16,64", "1,1,16", batch=3)
    assert kinds(net) == ["dense", "dense", "dense", "copy", "copy", "bmm", "elementwise", "elementwise", "elementwise",
                          "elementwise", "softmax", "dropout", "copy", "bmm", "copy", "dense", "dropout", "add",
                          "layernorm", "dense", "activation", "dense", "dropout", "add", "layernorm"], kinds(net)
    assert net["batch"] == 3
    by = {l["name"]: l for l in net["layers"]}
    assert [by[n]["seq"] for n in ("query", "key", "value")] == [16, 16, 16]
    assert "transpose_b" not in by["matmul"] and by["matmul"]["heads"] == 4, by["matmul"]  # k^T copied first
    assert by["matmul.b_copy"]["kind"] == "copy" and by["matmul.b_copy"]["shape"] == [4, 16, 16], by["matmul.b_copy"]
    assert by["mul"] == {"name": "mul", "kind": "elementwise", "op": "mul", "shape": [4, 16, 16], "scalar": True}
    assert by["sub"]["shape"] == [1, 1, 16] and by["sub"]["scalar"] is True, by["sub"]   # 1.0 - mask
    # the additive mask: the other operand's whole shape, its first dim the network's batch
    add = by["add"]
    assert add["kind"] == "elementwise" and add["op"] == "add" and add["other"] == [3, 1, 1, 16] \
        and add["shape"] == [4, 16, 16], add
    assert by["reshape"]["kind"] == "copy" and by["reshape"]["shape"] == [16, 64], by["reshape"]
    assert by["act"]["activation"] == "gelu", by["act"]
    assert by["ln"]["shape"] == [16, 64] and by["add_1"]["kind"] == "add"
    # the file at the traced batch agrees with PyTorch's element counts
    convert("BertLayer", "16,64", "1,1,16", batch=2)


@case
def embedding_front_end():
    net, info, _ = convert("Embeddings", "16:long")
    assert kinds(net) == ["embedding", "embedding", "elementwise", "layernorm", "dropout"], kinds(net)
    by = {l["name"]: l for l in net["layers"]}
    assert by["wte"] == {"name": "wte", "kind": "embedding", "seq": 16, "vocab": 100, "features": 64}, by["wte"]
    assert by["wpe"] == {"name": "wpe", "kind": "embedding", "batch": 1, "seq": 16, "vocab": 16, "features": 64}, \
        by["wpe"]
    assert by["add"]["op"] == "add" and by["add"]["other"] == [1, 16, 64] and by["add"]["shape"] == [16, 64], by["add"]
    assert any("wpe" in n and "batch 1" in n for n in info["notes"]), info["notes"]
    # rescaled, the position embedding keeps its batch of 1
    shown = show(os.path.join(TMP, "Embeddings.json"), batch=8)
    sb = {l["name"]: l for l in shown["layers"]}
    assert sb["wte"]["output_shape"] == [8, 16, 64] and sb["wpe"]["output_shape"] == [1, 16, 64], \
        (sb["wte"]["output_shape"], sb["wpe"]["output_shape"])
    # the position ids as an input of their own, a whole (1, S) shape
    net, _, _ = convert("PositionInput", "16:long", "@1,16:long")
    assert [l.get("batch") for l in net["layers"]] == [None, 1, None], net["layers"]


@case
def tiny_gpt_through_the_command_line():
    path = write_blocks()
    out = os.path.join(TMP, "tinygpt.json")
    p = tool(f"{path}:TinyGPT", "--input-size", "16:long", "--batch", "4", "--out", out, "--verbose")
    assert "(same)" in p.stderr, p.stderr
    assert "skipped (" in p.stderr and "permute (a view: no kernel)" in p.stderr \
        and "split (a view: no kernel)" in p.stderr, p.stderr[-3000:]
    with open(out) as f:
        net = json.load(f)
    assert net["batch"] == 4 and len(net["layers"]) == 5 + 2 * len(GPT2_KINDS) + 2, len(net["layers"])
    assert kinds(net) == ["embedding", "embedding", "elementwise", "layernorm", "dropout"] + GPT2_KINDS * 2 \
        + ["layernorm", "dense"], kinds(net)
    names = [l["name"] for l in net["layers"]]
    assert len(set(names)) == len(names) and "h.1.c_attn" in names and "h.0.matmul_1" in names, names
    shown = show(out)
    assert shown["batch"] == 4 and shown["totals"]["layers"] == len(net["layers"]), shown["totals"]
    model = t2p.user_model(f"{path}:TinyGPT")
    assert shown["totals"]["params"] == sum(p.numel() for p in model.parameters())
    pred = json.loads(perfcast("predict", out, "--device", "h100", "--format", "json").stdout)
    assert pred["total_us"] > 0 and len(pred["layers"]) == len(net["layers"]), pred.get("total_us")


@case
def other_forms():
    net, _, shown = convert("Forms", "16,64")
    assert kinds(net) == ["bmm", "bmm", "elementwise", "activation", "elementwise", "activation", "elementwise",
                          "softmax", "activation"], kinds(net)
    L = net["layers"]
    assert (L[0]["heads"], L[0]["m"], L[0]["k"], L[0]["n"], L[0].get("transpose_b")) == (4, 16, 16, 16, True), L[0]
    assert (L[1]["heads"], L[1]["m"], L[1]["k"], L[1]["n"], L[1].get("transpose_a"), L[1].get("transpose_b")) \
        == (4, 16, 16, 16, True, None), L[1]
    assert L[2]["op"] == "mul" and L[2]["other"] == [64] and L[2]["scalar"] is False, L[2]
    assert L[3]["activation"] == "tanh" and L[4]["op"] == "pow" and L[4]["scalar"] is True, (L[3], L[4])
    assert L[5]["activation"] == "relu" and L[6]["op"] == "sub" and L[6]["scalar"] is True, (L[5], L[6])
    assert L[7]["shape"] == [4, 16, 16] and L[8]["activation"] == "gelu_tanh", (L[7], L[8])


@case
def functional_linears():
    net, _, _ = convert("Linears", "16,64")
    assert net["layers"] == [
        {"name": "c_fc.addmm", "kind": "dense", "in_features": 64, "out_features": 256, "bias": True, "seq": 16},
        {"name": "linear", "kind": "dense", "in_features": 256, "out_features": 64, "bias": False, "seq": 16}], \
        net["layers"]


@case
def refusals_name_the_node_and_op():
    path = write_blocks()
    p = tool(f"{path}:Rank5", "--input-size", "16,64", ok=False)
    assert "node 'relu'" in p.stderr and "rank-5" in p.stderr, p.stderr
    p = tool(f"{path}:Unsupported", "--input-size", "16,64", ok=False)
    assert "node 'cumsum'" in p.stderr and "call_function" in p.stderr and "cumsum" in p.stderr, p.stderr
    p = tool(f"{path}:SoftmaxDim1", "--input-size", "16,64", ok=False)
    assert "node 'softmax'" in p.stderr and "last dimension" in p.stderr, p.stderr
    p = tool(f"{path}:Broadcast2D", "--input-size", "16,64", ok=False)
    assert "node 'matmul'" in p.stderr and "3-D or 4-D" in p.stderr, p.stderr
    p = tool(f"{path}:Unsupported", "--input-size", "16,64", "--skip-unknown", ok=False)  # nothing left
    assert "no layers" in p.stderr, p.stderr
    p = tool(f"{path}:Embeddings", "--input-size", "16:int", ok=False)
    assert ":long" in p.stderr, p.stderr


shutil.rmtree(TMP, ignore_errors=True)
print(f"{passed} passed, {failures} failed")
sys.exit(1 if failures else 0)
