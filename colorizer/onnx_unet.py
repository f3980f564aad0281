"""The design's U-Net (colorizer.nets.unet.UNet) without torch: its parameter shapes, which a model card is
checked against, and its graph for ONNX Runtime, built at load time from the state dict with
colorizer.onnx_net's writer.

The graph follows UNet.forward op for op: every unit is a Conv (3x3 at stride 1, or 4x4 at stride 2) or
a ConvTranspose (4x4 at stride 2), padding 1, then the activation, then batch norm as a per-channel Mul
and Add (it follows the activation, so it cannot be folded into the convolution before it); each decoder
output is concatenated with the encoder's skip; the ablation's global context is the mean of the deepest
features through the linear layer (a 1x1 Conv of the mean) and the activation, added at every position.
"""
import numpy as np

from .onnx_net import Graph, bn_affine, cpu_session, import_onnxruntime

BN_EPS = 1e-5  # nn.BatchNorm2d's default, which the model uses
LEAKY_SLOPE = 0.1  # model.ACTIVATIONS["leaky_relu"]
ACTIVATIONS = {  # model.ACTIVATIONS as graph nodes: name -> (graph, input) -> output
    "sigmoid": lambda g, x: g.op("Sigmoid", x),
    "relu": lambda g, x: g.op("Relu", x),
    "leaky_relu": lambda g, x: g.op("LeakyRelu", x, alpha=LEAKY_SLOPE),
    "silu": lambda g, x: g.op("Mul", x, g.op("Sigmoid", x)),  # opset 17 has no SiLU node
}
DEFAULT_CONFIG = {"n_classes": 104, "width": 64, "activation": "sigmoid", "global_context": False}  # UNetConfig's
INPUT_MULTIPLE = 16  # four stride-2 levels


# --- the shapes, checked before any graph is built ------------------------------------------------------
def parameter_shapes(n_classes: int, width: int, global_context: bool = False) -> dict:
    """name -> shape of every parameter and buffer in UNet's floating-point state dict."""
    w = width
    chans = [1, w, 2 * w, 4 * w, 8 * w]
    shapes = {}

    def unit(prefix, weight_shape, channels):
        shapes[f"{prefix}.0.weight"] = weight_shape
        shapes[f"{prefix}.0.bias"] = (channels,)
        for name in ("weight", "bias", "running_mean", "running_var"):
            shapes[f"{prefix}.2.{name}"] = (channels,)

    for i, (cin, cout) in enumerate(zip(chans[:-1], chans[1:])):
        unit(f"down.{i}.0", (cout, cin, 3, 3), cout)
        unit(f"down.{i}.1", (cout, cout, 4, 4), cout)
    for i, (cin, cout) in enumerate([(8 * w, 4 * w), (8 * w, 2 * w), (4 * w, w)]):
        unit(f"up.{i}", (cin, cout, 4, 4), cout)
    shapes["head.weight"] = (2 * w, n_classes, 4, 4)
    shapes["head.bias"] = (n_classes,)
    if global_context:
        shapes["context.0.weight"] = (8 * w, 8 * w)
        shapes["context.0.bias"] = (8 * w,)
    return shapes


def check_config(n_classes, width, activation, global_context=False) -> None:
    """Raises ValueError for what UNet(UNetConfig(...)) would not build."""
    if not isinstance(global_context, bool):
        raise ValueError(f"global_context must be true or false, got {global_context!r}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose from {sorted(ACTIVATIONS)}")
    for name, value in (("n_classes", n_classes), ("width", width)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def check_state(state: dict, n_classes: int, width: int, global_context: bool = False) -> None:
    """Raises ValueError naming what is missing, unexpected or of the wrong shape."""
    expected = parameter_shapes(n_classes, width, global_context)
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        raise ValueError(f"missing {missing[:3]}, unexpected {unexpected[:3]}")
    for k, shape in expected.items():
        if tuple(state[k].shape) != shape:
            raise ValueError(f"size mismatch for {k}: {tuple(state[k].shape)} in the file, {shape} for the card")


# --- the graph ------------------------------------------------------------------------------------------
def unet_graph(state: dict, n_classes: int, activation: str, global_context: bool) -> bytes:
    """UNet.forward on the input "L" (1, 1, H, W) -> the model's bytes, logits (1, Q, H, W)."""
    g, act = Graph(), ACTIVATIONS[activation]

    def conv(op, x, weight, bias, stride):
        k = weight.shape[-1]
        pad = (k - 1) // 2  # 1 for the 3x3 and 4x4 kernels, 0 for the context's 1x1
        return g.op(op, x, g.const(weight), g.const(bias), kernel_shape=[k, k], strides=[stride, stride],
                    pads=[pad] * 4)

    def unit(op, x, prefix, stride):
        """model.conv_unit: convolution, activation, batch norm."""
        x = act(g, conv(op, x, state[f"{prefix}.0.weight"], state[f"{prefix}.0.bias"], stride))
        scale, shift = bn_affine(state, f"{prefix}.2", BN_EPS)
        return g.op("Add", g.op("Mul", x, g.const(scale[:, None, None])), g.const(shift[:, None, None]))

    x, skips = "L", []
    for i in range(4):
        x = unit("Conv", unit("Conv", x, f"down.{i}.0", 1), f"down.{i}.1", 2)
        skips.append(x)
    skips.pop()  # the deepest output is x itself
    if global_context:
        weight, bias = state["context.0.weight"], state["context.0.bias"]
        mean = g.op("ReduceMean", x, axes=[2, 3], keepdims=1)
        x = g.op("Add", x, act(g, conv("Conv", mean, weight[:, :, None, None], bias, 1)))
    for i in range(3):
        x = g.op("Concat", unit("ConvTranspose", x, f"up.{i}", 2), skips.pop(), axis=1)
    logits = conv("ConvTranspose", x, state["head.weight"], state["head.bias"], 2)
    return g.model({"L": [1, 1, "H", "W"]}, logits, [1, n_classes, "H", "W"], name="unet4")


class OnnxUNet:
    """colorizer.nets.unet.UNet for inference: OnnxUNet(state, **config)(L) -> logits."""
    backend = "onnxruntime"  # Colorizer.backend's name for it
    takes_hints, input_multiple = False, INPUT_MULTIPLE

    def __init__(self, state: dict, n_classes: int = DEFAULT_CONFIG["n_classes"], width: int = DEFAULT_CONFIG["width"],
                 activation: str = DEFAULT_CONFIG["activation"], global_context: bool = False, threads: int = None):
        """state: UNet.state_dict() as numpy arrays (float16 or float32, no num_batches_tracked); the rest:
        UNetConfig's fields; threads: the machine's cores."""
        import_onnxruntime()  # first, so that a missing ONNX Runtime is an ImportError before any other check
        check_config(n_classes, width, activation, global_context)
        state = {k: np.asarray(v, dtype=np.float32) for k, v in state.items()}  # fp16 on disk
        check_state(state, n_classes, width, global_context)
        self.n_classes, self.width, self.activation = n_classes, width, activation
        self.global_context = global_context
        self.model = unet_graph(state, n_classes, activation, global_context)
        self.session = cpu_session(self.model, threads)

    def config_dict(self) -> dict:
        """As UNet.config_dict: the ablation's switch only where it is on."""
        config = {"n_classes": self.n_classes, "width": self.width, "activation": self.activation}
        return {**config, "global_context": True} if self.global_context else config

    def __call__(self, L: np.ndarray) -> np.ndarray:
        """L (H, W) normalised like the torch model's input (colorizer.color.normalize_l), sides multiples
        of 16 -> logits (Q, H, W) float32."""
        L = np.asarray(L, dtype=np.float32)
        if L.ndim != 2:
            raise ValueError(f"expected one image (H, W), got shape {L.shape}")
        if L.shape[0] % INPUT_MULTIPLE or L.shape[1] % INPUT_MULTIPLE:
            raise ValueError(f"input sides must be multiples of {INPUT_MULTIPLE}, got {tuple(L.shape)}")
        out, = self.session.run(None, {"L": L[None, None]})
        return out[0]
