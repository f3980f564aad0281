"""The pretrained U-Net (colorizer.nets.lite_unet.LiteUNet) run with ONNX Runtime, for inference without torch.

The graph is built here at load time from the model's state dict (the weights of our safetensors), so
no .onnx file is shipped and every LiteUNet config is served. It follows LiteUNet.forward and
EfficientNetLite.forward op for op, with changes that keep the numbers (to float rounding):
- each batch norm that directly follows a convolution (the encoder's) is folded into it;
- the decoder's units are conv -> ReLU -> BN: that BN cannot go into the conv before it, nor exactly
  into the next 3x3 conv (whose zero padding would then pad with the BN's shift), so it stays a
  per-channel Mul and Add, except before the 1x1 head, where folding it in is exact;
- the stem sees one gray value in all three input channels, so its kernel is summed over them.

The graph is written as ONNX protobuf bytes by the few lines under "protobuf" below, not by the `onnx`
package: onnxruntime imports only numpy, and onnx with protobuf and ml_dtypes would add about 12 MB to
the app and a second to its start (docs/history/onnx-backend.md). tests/test_onnx_net.py checks the bytes
with onnx's own checker where onnx is installed. colorizer.onnx_unet builds the design's U-Net with the
same writer and runs it the same way (cpu_session: ONNX Runtime's InferenceSession on the CPU).
"""
import os
import struct

import numpy as np

# the constants of colorizer.nets.efficientnet and colorizer.nets.lite_unet, which import torch
ENCODER_BN_EPS, DECODER_BN_EPS = 1e-3, 1e-5
STAGE_STRIDES = (1, 2, 2, 2, 1, 2, 1)
SKIP_STAGES = (0, 1, 2, 4)  # the last block of each gives a skip: at 1/2, 1/4, 1/8, 1/16
DEFAULT_CONFIG = {"n_classes": 104, "decoder": [192, 128, 96, 64, 32], "logit_stride": 2}
IR_VERSION, OPSET = 8, 17


# --- protobuf: the wire format of the ONNX messages and fields used here (field numbers: onnx.proto) ---
def _varint(n: int) -> bytes:
    n &= 2 ** 64 - 1  # a negative int64 is its 10-byte two's complement
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    return bytes(out) + bytes([n])


def _field(number: int, value) -> bytes:
    """An int as a varint, a float as fixed32, a str, bytes or list of encoded fields length-delimited."""
    if isinstance(value, int):
        return _varint(number << 3) + _varint(value)
    if isinstance(value, float):
        return _varint(number << 3 | 5) + struct.pack("<f", value)
    value = value.encode() if isinstance(value, str) else b"".join(value) if isinstance(value, list) else value
    return _varint(number << 3 | 2) + _varint(len(value)) + value


def _attribute(name: str, value) -> bytes:
    """AttributeProto: name 1, f 2, i 3, s 4, ints 8; type 20 (FLOAT 1, INT 2, STRING 3, INTS 7)."""
    if isinstance(value, float):
        return b"".join([_field(1, name), _field(2, value), _field(20, 1)])
    if isinstance(value, int):
        return b"".join([_field(1, name), _field(3, value), _field(20, 2)])
    if isinstance(value, str):
        return b"".join([_field(1, name), _field(4, value), _field(20, 3)])
    return b"".join([_field(1, name), *(_field(8, int(v)) for v in value), _field(20, 7)])


def _tensor(name: str, array: np.ndarray) -> bytes:
    """TensorProto: dims 1, data_type 2 (FLOAT 1, INT64 7), name 8, raw_data 9 (little-endian)."""
    kind = {"float32": 1, "int64": 7}[array.dtype.name]
    raw = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()
    return b"".join([*(_field(1, d) for d in array.shape), _field(2, kind), _field(8, name), _field(9, raw)])


def _value_info(name: str, shape) -> bytes:
    """ValueInfoProto {name 1, type 2: TypeProto {tensor_type 1: {elem_type 1 (FLOAT 1), shape 2:
    {dim 1: {dim_value 1 | dim_param 2}}}}}."""
    dims = [_field(1, [_field(1 if isinstance(d, int) else 2, d)]) for d in shape]
    return _field(1, name) + _field(2, [_field(1, [_field(1, 1), _field(2, dims)])])


class Graph:
    """An ONNX graph being built: ops append nodes and return their output's name."""

    def __init__(self):
        self.nodes, self.initializers, self.count = [], [], 0

    def const(self, array) -> str:
        array = np.asarray(array)
        array = array.astype(np.int64 if array.dtype.kind in "iu" else np.float32)
        name = f"c{len(self.initializers)}"
        self.initializers.append(_tensor(name, array))
        return name

    def op(self, op_type: str, *inputs: str, **attributes) -> str:
        """NodeProto: input 1, output 2, op_type 4, attribute 5."""
        self.count += 1
        out = f"t{self.count}"
        self.nodes.append(b"".join([*(_field(1, i) for i in inputs), _field(2, out), _field(4, op_type),
                                    *(_field(5, _attribute(k, v)) for k, v in attributes.items())]))
        return out

    def model(self, inputs: dict, output: str, output_shape, name: str = "lite_unet") -> bytes:
        """ModelProto {ir_version 1, graph 7, opset_import 8} around GraphProto {node 1, name 2,
        initializer 5, input 11, output 12}; `inputs` maps names to shapes."""
        graph = [*(_field(1, n) for n in self.nodes), _field(2, name),
                 *(_field(5, t) for t in self.initializers),
                 *(_field(11, _value_info(name, shape)) for name, shape in inputs.items()),
                 _field(12, _value_info(output, output_shape))]
        return b"".join([_field(1, IR_VERSION), _field(7, graph), _field(8, [_field(2, OPSET)])])


# --- the network --------------------------------------------------------------------------------------
def bn_affine(state: dict, prefix: str, eps: float):
    """Batch norm in eval mode as y = scale * x + shift, in float64."""
    gamma, beta, mean, var = (state[f"{prefix}.{n}"].astype(np.float64)
                              for n in ("weight", "bias", "running_mean", "running_var"))
    scale = gamma / np.sqrt(var + eps)
    return scale, beta - mean * scale


def _same_pads(kernel: int, stride: int) -> list:
    """TensorFlow's SAME padding (extra pixel after) as ONNX pads [top, left, bottom, right], for inputs
    whose sides are multiples of the stride, as every layer's are when the image's are of 32."""
    total = kernel - stride
    return [total // 2, total // 2, total - total // 2, total - total // 2]


class _Builder:
    """LiteUNet's graph from its state dict: one method per part of lite_unet.py / efficientnet.py."""

    def __init__(self, state: dict):
        self.state, self.g = state, Graph()

    def conv(self, x, weight, bias, stride=1, pads=None, group=1):
        k = weight.shape[-1]
        pads = [k // 2] * 4 if pads is None else pads
        return self.g.op("Conv", x, self.g.const(weight), self.g.const(bias), kernel_shape=[k, k],
                         strides=[stride, stride], pads=pads, group=group)

    def conv_bn(self, x, conv, bn, stride=1, group=1):
        """An encoder conv (no bias, SAME-padded) with the BN after it folded in."""
        w = self.state[f"{conv}.weight"].astype(np.float64)
        scale, shift = bn_affine(self.state, bn, ENCODER_BN_EPS)
        return self.conv(x, w * scale[:, None, None, None], shift, stride, _same_pads(w.shape[-1], stride), group)

    def relu6(self, x):
        return self.g.op("Clip", x, self.g.const(np.float32(0)), self.g.const(np.float32(6)))

    def encoder(self, x, blocks):
        """EfficientNetLite.forward: the five feature maps at 1/2 .. 1/32. With a hint stem (LiteUNet's
        hint_stem), the hint map enters as three more input channels of the stem: the same sum."""
        p, s = "encoder.", self.state
        stem = s[f"{p}_conv_stem.weight"].astype(np.float64).sum(axis=1, keepdims=True)  # gray in
        if "hint_stem.weight" in s:
            x = self.g.op("Concat", x, "hints", axis=1)
            stem = np.concatenate([stem, s["hint_stem.weight"].astype(np.float64)], axis=1)
        scale, shift = bn_affine(s, f"{p}_bn0", ENCODER_BN_EPS)
        x = self.relu6(self.conv(x, stem * scale[:, None, None, None], shift, 2, _same_pads(3, 2)))
        maps = []
        skip_after = [max(i for i, b in enumerate(blocks) if b[3] == st) for st in SKIP_STAGES]
        cin = s[f"{p}_conv_stem.weight"].shape[0]
        for i, (_kernel, expand, cout, stage) in enumerate(blocks):
            b = f"{p}_blocks.{i}."
            stride = STAGE_STRIDES[stage] if i == 0 or blocks[i - 1][3] != stage else 1
            y = x
            if expand != 1:
                y = self.relu6(self.conv_bn(y, f"{b}_expand_conv", f"{b}_bn0"))
            y = self.relu6(self.conv_bn(y, f"{b}_depthwise_conv", f"{b}_bn1", stride, group=cin * expand))
            y = self.conv_bn(y, f"{b}_project_conv", f"{b}_bn2")
            x = self.g.op("Add", x, y) if stride == 1 and cin == cout else y
            cin = cout
            if i in skip_after:
                maps.append(x)
        maps.append(self.relu6(self.conv_bn(x, f"{p}_conv_head", f"{p}_bn1")))
        return maps

    def unit(self, x, prefix, fold_bn=False):
        """lite_unet.unit: conv -> ReLU -> BN; with fold_bn, (ReLU's output, the BN) for the next conv."""
        s = self.state
        x = self.g.op("Relu", self.conv(x, s[f"{prefix}.0.weight"], s[f"{prefix}.0.bias"]))
        scale, shift = bn_affine(s, f"{prefix}.2", DECODER_BN_EPS)
        if fold_bn:
            return x, (scale, shift)
        x = self.g.op("Mul", x, self.g.const(scale[:, None, None]))
        return self.g.op("Add", x, self.g.const(shift[:, None, None]))

    def pool_hints(self, ab_masked, mask, factor):
        """lite_unet.pool_hints: mean hinted ab of each cell, and a mask of the cells with any hint."""
        g = self.g
        m = g.op("AveragePool", mask, kernel_shape=[factor, factor], strides=[factor, factor])
        ab = g.op("AveragePool", ab_masked, kernel_shape=[factor, factor], strides=[factor, factor])
        ab = g.op("Div", ab, g.op("Max", m, g.const(np.float32(1e-6))))
        present = g.op("Clip", g.op("Mul", m, g.const(np.float32(factor * factor))),
                       g.const(np.float32(0)), g.const(np.float32(1)))
        return g.op("Mul", ab, present), present

    def l_to_encoder_rgb(self, L):
        """lite_unet.l_to_encoder_rgb, one channel: the CIE curve to Y, sRGB's to the encoder's scale."""
        g, c = self.g, lambda v: self.g.const(np.float32(v))
        fy = g.op("Div", g.op("Add", g.op("Mul", g.op("Add", L, c(1)), c(50)), c(16)), c(116))
        cube = g.op("Mul", g.op("Mul", fy, fy), fy)
        linear = g.op("Mul", g.op("Sub", fy, c(16 / 116)), c(3 * (6 / 29) ** 2))
        y = g.op("Clip", g.op("Where", g.op("Greater", fy, c(6 / 29)), cube, linear), c(0), c(1))
        curve = g.op("Sub", g.op("Mul", c(1.055), g.op("Pow", g.op("Max", y, c(0.0031308)), c(1 / 2.4))), c(0.055))
        srgb = g.op("Where", g.op("Greater", y, c(0.0031308)), curve, g.op("Mul", y, c(12.92)))
        return g.op("Div", g.op("Sub", g.op("Mul", srgb, c(255)), c(127)), c(128))

    def build(self, blocks, decoder, logit_stride) -> str:
        """LiteUNet.forward on the inputs "L" (1, 1, H, W) and "hints" (1, 3, H, W) -> the logits' name."""
        g, s = self.g, self.state
        feats = self.encoder(self.l_to_encoder_rgb("L"), blocks)
        mask = g.op("Slice", "hints", g.const([2]), g.const([3]), g.const([1]))  # channels 2:3 (axis 1)
        ab_masked = g.op("Mul", g.op("Slice", "hints", g.const([0]), g.const([2]), g.const([1])), mask)

        def cat(*xs):
            return g.op("Concat", *xs, axis=1)

        x = self.unit(cat(feats[4], *self.pool_hints(ab_masked, mask, 32)), "bottom")
        if "context.0.weight" in s:  # LiteUNetConfig.scene_context
            w, b = s["context.0.weight"], s["context.0.bias"]  # nn.Linear as a 1x1 conv of the mean
            context = g.op("Relu", self.conv(g.op("ReduceMean", x, axes=[2, 3], keepdims=1), w[:, :, None, None], b))
            x = g.op("Add", x, context)
        scales = g.const(np.array([1, 1, 2, 2], np.float32))
        units = [f"up.{i}" for i in range(4)] + (["full"] if logit_stride == 1 else [])
        for i, prefix in enumerate(units):
            x = g.op("Resize", x, "", scales, mode="linear", coordinate_transformation_mode="half_pixel")
            hints = cat(*self.pool_hints(ab_masked, mask, 2 ** (4 - i))) if i < 4 else "hints"
            x = cat(x, feats[3 - i], hints) if i < 4 else cat(x, hints)
            last = prefix == units[-1]
            refine = f"refine.{i}" if i < 4 and f"refine.{i}.0.weight" in s else None  # decoder_depth 2
            x = self.unit(x, prefix, fold_bn=last and refine is None)
            if refine:
                x = self.unit(x, refine, fold_bn=last)
        x, (scale, shift) = x  # the last unit's BN, folded into the 1x1 head: head(s x + t) = (W s) x + W t + b
        w, b = s["head.weight"].astype(np.float64), s["head.bias"].astype(np.float64)
        return self.conv(x, w * scale[None, :, None, None], b + w[:, :, 0, 0] @ shift)


class OnnxLiteUNet:
    """colorizer.nets.lite_unet.LiteUNet for inference: OnnxLiteUNet(state, **config)(L, hints) -> logits."""
    backend = "onnxruntime"  # Colorizer.backend's name for it
    takes_hints, input_multiple = True, 32  # as LiteUNet's

    def __init__(self, state: dict, *, blocks, n_classes: int = DEFAULT_CONFIG["n_classes"], encoder: str = "lite0",
                 decoder=None, logit_stride: int = DEFAULT_CONFIG["logit_stride"], decoder_depth: int = 1,
                 hint_stem: bool = False, scene_context: bool = True, threads: int = None):
        """state: LiteUNet.state_dict() as numpy arrays (float16 or float32, no num_batches_tracked);
        the rest: LiteUNetConfig's fields (blocks: the encoder's shape); threads: the machine's cores."""
        import_onnxruntime()  # first, so that a missing ONNX Runtime is an ImportError before any other check
        decoder = list(DEFAULT_CONFIG["decoder"] if decoder is None else decoder)
        if len(decoder) != 5 or logit_stride not in (1, 2) or decoder_depth not in (1, 2):
            raise ValueError(f"decoder: five widths, logit_stride and decoder_depth 1 or 2; got {decoder}, "
                             f"{logit_stride}, {decoder_depth}")
        if (decoder_depth == 2) != ("refine.0.0.weight" in state):
            raise ValueError(f"decoder_depth {decoder_depth} but the weights "
                             f"{'lack' if decoder_depth == 2 else 'have'} the second units (refine.*)")
        if hint_stem != ("hint_stem.weight" in state):
            raise ValueError(f"hint_stem {hint_stem} but the weights {'lack' if hint_stem else 'have'} "
                             "hint_stem.weight")
        if scene_context != ("context.0.weight" in state):
            raise ValueError(f"scene_context {scene_context} but the weights "
                             f"{'lack' if scene_context else 'have'} context.0.weight")
        state = {k: np.asarray(v, dtype=np.float32) for k, v in state.items()}  # fp16 on disk
        self.n_classes, self.encoder = n_classes, encoder
        self.logit_stride, self.decoder_depth = logit_stride, decoder_depth
        self.blocks, self.decoder, self.hint_stem = [list(b) for b in blocks], decoder, hint_stem
        self.scene_context = scene_context
        builder = _Builder(state)
        logits = builder.build([tuple(b) for b in blocks], decoder, logit_stride)
        q, h, w = n_classes, f"H/{logit_stride}", f"W/{logit_stride}"
        self.model = builder.g.model({"L": [1, 1, "H", "W"], "hints": [1, 3, "H", "W"]}, logits, [1, q, h, w])
        self.session = cpu_session(self.model, threads)
        self._logits = logits

    def config_dict(self) -> dict:
        return {"n_classes": self.n_classes, "encoder": self.encoder, "blocks": self.blocks,
                "decoder": self.decoder, "logit_stride": self.logit_stride, "decoder_depth": self.decoder_depth,
                "hint_stem": self.hint_stem, "scene_context": self.scene_context}

    def __call__(self, L: np.ndarray, hints: np.ndarray = None) -> np.ndarray:
        """L (H, W) normalised (L / 50 - 1), sides multiples of 32; hints (3, H, W) as colorizer.hints
        makes them, or None -> logits (Q, H / logit_stride, W / logit_stride) float32."""
        L = np.asarray(L, dtype=np.float32)
        if L.ndim != 2 or L.shape[0] % 32 or L.shape[1] % 32:
            raise ValueError(f"expected one image (H, W) with sides multiples of 32, got shape {L.shape}")
        if hints is None:
            hints = np.zeros((3, *L.shape), np.float32)
        hints = np.asarray(hints, dtype=np.float32)
        if hints.shape != (3, *L.shape):
            raise ValueError(f"hints: expected shape {(3, *L.shape)}, got {hints.shape}")
        out, = self.session.run([self._logits], {"L": L[None, None], "hints": hints[None]})
        return out[0]


def import_onnxruntime():
    """The onnxruntime module, imported on first use, so that importing this module costs nothing where
    it is not used. ImportError where it is not installed."""
    # ONNX Runtime's Linux and macOS wheels collect usage telemetry (with a device id kept in
    # ~/.cache/Microsoft) unless this is set before it starts; a photo app should not, unasked
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    import onnxruntime as runtime

    return runtime


def cpu_session(model: bytes, threads: int = None):
    """An ONNX Runtime session of the model's bytes on the CPU, on `threads` cores (default: all this
    process may use)."""
    runtime = import_onnxruntime()
    options = runtime.SessionOptions()
    options.intra_op_num_threads = threads or _cores()
    options.inter_op_num_threads = 1
    return runtime.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
