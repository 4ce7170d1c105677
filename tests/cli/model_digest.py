"""The digest a perfcast model file carries, computed apart from perfcast (model_digest() in
include/perfcast/runtime/predictor.hpp): the CLI tests check the committed files with it and re-sign
the model files they edit on purpose."""
import hashlib
import math
import struct


def _feed(v, h, top=False):
    word = lambda tag, x: h.update(tag + struct.pack(">Q", x))
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        word(b"n", 0)
    elif isinstance(v, bool):
        word(b"b", int(v))
    elif isinstance(v, int):
        word(b"u" if v >= 0 else b"i", v & 0xFFFFFFFFFFFFFFFF)
    elif isinstance(v, float):
        word(b"d", struct.unpack(">Q", struct.pack(">d", v))[0])
    elif isinstance(v, str):
        b = v.encode()
        word(b"s", len(b))
        h.update(b)
    elif isinstance(v, list):
        word(b"[", len(v))
        for e in v:
            _feed(e, h)
    elif isinstance(v, dict):
        keys = sorted((k for k in v if not (top and k == "digest")), key=lambda k: k.encode())
        word(b"{", len(keys))
        for k in keys:
            b = k.encode()
            word(b"s", len(b))
            h.update(b)
            _feed(v[k], h)
    else:
        raise TypeError(type(v))


def model_digest(model):
    """'sha256:' and the SHA-256 of every member of the model file but "digest", in perfcast's canonical form."""
    h = hashlib.sha256()
    _feed(model, h, top=True)
    return "sha256:" + h.hexdigest()
