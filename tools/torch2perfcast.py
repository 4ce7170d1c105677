#!/usr/bin/env python3
"""Converts a PyTorch model into perfcast's network JSON (schema "perfcast-network", version 1).

The model is traced with torch.fx (symbolic_trace, in eval mode) and its shapes are found with
torch.fx.passes.shape_prop.ShapeProp on a random sample input of batch 2; each traced operation
becomes one perfcast layer (per-sample sizes; the file's "batch" is --batch).

usage:
    /usr/bin/python3 tools/torch2perfcast.py MODEL [--batch N] [--input-size 3,224,224 ...]
                                             [--out FILE.json] [--name NAME] [--skip-unknown] [--verbose]

MODEL is a torchvision classification model name (resnet50, vgg16, alexnet, inception_v3,
googlenet, densenet121, mobilenet_v2, squeezenet1_0, ...; built without weights, nothing is
downloaded) or `module:callable` (also `path/to/file.py:callable`) naming a function or class
that returns a torch.nn.Module when called with no arguments (or an nn.Module instance).
The default input size is 3,299,299 for inception_v3 and 3,224,224 otherwise. A summary
(layers per kind, the parameter count by perfcast's rules beside PyTorch's) goes to stderr;
--verbose lists every operation skipped as free (views, shape queries) there too.

--input-size gives one input per use, in the order of forward's arguments: per-sample sizes
(the batch is put in front), `:long` for token ids (random in [0, the smallest nn.Embedding's
vocabulary)), and a leading `@` for a whole shape without the batch put in front
(`--input-size 128:long --input-size @1,128:long`: ids and (1, 128) position ids).

Needs PyTorch (Debian 12: `apt-get install python3-torch python3-torchvision`, for
/usr/bin/python3) 1.13 or 2.x, and torchvision for model names.

What becomes what:
    nn.Conv2d                                   conv2d (padding="same"/"valid" become numbers)
    nn.Linear, F.linear                         dense (rank > 2 inputs: seq = product of middle dims)
    torch.addmm(bias, x.view(-1, F), W)         dense (Conv1D's form: the (batch*seq, F) rows give seq)
    nn.BatchNorm2d                              batchnorm2d
    nn.ReLU/ReLU6/Tanh/Sigmoid/GELU/SiLU/Hardswish, F.relu, torch.relu, torch.tanh, x.relu_(), ...   activation
        (GELU / F.gelu with approximate="tanh": gelu_tanh)
    nn.MaxPool2d/AvgPool2d, F.max_pool2d/avg_pool2d                                      pool2d
    nn.AdaptiveAvgPool2d/AdaptiveMaxPool2d, F.adaptive_avg_pool2d/adaptive_max_pool2d    pool2d
        (global when the output is 1x1, else kernel = stride = input/output when it divides)
    x.mean([2, 3]) (spatial mean)               pool2d (global avg), plus a flatten unless keepdim
    a + b, torch.add, a += b (two tensors of one shape)   add
    + - * / ** (operator, torch.*, x.mul(...), in place) with a Python number or a one-element tensor
        elementwise (scalar); with a tensor of the other's shape: elementwise (add: the add kind);
        with a tensor that broadcasts: elementwise with `other` (its whole shape)
    torch.where(mask, x, fill), x.masked_fill_(mask, fill)  elementwise where (a broadcast mask: `other`)
    x.masked_fill(mask, fill), torch.masked_fill  copy (ATen clones x), then elementwise where on the clone
    torch.matmul, torch.bmm, a @ b (3-D and 4-D)     bmm (heads: the dims between the batch and m x k;
        transpose_a/transpose_b: an operand that is a transposed view); a 4-D operand whose reshape to
        (batch * heads, m, k) is no view (permuted heads) is a copy first, as torch.matmul makes one
    torch.cat(..., dim=1)                       concat (a cat of a single tensor is a copy: skipped)
    torch.flatten(x, 1), nn.Flatten, x.view(x.size(0), -1), reshape to [N, -1]   flatten
    nn.Softmax, F.softmax, x.softmax over the last dim   softmax (2-D: features; else shape)
    nn.LayerNorm, F.layer_norm over the last dim  layernorm (shape, affine)
    nn.Embedding, F.embedding                  embedding (seq, vocab, features; a batch-1 input: "batch": 1)
    nn.Dropout, F.dropout                       dropout (p)
    torchvision.ops.stochastic_depth            dropout (p): the identity at inference, a mask in training
    x.contiguous() and reshape of a permuted / transposed tensor   copy (shape)
    x.size(), x.shape, getitem on shapes and tuples, slicing, shape arithmetic, view, reshape, permute,
    transpose, split, chunk, unsqueeze, squeeze, expand, x.contiguous() of a contiguous tensor,
    nn.Identity                                 skipped (no kernel; --verbose lists them)
A tensor whose first dimension is not the batch (a (1, S) position input, an operand shared by the batch)
gives its layer a "batch" of its own; a first dimension that is a multiple of the batch (batch*heads) is
folded into the per-sample dims. Shapes have rank <= 4 (the batch and up to 3 per-sample dims).
Anything else stops the conversion with an error naming the node, its op and its target
(--skip-unknown lists them on stderr and leaves them out instead).

Layer names: a module's path as PyTorch names it ("layer1.0.conv1"); a module called more
than once gets "_1", "_2", ... on its later calls ("layer1.0.relu_1"); a functional call
gets the path of the module whose forward made it and the operation's name
("layer1.0.add", "Mixed_5b.cat", "flatten" at the top level), with "_1", ... when repeated.
"""
import argparse
import contextlib
import dis
import importlib
import importlib.util
import inspect
import io
import json
import math
import operator
import os
import sys


def _die(msg, code=2):
    print(f"torch2perfcast: error: {msg}", file=sys.stderr)
    sys.exit(code)


try:
    import torch
    import torch.fx
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.fx.passes.shape_prop import ShapeProp
except ImportError as e:  # pragma: no cover - depends on the machine
    if __name__ == "__main__":
        _die(f"PyTorch is not installed for {sys.executable} ({e}); on Debian 12: "
             "apt-get install python3-torch python3-torchvision, then run with /usr/bin/python3")
    raise


class ConversionError(Exception):
    """A model (or one of its operations) that perfcast's schema cannot describe."""


# --------------------------------------------------------------------------------------------
# Operation tables

_ACT_MODULES = [  # exact types: ReLU6 derives from Hardtanh, which is not an activation here
    (nn.ReLU, "relu"), (nn.ReLU6, "relu6"), (nn.Tanh, "tanh"), (nn.Sigmoid, "sigmoid"),
    (nn.GELU, "gelu"), (nn.SiLU, "silu"), (nn.Hardswish, "hardswish"),
]
_ACT_NAMES = {  # function / method name -> activation
    "relu": "relu", "relu_": "relu", "relu6": "relu6", "tanh": "tanh", "tanh_": "tanh",
    "sigmoid": "sigmoid", "sigmoid_": "sigmoid", "gelu": "gelu", "silu": "silu",
    "hardswish": "hardswish", "hardswish_": "hardswish",
}
_FUNC_NAMES = sorted(set(_ACT_NAMES) | {
    "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d", "add", "cat", "concat",
    "flatten", "reshape", "softmax", "dropout", "mean", "contiguous",
    # transformers: products, normalisation, look-ups, element-wise arithmetic, views
    "matmul", "bmm", "layer_norm", "embedding", "sub", "mul", "div", "true_divide", "pow", "rsub", "where",
    "masked_fill", "transpose", "permute", "split", "chunk", "unsqueeze", "squeeze", "t", "unbind",
    "linear", "addmm",
})
_ELEMENTWISE = {"add": "add", "sub": "sub", "mul": "mul", "div": "div", "true_divide": "div", "pow": "pow",
                "rsub": "sub"}


def _function_table():
    """Maps function objects (torch.*, F.*, torch._C._nn.*, operator.*) to a canonical name."""
    table = {}
    namespaces = [torch, F, getattr(torch._C, "_nn", None), getattr(torch, "_C", None)]
    for name in _FUNC_NAMES:
        for ns in namespaces:
            obj = getattr(ns, name, None) if ns is not None else None
            if obj is not None and callable(obj):
                try:
                    table.setdefault(obj, "cat" if name == "concat" else name)
                except TypeError:  # unhashable
                    pass
    for op, name in [(operator.add, "add"), (operator.iadd, "add"), (operator.getitem, "getitem"),
                     (getattr, "getattr"), (operator.sub, "sub"), (operator.isub, "sub"), (operator.mul, "mul"),
                     (operator.imul, "mul"), (operator.truediv, "div"), (operator.itruediv, "div"),
                     (operator.pow, "pow"), (operator.matmul, "matmul")]:
        table[op] = name
    try:  # torchvision wraps it for fx, so it stays a call even where it is the identity (eval)
        from torchvision.ops import stochastic_depth
        table[stochastic_depth] = "stochastic_depth"
    except Exception:
        pass
    return table


_FUNCS = _function_table()

# Tensor methods that are free (views, no-ops, shape queries) in perfcast's model.
_FREE_METHODS = {"size", "dim", "detach", "numel"}
# Views: no kernel, not layers (listed with --verbose). reshape, flatten and view are handled apart
# (a flatten to [batch, features] is a layer; a reshape of a permuted tensor copies).
_VIEWS = {"transpose", "permute", "split", "chunk", "unsqueeze", "squeeze", "t", "unbind", "expand",
          "expand_as", "view_as", "narrow", "select"}
# Methods named as in the function table (x.matmul(y) is torch.matmul(x, y)); in-place forms too.
_METHOD_ALIASES = {"add_": "add", "sub_": "sub", "mul_": "mul", "div_": "div", "pow_": "pow",
                   "masked_fill_": "masked_fill", "true_divide": "div", "__matmul__": "matmul",
                   "dropout_": "dropout"}
_FREE_MODULES = (nn.Identity,)

# Positional parameter names (after the input) of the functional forms, with defaults.
_SIGS = {
    "max_pool2d": (["kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"],
                   {"stride": None, "padding": 0, "dilation": 1, "ceil_mode": False, "return_indices": False}),
    "avg_pool2d": (["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"],
                   {"stride": None, "padding": 0, "ceil_mode": False, "count_include_pad": True,
                    "divisor_override": None}),
    "adaptive_avg_pool2d": (["output_size"], {}),
    "adaptive_max_pool2d": (["output_size", "return_indices"], {"return_indices": False}),
    "dropout": (["p", "training", "inplace"], {"p": 0.5, "training": True, "inplace": False}),
    "softmax": (["dim", "_stacklevel", "dtype"], {"dim": None, "_stacklevel": 3, "dtype": None}),
    "flatten": (["start_dim", "end_dim"], {"start_dim": 0, "end_dim": -1}),
    "cat": (["dim"], {"dim": 0}),
    "mean": (["dim", "keepdim", "dtype"], {"dim": None, "keepdim": False, "dtype": None}),
    "add": (["other", "alpha"], {"alpha": 1}),
    "stochastic_depth": (["p", "mode", "training"], {"training": True}),
    "layer_norm": (["normalized_shape", "weight", "bias", "eps"], {"weight": None, "bias": None, "eps": 1e-5}),
    "embedding": (["weight", "padding_idx", "max_norm"], {"padding_idx": None, "max_norm": None}),
    "gelu": (["approximate"], {"approximate": "none"}),
    "where": (["x", "y"], {}),
    "linear": (["weight", "bias"], {"bias": None}),
    "addmm": (["mat1", "mat2", "beta", "alpha"], {"beta": 1, "alpha": 1}),
    "masked_fill": (["mask", "value"], {}),
}


def _bind(fname, node, method=False):
    """The call's arguments by name: {"input": ..., "kernel_size": ...} (defaults filled in)."""
    names, defaults = _SIGS.get(fname, ([], {}))
    args = list(node.args)
    kwargs = dict(node.kwargs)
    if not args:  # everything by keyword: torch.cat(tensors=..., dim=1)
        for k in ("input", "tensors", "self"):
            if k in kwargs:
                args = [kwargs.pop(k)]
                break
        else:
            raise ConversionError(f"node {node.name!r}: {fname} without an input")
    out = {"input": args[0]}
    for i, a in enumerate(args[1:]):
        if i >= len(names):
            break
        out[names[i]] = a
    for k, v in kwargs.items():
        out[k] = v
    for k, v in defaults.items():
        out.setdefault(k, v)
    return out


def _pair(v, what):
    if isinstance(v, int):
        return (v, v)
    if isinstance(v, (tuple, list)) and len(v) == 2 and all(isinstance(x, int) for x in v):
        return (int(v[0]), int(v[1]))
    if isinstance(v, (tuple, list)) and len(v) == 1 and isinstance(v[0], int):
        return (int(v[0]), int(v[0]))
    raise ConversionError(f"{what}: expected an integer or a pair of integers, got {v!r}")


def _hw(p):
    return p[0] if p[0] == p[1] else [p[0], p[1]]


# --------------------------------------------------------------------------------------------
# Tracing with module scopes (the same on PyTorch 1.13 and 2.x: no nn_module_stack needed)

class _Proxy(torch.fx.Proxy):
    """A Proxy whose iteration goes straight to the tracer (_ScopedTracer.iter finds the unpacking)."""

    def __iter__(self):
        return self.tracer.iter(self)


class _ScopedTracer(torch.fx.Tracer):
    """symbolic_trace's tracer that records, on each node, the module whose forward made it."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self._scopes = []
        # buffers (a causal mask, position ids) become get_attr nodes, so slicing them by traced sizes works
        self.proxy_buffer_attributes = True

    def call_module(self, m, forward, args, kwargs):
        try:
            path = self.path_of_module(m)
        except Exception:
            path = self._scopes[-1] if self._scopes else ""
        self._scopes.append(path)
        try:
            return super().call_module(m, forward, args, kwargs)
        finally:
            self._scopes.pop()

    def create_node(self, *a, **kw):
        node = super().create_node(*a, **kw)
        node.meta["perfcast_scope"] = self._scopes[-1] if self._scopes else ""
        return node

    def proxy(self, node):
        return _Proxy(node, self)

    def iter(self, obj):
        """`q, k, v = x.split(d, dim=2)`: a tuple unpacked into names becomes getitems. (torch.fx finds
        the UNPACK_SEQUENCE by an instruction index that Python 3.11's inline caches shift, and then
        refuses to iterate; this looks the instruction up by its offset.)"""
        frame = inspect.currentframe()
        caller = frame.f_back.f_back if frame is not None and frame.f_back is not None else None
        if caller is not None:
            for ins in dis.get_instructions(caller.f_code):
                if ins.offset == caller.f_lasti:
                    if ins.opname == "UNPACK_SEQUENCE":
                        return (obj[i] for i in range(ins.argval))
                    break
        return super().iter(obj)


def _model_frame(exc):
    """ " at FILE:LINE: CODE" for the innermost frame of the model's own code in exc's traceback."""
    import traceback
    torch_dir = os.path.dirname(os.path.abspath(torch.__file__))
    where = ""
    for f in traceback.extract_tb(exc.__traceback__):
        if not os.path.abspath(f.filename).startswith(torch_dir + os.sep) and os.path.abspath(f.filename) != __file__:
            where = f" at {f.filename}:{f.lineno}: {(f.line or '').strip()}"
    return where


def trace(model, *samples):
    """(GraphModule, graph) of `model` with every node's tensor_meta filled in for `samples` (its inputs)."""
    tracer = _ScopedTracer()
    try:
        graph = tracer.trace(model)
    except Exception as e:
        raise ConversionError(f"torch.fx could not trace {type(model).__name__}{_model_frame(e)}: "
                              f"{type(e).__name__}: {e}") from e
    gm = torch.fx.GraphModule(tracer.root, graph)
    try:
        # ShapeProp prints the failing node's traceback itself; the error below names the cause
        with torch.no_grad(), contextlib.redirect_stderr(io.StringIO()):
            ShapeProp(gm).propagate(*samples)
    except Exception as e:
        cause = e.__cause__ or e.__context__
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        why = f"{type(cause).__name__}: {str(cause).strip().splitlines()[0]}" if cause is not None else ""
        hint = ("; token ids need an input given as SIZES:long" if "indices" in f"{e} {cause}" and "Long" in
                f"{e} {cause}" else "")
        raise ConversionError(f"shape propagation failed: {type(e).__name__}: {first}"
                              + (f" ({why})" if why else "") + hint) from e
    return gm, graph


# --------------------------------------------------------------------------------------------
# Conversion

def _meta(x):
    """The TensorMetadata of a node argument, or None for constants and non-tensors."""
    if isinstance(x, torch.fx.Node):
        m = x.meta.get("tensor_meta")
        if m is not None and hasattr(m, "shape"):
            return m
    return None


def _shape(x):
    m = _meta(x)
    return tuple(int(d) for d in m.shape) if m is not None else None


def _per_sample(shape):
    """Per-sample dims (1 to 3 of them, as the schema wants): a rank above 4 is refused."""
    if len(shape) > 4:
        raise ConversionError(f"a rank-{len(shape)} tensor {list(shape)}: perfcast's shapes have rank <= 4 "
                              "(the batch and up to 3 per-sample dimensions)")
    return list(shape[1:]) or [1]


def _strided(x):
    """An empty tensor (on the meta device: nothing allocated) with the shape and strides of node x."""
    m = _meta(x)
    if m is None or getattr(m, "stride", None) is None:
        return None
    return torch.empty_strided(tuple(m.shape), tuple(m.stride), dtype=m.dtype, device="meta")


def _is_contiguous(x):
    t = _strided(x)
    return True if t is None else t.is_contiguous()


def _view_possible(x, shape):
    """Whether reshaping node x's tensor to `shape` is a view (else reshape copies)."""
    t = _strided(x)
    if t is None:
        return True
    try:
        t.view(tuple(shape))
        return True
    except RuntimeError:
        return False


def _transposed(x):
    """Whether node x's tensor is a transposed view in its last two dims (a BLAS transpose flag)."""
    m = _meta(x)
    if m is None or getattr(m, "stride", None) is None or len(m.shape) < 2:
        return False
    rows, cols = int(m.shape[-2]), int(m.shape[-1])
    return rows > 1 and cols > 1 and m.stride[-2] == 1 and m.stride[-1] != 1


def _is_scalar(x):
    """A Python number, or a tensor of one element (it broadcasts as a scalar does)."""
    if isinstance(x, (int, float, bool)):
        return True
    m = _meta(x)
    return m is not None and math.prod(int(d) for d in m.shape) == 1


def _target_str(node):
    t = node.target
    if isinstance(t, str):
        return t
    mod = getattr(t, "__module__", None) or ""
    name = getattr(t, "__qualname__", None) or getattr(t, "__name__", None) or repr(t)
    return f"{mod}.{name}" if mod else name


def _basic_index(idx):
    """Whether a getitem index is basic (ints, slices, None, ...): a view, no kernel."""
    items = idx if isinstance(idx, tuple) else (idx,)
    for i in items:
        if isinstance(i, torch.fx.Node) and _meta(i) is not None:
            return False  # indexing with a tensor gathers (a kernel)
        if isinstance(i, (list, torch.Tensor)):
            return False
    return True


class Converter:
    def __init__(self, gm, graph, batch, trace_batch=2):
        self.gm = gm
        self.graph = graph
        self.batch = batch
        self.trace_batch = trace_batch  # the batch of the sample the shapes were propagated with
        self.layers = []         # the schema's layer objects
        self.out_shapes = []     # PyTorch's full output shape of each layer (the traced batch)
        self.skipped = []        # (node name, why) of free operations
        self.unknown = []        # (node name, op, target, why) of refused operations
        self.notes = []
        self._names = {}

    # -- naming
    def _unique(self, base):
        n = self._names.get(base, 0)
        self._names[base] = n + 1
        name = base if n == 0 else f"{base}_{n}"
        while n and name in self._names:  # a user name that already ends in _k
            n += 1
            name = f"{base}_{n}"
        self._names.setdefault(name, 1)
        return name

    def _name(self, node, op_name=None):
        if node.op == "call_module":
            return self._unique(str(node.target))
        base = op_name or (node.target if isinstance(node.target, str) else _FUNCS.get(node.target, node.name))
        base = str(base).rstrip("_") or node.name
        scope = node.meta.get("perfcast_scope", "")
        return self._unique(f"{scope}.{base}" if scope else base)

    def _emit(self, node, layer, out_shape, op_name=None, name=None):
        layer = {"name": name or self._name(node, op_name), **layer}
        self.layers.append(layer)
        self.out_shapes.append(list(out_shape) if out_shape is not None else None)
        return layer["name"]

    def _refuse(self, node, why):
        raise ConversionError(
            f"node {node.name!r} (op {node.op}, target {_target_str(node)}"
            + (f", inside {node.meta.get('perfcast_scope')!r}"
               if node.op != "call_module" and node.meta.get("perfcast_scope") else "")
            + f"): {why}")

    # -- the walk
    def run(self, skip_unknown=False):
        for node in self.graph.nodes:
            if node.op in ("placeholder", "output", "get_attr"):
                continue
            try:
                try:
                    self._convert(node)
                except ConversionError as e:
                    if str(e).startswith("node "):
                        raise
                    self._refuse(node, str(e))
            except ConversionError as e:
                if not skip_unknown:
                    raise
                self.unknown.append((node.name, node.op, _target_str(node), str(e)))
        return self.layers

    def _convert(self, node):
        out = _meta(node)
        out_shape = _shape(node)
        if node.op == "call_module":
            return self._module(node, self.gm.get_submodule(node.target), out_shape)
        if node.op == "call_function":
            fname = _FUNCS.get(node.target)
        else:  # call_method
            fname = _METHOD_ALIASES.get(node.target, node.target)
        # operations that make no tensor (shape queries and arithmetic on sizes) are free
        if out is None and "tensor_meta" not in node.meta:
            if fname in ("getattr", "getitem", "size", "dim", "numel") or not any(
                    _meta(a) is not None for a in node.all_input_nodes):
                self.skipped.append((node.name, "no tensor result (shape query or arithmetic)"))
                return
        if fname is None:
            self._refuse(node, "perfcast has no layer kind for this operation")
        if fname in _FREE_METHODS:
            self.skipped.append((node.name, f"{fname} (free)"))
            return
        if fname in _VIEWS:
            self.skipped.append((node.name, f"{fname} (a view: no kernel)"))
            return
        if fname in ("to", "type", "type_as", "float"):
            src = node.args[0] if node.args else None
            if _meta(src) is not None and out is not None and _meta(src).dtype == out.dtype:
                self.skipped.append((node.name, f"{fname} to the tensor's own dtype (returns it: no kernel)"))
                return
            self._refuse(node, "a dtype conversion has no perfcast layer kind")
        if fname in _ACT_NAMES:
            x = _shape(node.args[0]) if node.args else None
            if x is None:
                self._refuse(node, "activation of a non-tensor")
            act = _ACT_NAMES[fname]
            if fname == "gelu":
                approx = _bind("gelu", node).get("approximate", "none")
                if approx not in ("none", "tanh"):
                    self._refuse(node, f"gelu approximate={approx!r}")
                act = "gelu_tanh" if approx == "tanh" else "gelu"
            return self._emit(node, {"kind": "activation", "activation": act, **self._shaped(node, x)},
                              out_shape, op_name=fname)
        if fname == "getitem":
            src = node.args[0]
            if _meta(src) is not None:
                if not _basic_index(node.args[1]):
                    self._refuse(node, "indexing a tensor with a tensor (a gather) has no perfcast layer kind")
                self.skipped.append((node.name, "getitem of a tensor (a slice: a view, no kernel)"))
                return
            self.skipped.append((node.name, "getitem of a tuple (selection)"))
            return
        if fname == "getattr":
            self.skipped.append((node.name, "getattr"))
            return
        if fname in _ELEMENTWISE:
            return self._binary(node, fname, out_shape)
        if fname in ("where", "masked_fill"):
            if fname == "where":
                if len(node.args) + len(node.kwargs) != 3:
                    self._refuse(node, "torch.where(condition) (the indices of nonzero elements) has no perfcast "
                                       "layer kind")
                a = _bind("where", node)
                return self._where(node, a.get("input", a.get("condition")), a["x"], a["y"], out_shape)
            a = _bind("masked_fill", node)
            return self._where(node, a["mask"], a["input"], a["value"], out_shape)
        if fname in ("matmul", "bmm"):
            return self._bmm(node, fname, out_shape)
        if fname in ("linear", "addmm"):
            a = _bind(fname, node)
            if fname == "linear":  # F.linear(x, weight (out, in), bias)
                x, w, bias = _shape(a["input"]), _shape(a["weight"]), a["bias"] is not None
                out_f = w[0] if w is not None and len(w) == 2 else None
            else:  # torch.addmm(bias, x (rows, in), weight (in, out)): a linear of rows, as Conv1D writes it
                x, w, bias = _shape(a["mat1"]), _shape(a["mat2"]), True
                out_f = w[1] if w is not None and len(w) == 2 else None
                if _shape(a["input"]) is None or len(_shape(a["input"])) != 1 or a["beta"] != 1 or a["alpha"] != 1:
                    self._refuse(node, "addmm other than a linear layer's (a 1-D bias, beta = alpha = 1)")
            if x is None or out_f is None or len(x) < 2:
                self._refuse(node, f"{fname} of {x} by a weight of shape {w}: expected a 2-D weight and an input "
                                   "with a batch and features")
            return self._dense(node, x, x[-1], out_f, bias, out_shape, op_name=fname)
        if fname == "layer_norm":
            a = _bind("layer_norm", node)
            x = _shape(a["input"])
            if a["weight"] is not None and a["bias"] is None:
                self.notes.append(f"{node.name}: layer_norm with a weight and no bias; perfcast's affine has both")
            return self._layernorm(node, x, a["normalized_shape"], a["weight"] is not None, out_shape)
        if fname == "embedding":
            a = _bind("embedding", node)
            w = _shape(a["weight"])
            if w is None or len(w) != 2:
                self._refuse(node, f"embedding with a weight of shape {w}: expected (vocab, features)")
            if a["max_norm"] is not None:
                self._refuse(node, "embedding with max_norm (it renormalises the table's rows)")
            return self._embedding(node, _shape(a["input"]), w[0], w[1], out_shape)
        if fname == "cat":
            a = _bind("cat", node)
            return self._cat(node, a["input"], a["dim"], out_shape)
        if fname in ("flatten", "view", "reshape"):
            return self._flatten(node, fname, out_shape)
        if fname in ("max_pool2d", "avg_pool2d"):
            a = _bind(fname, node)
            return self._pool(node, _shape(a["input"]), fname[:3], a["kernel_size"], a["stride"], a["padding"],
                              a.get("dilation", 1), a["ceil_mode"], a.get("count_include_pad", True),
                              a.get("divisor_override"), out_shape, fname)
        if fname in ("adaptive_avg_pool2d", "adaptive_max_pool2d"):
            a = _bind(fname, node)
            return self._adaptive(node, _shape(a["input"]), fname[9:12], a["output_size"], out_shape, fname)
        if fname == "softmax":
            a = _bind("softmax", node)
            return self._softmax(node, _shape(a["input"]), a["dim"], out_shape)
        if fname == "dropout":
            a = _bind("dropout", node)
            return self._dropout(node, _shape(a["input"]), a["p"], out_shape)
        if fname == "stochastic_depth":  # identity at inference, a per-sample mask in training: a dropout
            a = _bind("stochastic_depth", node)
            return self._dropout(node, _shape(a["input"]), a["p"], out_shape, op_name="stochastic_depth")
        if fname == "mean":
            a = _bind("mean", node)
            return self._mean(node, _shape(a["input"]), a["dim"], a["keepdim"], out_shape)
        if fname == "contiguous":
            if _is_contiguous(node.args[0]):
                self.skipped.append((node.name, "contiguous of a contiguous tensor (free)"))
                return
            return self._emit(node, {"kind": "copy", **self._shaped(node, out_shape)}, out_shape,
                              op_name="contiguous")
        self._refuse(node, "perfcast has no layer kind for this operation")

    # -- modules
    def _module(self, node, m, out_shape):
        x = _shape(node.args[0]) if node.args else None
        t = type(m)
        if isinstance(m, _FREE_MODULES):
            self.skipped.append((node.name, f"{t.__name__} (free)"))
            return
        if t is nn.Conv2d or (isinstance(m, nn.Conv2d) and type(m).forward is nn.Conv2d.forward):
            return self._conv(node, m, x, out_shape)
        if t is nn.Linear or (isinstance(m, nn.Linear) and type(m).forward is nn.Linear.forward):
            if x is None or len(x) < 2:
                self._refuse(node, "dense input must have a batch and a feature dimension")
            return self._dense(node, x, m.in_features, m.out_features, m.bias is not None, out_shape)
        if t is nn.BatchNorm2d or (isinstance(m, nn.BatchNorm2d) and
                                   type(m).forward is nn.BatchNorm2d.forward):
            if x is None or len(x) != 4:
                self._refuse(node, f"batchnorm2d needs an NCHW input, got {x}")
            return self._emit(node, {"kind": "batchnorm2d", "channels": x[1], "height": x[2], "width": x[3],
                                     **({} if m.affine else {"affine": False})}, out_shape)
        for cls, act in _ACT_MODULES:
            if t is cls:
                if t is nn.GELU:
                    approx = getattr(m, "approximate", "none")
                    if approx not in ("none", "tanh"):
                        self._refuse(node, f"GELU approximate={approx!r}")
                    act = "gelu_tanh" if approx == "tanh" else "gelu"
                if x is None:
                    self._refuse(node, "activation of a non-tensor")
                return self._emit(node, {"kind": "activation", "activation": act, **self._shaped(node, x)},
                                  out_shape)
        if t in (nn.MaxPool2d, nn.AvgPool2d):
            mode = "max" if t is nn.MaxPool2d else "avg"
            return self._pool(node, x, mode, m.kernel_size, m.stride, m.padding,
                              getattr(m, "dilation", 1), m.ceil_mode, getattr(m, "count_include_pad", True),
                              getattr(m, "divisor_override", None), out_shape)
        if t in (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d):
            if getattr(m, "return_indices", False):
                self._refuse(node, "adaptive max pooling with return_indices")
            return self._adaptive(node, x, "avg" if t is nn.AdaptiveAvgPool2d else "max", m.output_size,
                                  out_shape)
        if t is nn.Flatten:
            return self._flatten_dims(node, x, m.start_dim, m.end_dim, out_shape)
        if t is nn.Softmax:
            return self._softmax(node, x, m.dim, out_shape)
        if t is nn.Dropout:
            return self._dropout(node, x, m.p, out_shape)
        if t is nn.LayerNorm:
            return self._layernorm(node, x, m.normalized_shape, m.elementwise_affine, out_shape)
        if t is nn.Embedding:
            if m.max_norm is not None:
                self._refuse(node, "embedding with max_norm (it renormalises the table's rows)")
            return self._embedding(node, x, m.num_embeddings, m.embedding_dim, out_shape)
        self._refuse(node, f"perfcast has no layer kind for module type {t.__module__}.{t.__name__}")

    def _conv(self, node, m, x, out_shape):
        if x is None or len(x) != 4:
            self._refuse(node, f"conv2d needs an NCHW input, got {x}")
        if m.padding_mode != "zeros":
            self._refuse(node, f"conv2d padding_mode={m.padding_mode!r}: perfcast models zero padding only")
        k, s, d = _pair(m.kernel_size, node.name), _pair(m.stride, node.name), _pair(m.dilation, node.name)
        if isinstance(m.padding, str):
            if m.padding == "valid":
                p = (0, 0)
            elif m.padding == "same":
                total = [d[i] * (k[i] - 1) for i in range(2)]
                if any(t % 2 for t in total):
                    self._refuse(node, "conv2d padding='same' with an even (dilated) kernel pads one side more "
                                       "than the other; perfcast's padding is symmetric")
                p = (total[0] // 2, total[1] // 2)
            else:
                self._refuse(node, f"conv2d padding={m.padding!r}")
        else:
            p = _pair(m.padding, node.name)
        if getattr(m, "output_padding", (0, 0)) not in ((0, 0), 0) or getattr(m, "transposed", False):
            self._refuse(node, "transposed convolution has no perfcast layer kind")
        return self._emit(node, {
            "kind": "conv2d", "in_channels": x[1], "height": x[2], "width": x[3], "out_channels": m.out_channels,
            "kernel": _hw(k), "stride": _hw(s), "padding": _hw(p), "dilation": _hw(d), "groups": m.groups,
            "bias": m.bias is not None}, out_shape)

    # -- shared by modules and functions
    def _pool(self, node, x, mode, kernel, stride, padding, dilation, ceil_mode, count_include_pad,
              divisor_override, out_shape, op_name=None):
        if x is None or len(x) != 4:
            self._refuse(node, f"pool2d needs an NCHW input, got {x}")
        if _pair(dilation, node.name) != (1, 1):
            self._refuse(node, "pooling with dilation > 1 has no perfcast layer kind")
        if divisor_override is not None:
            self._refuse(node, "avg pooling with divisor_override")
        k = _pair(kernel, node.name)
        s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else _pair(stride, node.name)
        p = _pair(padding, node.name)
        layer = {"kind": "pool2d", "channels": x[1], "height": x[2], "width": x[3], "mode": mode,
                 "kernel": _hw(k), "stride": _hw(s), "padding": _hw(p)}
        if ceil_mode:
            layer["ceil_mode"] = True
        if mode == "avg" and not count_include_pad:
            layer["count_include_pad"] = False
        return self._emit(node, layer, out_shape, op_name=op_name)

    def _adaptive(self, node, x, mode, output_size, out_shape, op_name=None):
        if x is None or len(x) != 4:
            self._refuse(node, f"adaptive pooling needs an NCHW input, got {x}")
        if isinstance(output_size, int):
            o = (output_size, output_size)
        else:
            o = tuple(x[2 + i] if v is None else int(v) for i, v in enumerate(output_size))
        if o == (1, 1):
            return self._emit(node, {"kind": "pool2d", "channels": x[1], "height": x[2], "width": x[3],
                                     "mode": mode, "global": True}, out_shape, op_name=op_name)
        if x[2] % o[0] or x[3] % o[1]:
            self._refuse(node, f"adaptive pooling from {x[2]}x{x[3]} to {o[0]}x{o[1]}: the output does not divide "
                               "the input, so the windows differ in size (perfcast models a fixed window); "
                               "use an input size whose feature map divides it")
        k = (x[2] // o[0], x[3] // o[1])
        return self._emit(node, {"kind": "pool2d", "channels": x[1], "height": x[2], "width": x[3], "mode": mode,
                                 "kernel": _hw(k), "stride": _hw(k), "padding": 0}, out_shape, op_name=op_name)

    def _dense(self, node, x, in_features, out_features, bias, out_shape, op_name=None):
        """dense of an input of shape x: every dim between the batch and the features is seq (a (batch*seq,
        features) 2-D input, as Conv1D's addmm takes it, folds to seq too)."""
        own, dims = self._bdims(x)
        layer = {"kind": "dense", **({"batch": own} if own is not None else {}),
                 "in_features": int(in_features), "out_features": int(out_features), "bias": bool(bias)}
        seq = math.prod(dims[:-1]) if len(dims) > 1 else 1
        if seq != 1:
            layer["seq"] = int(seq)
        return self._emit(node, layer, out_shape, op_name=op_name)

    # -- batch and per-sample dims
    def _bdims(self, shape):
        """(the layer's own batch or None, per-sample dims) of a tensor of `shape` at the traced batch:
        a first dim that is the batch gives the network's batch; a multiple of it (batch*heads) is folded
        into the per-sample dims; anything else (a (1, S) position input) is the layer's own batch."""
        shape = list(shape)
        if len(shape) > 4:
            _per_sample(shape)  # refuses
        tb = self.trace_batch
        if not shape or shape[0] == tb:
            return None, _per_sample(shape) if shape else [1]
        if shape[0] % tb == 0:
            k, rest = shape[0] // tb, shape[1:]
            return None, ([k] + rest if len(rest) < 3 else [k * rest[0]] + rest[1:])
        return shape[0], _per_sample(shape)

    def _shaped(self, node, shape):
        """{"shape": per-sample dims} and, where the first dim is not the batch, {"batch": own}."""
        own, dims = self._bdims(shape)
        if own is not None:
            self.notes.append(f"{node.name}: first dimension {own} is not the batch ({self.trace_batch} when "
                              f"traced); the layer runs at batch {own}")
            return {"batch": own, "shape": dims}
        return {"shape": dims}

    def _softmax(self, node, x, dim, out_shape):
        if x is None or dim is None:
            self._refuse(node, f"softmax over dim {dim} of {x}: perfcast's softmax is over the last dimension")
        d = dim + len(x) if dim < 0 else dim
        if d != len(x) - 1 or len(x) < 2:
            self._refuse(node, f"softmax over dim {dim} of a {list(x)} tensor: perfcast's softmax is over the "
                               "last dimension")
        own, dims = self._bdims(x)
        if len(x) == 2 and own is None:
            return self._emit(node, {"kind": "softmax", "features": x[1]}, out_shape, op_name="softmax")
        return self._emit(node, {"kind": "softmax", **self._shaped(node, x)}, out_shape, op_name="softmax")

    def _layernorm(self, node, x, normalized_shape, affine, out_shape):
        ns = [normalized_shape] if isinstance(normalized_shape, int) else list(normalized_shape)
        if x is None or len(ns) != 1 or ns[0] != x[-1] or len(x) < 2:
            self._refuse(node, f"layer norm over {ns} of a {x} tensor: perfcast's layernorm normalises the last "
                               "dimension only")
        layer = {"kind": "layernorm", **self._shaped(node, x)}
        if not affine:
            layer["affine"] = False
        return self._emit(node, layer, out_shape, op_name="layer_norm")

    def _embedding(self, node, ids, vocab, features, out_shape):
        if ids is None or len(ids) < 1:
            self._refuse(node, "embedding of a non-tensor")
        own, dims = self._bdims(ids)
        if len(ids) == 1:
            dims = [1]
        layer = {"kind": "embedding", **({"batch": own} if own is not None else {}),
                 "seq": int(math.prod(dims)), "vocab": int(vocab), "features": int(features)}
        if own is not None:
            self.notes.append(f"{node.name}: ids of shape {list(ids)}: the embedding runs at batch {own}")
        return self._emit(node, layer, out_shape, op_name="embedding")

    def _dropout(self, node, x, p, out_shape, op_name="dropout"):
        if x is None:
            self._refuse(node, "dropout of a non-tensor")
        return self._emit(node, {"kind": "dropout", **self._shaped(node, x), "p": float(p)}, out_shape,
                          op_name=op_name)

    def _operands(self, node):
        """(first, second) operand of a binary call in any form: a + b, torch.add(a, b), a.add_(b)."""
        args, kw = list(node.args), dict(node.kwargs)
        a = args[0] if args else kw.get("input", kw.get("self"))
        b = args[1] if len(args) > 1 else kw.get("other", kw.get("exponent"))
        return a, b

    def _whole(self, shape, out):
        """A broadcast operand's whole shape for `other`: a first dim that is the traced batch becomes
        the network's batch."""
        o = [int(d) for d in shape]
        if len(o) == len(out) and o[0] == self.trace_batch and out[0] == self.trace_batch:
            o[0] = self.batch
        return o

    def _binary(self, node, fname, out_shape):
        op = _ELEMENTWISE[fname]
        a, b = self._operands(node)
        if b is None:
            self._refuse(node, f"{fname} without a second operand")
        tensors = [v for v in (a, b) if _meta(v) is not None and not _is_scalar(v)]
        if not tensors:  # arithmetic on one-element tensors: tiny, not a layer
            self.skipped.append((node.name, f"{fname} of one-element tensors"))
            self.notes.append(f"{node.name}: {fname} of one-element tensors; left out")
            return
        if len(tensors) == 1:
            t = _shape(tensors[0])
            if t != out_shape:
                self._refuse(node, f"{fname} of {t} with a scalar gives {out_shape}")
            return self._emit(node, {"kind": "elementwise", "op": op, **self._shaped(node, t), "scalar": True},
                              out_shape, op_name=fname)
        sa, sb = _shape(a), _shape(b)
        if sa == sb:
            if op == "add":
                return self._emit(node, {"kind": "add", **self._shaped(node, sa), "inputs": 2}, out_shape,
                                  op_name="add")
            return self._emit(node, {"kind": "elementwise", "op": op, **self._shaped(node, sa), "scalar": False},
                              out_shape, op_name=fname)
        if sa == out_shape:
            other = sb
        elif sb == out_shape:
            other = sa
        else:
            self._refuse(node, f"{fname} of tensors of shapes {list(sa)} and {list(sb)} that both broadcast (to "
                               f"{list(out_shape)}): perfcast's elementwise broadcasts one operand to the other")
        own, dims = self._bdims(out_shape)
        if own is not None or (len(other) == len(out_shape) and other[0] not in (1, out_shape[0])) \
                or (out_shape[0] != self.trace_batch and len(other) == len(out_shape) and other[0] != 1):
            self._refuse(node, f"{fname} of {list(sa)} and {list(sb)}: a broadcast operand on a tensor whose first "
                               "dimension is not the batch")
        return self._emit(node, {"kind": "elementwise", "op": op, **self._shaped(node, out_shape), "scalar": False,
                                 "other": self._whole(other, out_shape)}, out_shape, op_name=fname)

    def _where(self, node, mask, x, y, out_shape):
        sm = _shape(mask)
        if sm is None:
            self._refuse(node, "where / masked_fill without a tensor mask")
        values = [v for v in (x, y) if _meta(v) is not None and not _is_scalar(v)]
        if len(values) != 1 or _shape(values[0]) != out_shape:
            self._refuse(node, "where / masked_fill with values of shapes "
                               f"{[_shape(v) for v in (x, y)]}: perfcast's where is where(mask, x, a scalar fill) "
                               "with x of the result's shape")
        layer = {"kind": "elementwise", "op": "where", **self._shaped(node, out_shape), "scalar": False}
        if sm != out_shape:
            if out_shape[0] != self.trace_batch and len(sm) == len(out_shape) and sm[0] != 1:
                self._refuse(node, f"where with a mask of shape {list(sm)} on a tensor whose first dimension "
                                   "is not the batch")
            layer["other"] = self._whole(sm, out_shape)
        method = node.target if isinstance(node.target, str) else _FUNCS.get(node.target)
        if method == "masked_fill":
            # ATen's out-of-place masked_fill: self.clone(), then masked_fill_ on the clone (two kernels)
            self._emit(node, {"kind": "copy", **self._shaped(node, out_shape)}, out_shape, op_name="masked_fill.clone")
        return self._emit(node, layer, out_shape,
                          op_name="masked_fill" if method in ("masked_fill", "masked_fill_") else "where")

    def _bmm(self, node, fname, out_shape):
        a, b = self._operands(node)
        if b is None and "mat2" in node.kwargs:
            b = node.kwargs["mat2"]
        sa, sb = _shape(a), _shape(b)
        if sa is None or sb is None:
            self._refuse(node, f"{fname} with a non-tensor operand")
        if len(sa) != len(sb) or len(sa) not in (3, 4):
            self._refuse(node, f"{fname} of shapes {list(sa)} and {list(sb)}: perfcast's bmm takes two 3-D or 4-D "
                               "operands of one rank ([batch, (heads,)] m x k by k x n)")
        if sa[:-2] != sb[:-2]:
            self._refuse(node, f"{fname} of shapes {list(sa)} and {list(sb)}: the leading (batch) dims differ "
                               "(broadcasting); perfcast's bmm multiplies matching pairs")
        if sa[-1] != sb[-2]:
            self._refuse(node, f"{fname} of shapes {list(sa)} and {list(sb)}: inner dims differ")
        own, dims = self._bdims(list(sa[:-2]))
        layer = {"kind": "bmm", **({"batch": own} if own is not None else {}), "heads": int(math.prod(dims)),
                 "m": sa[-2], "k": sa[-1], "n": sb[-1]}
        name = self._name(node, "matmul")
        for flag, suffix, x, sx in (("transpose_a", "a_copy", a, sa), ("transpose_b", "b_copy", b, sb)):
            # torch.matmul reshapes 4-D operands to (batch * heads, m, k): an operand for which that is no view
            # (permuted heads) is copied first, and the product reads the contiguous copy
            if len(sx) == 4 and not _view_possible(x, (sx[0] * sx[1], sx[2], sx[3])):
                self._emit(node, {"kind": "copy", **self._shaped(node, list(sx))}, sx, name=f"{name}.{suffix}")
            elif _transposed(x):
                layer[flag] = True
        if own is not None:
            self.notes.append(f"{node.name}: leading dims {list(sa[:-2])}: the bmm runs at batch {own}")
        return self._emit(node, layer, out_shape, name=name)

    def _cat(self, node, tensors, dim, out_shape):
        if not isinstance(tensors, (list, tuple)):
            self._refuse(node, "cat of something other than a list of tensors")
        shapes = [_shape(t) for t in tensors]
        if None in shapes:
            self._refuse(node, "cat of a non-tensor")
        rank = len(shapes[0])
        d = dim + rank if dim < 0 else dim
        if d != 1 or rank not in (2, 4):
            self._refuse(node, f"cat along dim {dim} of rank-{rank} tensors: perfcast's concat joins channels "
                               "(dim 1) of NCHW or [N, features] tensors")
        if len(shapes) == 1:
            self.skipped.append((node.name, "cat of a single tensor (a copy; perfcast has no copy layer)"))
            self.notes.append(f"{node.name}: torch.cat of one tensor is a copy in PyTorch; left out")
            return
        o = out_shape
        layer = {"kind": "concat", "channels": o[1], "height": o[2] if rank == 4 else 1,
                 "width": o[3] if rank == 4 else 1, "inputs": len(shapes)}
        return self._emit(node, layer, out_shape, op_name="cat")

    def _flatten(self, node, fname, out_shape):
        x = _shape(node.args[0]) if node.args else None
        if x is None:
            self._refuse(node, f"{fname} of a non-tensor")
        if fname == "flatten":
            a = _bind("flatten", node)
            r = len(x)
            s, e = a["start_dim"], a["end_dim"]
            if (s + r if s < 0 else s) == 1 and (e + r if e < 0 else e) == r - 1:
                return self._flatten_dims(node, x, s, e, out_shape, op_name="flatten")
        # view / reshape: [N, ...] -> [N, prod(...)] is a flatten; any other is a view (no kernel), or a
        # copy where the input's strides allow no view (reshape of a permuted tensor)
        if out_shape == x:
            self.skipped.append((node.name, f"{fname} to the same shape (free)"))
            return
        src = node.args[0]
        if len(out_shape) == 2 and out_shape[0] == x[0] and len(x) > 2 and _is_contiguous(src):
            return self._emit(node, {"kind": "flatten", "shape": _per_sample(x)}, out_shape, op_name="flatten")
        if fname == "view" or _view_possible(src, out_shape):
            self.skipped.append((node.name, f"{fname} {list(x)} -> {list(out_shape)} (a view: no kernel)"))
            return
        return self._emit(node, {"kind": "copy", **self._shaped(node, out_shape)}, out_shape, op_name=fname)

    def _flatten_dims(self, node, x, start, end, out_shape, op_name=None):
        if x is None:
            self._refuse(node, "flatten of a non-tensor")
        r = len(x)
        s, e = (start + r if start < 0 else start), (end + r if end < 0 else end)
        if s != 1 or e != r - 1:
            self._refuse(node, f"flatten(start_dim={start}, end_dim={end}) of a rank-{r} tensor: perfcast's "
                               "flatten keeps the batch and joins the rest (start_dim=1, end_dim=-1)")
        if r <= 2:
            self.skipped.append((node.name, "flatten of a 2-D tensor (free)"))
            return
        return self._emit(node, {"kind": "flatten", "shape": _per_sample(x)}, out_shape, op_name=op_name)

    def _mean(self, node, x, dim, keepdim, out_shape):
        if x is None or len(x) != 4 or dim is None:
            self._refuse(node, f"mean over {dim} of {x}: only the spatial mean of NCHW (dims 2 and 3) is a "
                               "perfcast layer (a global average pool)")
        dims = sorted((d + 4 if d < 0 else d) for d in (dim if isinstance(dim, (list, tuple)) else [dim]))
        if dims != [2, 3]:
            self._refuse(node, f"mean over dims {dim}: only the spatial mean (dims 2 and 3) is a perfcast layer")
        pooled = [x[0], x[1], 1, 1]
        name = self._emit(node, {"kind": "pool2d", "channels": x[1], "height": x[2], "width": x[3],
                                 "mode": "avg", "global": True}, pooled, op_name="mean")
        if not keepdim:
            self._emit(node, {"kind": "flatten", "shape": [x[1], 1, 1]}, out_shape,
                       name=self._unique(name + "_flatten"))
        return name


# --------------------------------------------------------------------------------------------
# Parameters by perfcast's rules

def perfcast_params(layer):
    k = layer["kind"]

    def pair(v):
        return (v, v) if isinstance(v, int) else tuple(v)
    if k == "conv2d":
        kh, kw = pair(layer["kernel"])
        w = layer["out_channels"] * (layer["in_channels"] // layer["groups"]) * kh * kw
        return w + (layer["out_channels"] if layer["bias"] else 0)
    if k == "dense":
        return layer["in_features"] * layer["out_features"] + (layer["out_features"] if layer.get("bias", True) else 0)
    if k == "batchnorm2d":
        return 2 * layer["channels"] if layer.get("affine", True) else 0
    if k == "layernorm":
        features = layer["shape"][-1] if "shape" in layer else layer["features"]
        return 2 * features if layer.get("affine", True) else 0
    if k == "embedding":
        return layer["vocab"] * layer["features"]
    return 0


# --------------------------------------------------------------------------------------------
# Models

def torchvision_model(name):
    """A torchvision classification model, randomly initialised (no download)."""
    try:
        import torchvision
        import torchvision.models as tvm
    except ImportError as e:
        raise ConversionError(f"torchvision is not installed ({e}); apt-get install python3-torchvision") from e
    fn = getattr(tvm, name, None)
    if fn is None or not callable(fn) or name.startswith("_"):
        known = sorted(n for n in dir(tvm) if n[:1].islower() and callable(getattr(tvm, n))
                       and not n.startswith(("get_", "list_")))
        raise ConversionError(f"unknown torchvision model {name!r} (torchvision {torchvision.__version__} has: "
                              + ", ".join(known) + "); or give module:callable")
    kw = {}
    if name == "inception_v3":
        kw = {"aux_logits": False, "init_weights": False}
    elif name == "googlenet":
        kw = {"aux_logits": False, "init_weights": False}
    try:
        return fn(weights=None, **kw)       # torchvision >= 0.13
    except TypeError:
        return fn(pretrained=False, **kw)   # older torchvision


def user_model(spec):
    """`module:callable` or `file.py:callable`: an nn.Module, or a callable returning one."""
    mod_name, _, attr = spec.rpartition(":")
    if not mod_name or not attr:
        raise ConversionError(f"expected module:callable, got {spec!r}")
    try:
        if mod_name.endswith(".py") or os.sep in mod_name:
            path = os.path.abspath(mod_name)
            if not os.path.exists(path):
                raise ConversionError(f"{mod_name}: no such file")
            sys.path.insert(0, os.path.dirname(path))
            modspec = importlib.util.spec_from_file_location(os.path.splitext(os.path.basename(path))[0], path)
            module = importlib.util.module_from_spec(modspec)
            modspec.loader.exec_module(module)
        else:
            sys.path.insert(0, os.getcwd())
            module = importlib.import_module(mod_name)
    except ConversionError:
        raise
    except Exception as e:
        raise ConversionError(f"could not import {mod_name}: {type(e).__name__}: {e}") from e
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ConversionError(f"{mod_name} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not isinstance(obj, nn.Module):
        if not callable(obj):
            raise ConversionError(f"{spec} is a {type(obj).__name__}, neither a torch.nn.Module nor callable")
        try:
            obj = obj()
        except Exception as e:
            raise ConversionError(f"{spec}() failed: {type(e).__name__}: {e}") from e
    if not isinstance(obj, nn.Module):
        raise ConversionError(f"{spec} returned a {type(obj).__name__}, not a torch.nn.Module")
    return obj


def load_model(spec):
    if ":" in spec:
        return user_model(spec), spec.rpartition(":")[2]
    return torchvision_model(spec), spec


def default_input_size(spec):
    return (3, 299, 299) if spec == "inception_v3" else (3, 224, 224)


# --------------------------------------------------------------------------------------------
# The whole conversion

def _specs(input_size):
    """[(dims, dtype, whole)] of one size (a tuple of ints) or of a list of them / of such triples."""
    if isinstance(input_size, (tuple, list)) and all(isinstance(d, int) for d in input_size):
        return [(tuple(input_size), "float", False)]
    out = []
    for spec in input_size:
        if isinstance(spec, (tuple, list)) and all(isinstance(d, int) for d in spec):
            out.append((tuple(spec), "float", False))
        else:
            dims, dtype, whole = spec
            out.append((tuple(dims), dtype, bool(whole)))
    return out


def _describe(specs):
    return ", ".join(("@" if whole else "") + "x".join(str(d) for d in dims) + ("" if dtype == "float" else f":{dtype}")
                     for dims, dtype, whole in specs)


def sample_inputs(model, input_size, trace_batch=2):
    """Random inputs for the trace: float normal, or token ids below the smallest nn.Embedding's vocabulary."""
    vocab = min((m.num_embeddings for m in model.modules() if isinstance(m, nn.Embedding)), default=2)
    out = []
    for dims, dtype, whole in _specs(input_size):
        shape = dims if whole else (trace_batch, *dims)
        if dtype == "long":
            out.append(torch.randint(0, vocab, shape, dtype=torch.long))
        else:
            out.append(torch.randn(*shape))
    return out


def convert(model, input_size, batch=1, name="network", skip_unknown=False, trace_batch=2):
    """Returns (network dict in the perfcast-network schema, info dict).

    input_size: per-sample sizes of the one float input (3, 224, 224), or a list of inputs, each such
    a tuple or (dims, "float" or "long", whole) where whole means dims include the first dimension.
    info: out_shapes (PyTorch's output shape per layer, at trace_batch), skipped, unknown, notes,
    perfcast_params, torch_params.
    """
    if batch < 1:
        raise ConversionError(f"batch must be >= 1 (got {batch})")
    model = model.eval()
    samples = sample_inputs(model, input_size, trace_batch)
    gm, graph = trace(model, *samples)
    conv = Converter(gm, graph, batch, trace_batch)
    layers = conv.run(skip_unknown=skip_unknown)
    if not layers:
        raise ConversionError("no layers: the traced model has no operation perfcast describes")
    net = {
        "format": "perfcast-network", "version": 1, "name": name, "batch": batch,
        "description": (f"converted from PyTorch {torch.__version__} by tools/torch2perfcast.py, input "
                        + _describe(_specs(input_size))),
        "layers": layers,
    }
    info = {
        "out_shapes": conv.out_shapes, "skipped": conv.skipped, "unknown": conv.unknown, "notes": conv.notes,
        "perfcast_params": sum(perfcast_params(l) for l in layers),
        "torch_params": sum(p.numel() for p in model.parameters()),
    }
    return net, info


def summary(net, info, out=sys.stderr, verbose=False):
    kinds = {}
    for l in net["layers"]:
        kinds[l["kind"]] = kinds.get(l["kind"], 0) + 1
    print(f"{net['name']}: {len(net['layers'])} layers ("
          + ", ".join(f"{k} {n}" for k, n in kinds.items()) + f"), {len(info['skipped'])} free operations skipped",
          file=out)
    pp, tp = info["perfcast_params"], info["torch_params"]
    verdict = "same" if pp == tp else f"DIFFERENT by {tp - pp:+,}"
    print(f"parameters: {pp:,} by perfcast's rules, {tp:,} in PyTorch ({verdict})", file=out)
    for n in info["notes"]:
        print(f"note: {n}", file=out)
    if verbose and info["skipped"]:
        print(f"skipped ({len(info['skipped'])} operations that run no kernel or none perfcast counts):", file=out)
        for node, why in info["skipped"]:
            print(f"  {node}: {why}", file=out)
    if info["unknown"]:
        print(f"left out ({len(info['unknown'])} operations perfcast cannot describe):", file=out)
        for name, op, target, why in info["unknown"]:
            print(f"  {name}: {op} {target}: {why}", file=out)


def parse_size(text):
    """"3,224,224" -> ((3, 224, 224), "float", False); "128:long"; "@1,128:long" (a whole shape)."""
    body, whole = (text[1:], True) if text.startswith("@") else (text, False)
    body, _, dtype = body.partition(":")
    dtype = dtype or "float"
    if dtype not in ("float", "long"):
        raise argparse.ArgumentTypeError(f"expected :float or :long after the sizes, got {text!r}")
    try:
        dims = tuple(int(v) for v in body.replace("x", ",").split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes such as 3,224,224, got {text!r}")
    if not dims or any(d < 1 for d in dims):
        raise argparse.ArgumentTypeError(f"expected positive sizes such as 3,224,224, got {text!r}")
    return dims, dtype, whole


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="torch2perfcast.py",
        description="Convert a PyTorch model (torch.fx trace) into perfcast's network JSON.")
    ap.add_argument("model", help="torchvision model name (resnet50, vgg16, ...) or module:callable")
    ap.add_argument("--batch", type=int, default=1, help="the network's batch size (default 1)")
    ap.add_argument("--input-size", type=parse_size, action="append", default=None,
                    help="per-sample input size C,H,W (default 3,224,224; 3,299,299 for inception_v3); once per "
                         "input of forward; SIZES:long for token ids; @SIZES for a whole shape (no batch in front)")
    ap.add_argument("--out", default="-", help="output file (default: stdout)")
    ap.add_argument("--name", default=None, help="network name in the file (default: the model's)")
    ap.add_argument("--skip-unknown", action="store_true",
                    help="leave out operations perfcast has no layer kind for, listing them on stderr")
    ap.add_argument("--verbose", action="store_true",
                    help="list on stderr every operation skipped as free (views, shape queries)")
    args = ap.parse_args(argv)
    if args.batch < 1:
        ap.error(f"--batch must be >= 1 (got {args.batch})")
    try:
        model, name = load_model(args.model)
        size = args.input_size or default_input_size(args.model)
        with torch.no_grad():
            net, info = convert(model, size, args.batch, args.name or name, args.skip_unknown)
    except ConversionError as e:
        _die(f"{args.model}: {e}")
    text = json.dumps(net, indent=1) + "\n"
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w") as f:
            f.write(text)
    summary(net, info, verbose=args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
