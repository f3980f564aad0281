"""The trained U-Net (colorizer.model) run with numpy alone, for inference where torch is not installed.

torch's CPU library is 330 MB, more than the rest of the packaged app; the network needs only five
operations, written here: 3x3 and 4x4 (stride 2) convolutions, 4x4 stride-2 transposed convolutions,
the activation, and batch norm in eval mode (a per-channel affine map). Every convolution is one to four
BLAS matrix products in float32 (see "layers" below; docs/speed.md has the measurements), so the time
goes where torch spends it too.

Arrays are one image, channels first: (C, H, W), float32. The parameters are read from the state dict
of colorizer.model.UNet (as saved by colorizer.weights.save_model) under the same names; the layer
structure below mirrors UNet.__init__ and UNet.forward.
"""
import itertools
import threading

import numpy as np

BN_EPS = 1e-5  # nn.BatchNorm2d's default, which the model uses
LEAKY_SLOPE = 0.1  # model.ACTIVATIONS["leaky_relu"]


# --- activations, in place on float32 arrays (the same names as model.ACTIVATIONS) ----------------------
def _sigmoid(y: np.ndarray) -> None:
    # exp(-y) overflows to inf for y < -88, and 1 / (1 + inf) = 0 is then the right value
    with np.errstate(over="ignore"):
        np.negative(y, out=y)
        np.exp(y, out=y)
    y += 1.0
    np.reciprocal(y, out=y)


def _relu(y: np.ndarray) -> None:
    np.maximum(y, 0.0, out=y)


def _leaky_relu(y: np.ndarray) -> None:
    np.maximum(y, LEAKY_SLOPE * y, out=y)  # max(y, 0.1 y) is y above 0 and 0.1 y below, as the slope < 1


def _silu(y: np.ndarray) -> None:
    gate = y.copy()
    _sigmoid(gate)
    y *= gate


ACTIVATIONS = {"sigmoid": _sigmoid, "relu": _relu, "leaky_relu": _leaky_relu, "silu": _silu}
DEFAULT_CONFIG = {"n_classes": 104, "width": 64, "activation": "sigmoid", "global_context": False}  # UNetConfig's


# --- layers -----------------------------------------------------------------------------------------
# Every layer is one or a few BLAS products on views of a zero-padded copy of its input, flattened per
# channel: with the padded rows laid end to end, the input shifted by (dy, dx) is the same array read
# from dy * (W + 2) + dx on, a view with unit column stride that BLAS takes as it is. Each output row
# then comes with two columns of garbage (the windows that wrap round the row's end), cut off at the
# end. The copies this needs are whole rows (memcpy), where an im2col gathers every window element.
class Buffers:
    """The arrays a layer writes into, kept from one pass to the next: a fresh allocation of this size
    is a fresh memory mapping whose every page faults on first touch, 15 % of a pass at 256 px
    (docs/speed.md). A buffer is zeroed once, when made; the layers write only the parts that carry
    data, so a padding border stays zero. The networks of a process share one store (SHARED, about
    90 MB at 256 px: the window may hold three models), each layer under its own prefix, so one pass
    at a time may use it (NumpyUNet holds PASS_LOCK)."""

    def __init__(self, store: dict = None, prefix: str = ""):
        self._arrays = {} if store is None else store
        self._prefix = prefix

    def get(self, name: str, shape: tuple, source: tuple) -> np.ndarray:
        """The array `name` of this shape, for an input of shape `source`: a buffer is reused only for
        the same input shape, as inputs of different shapes can need buffers of one shape (48x32 and
        32x48) whose zero borders lie elsewhere."""
        key = f"{self._prefix}/{name}"
        kept = self._arrays.get(key)
        if kept is None or kept[0] != (shape, source):
            kept = self._arrays[key] = ((shape, source), np.zeros(shape, dtype=np.float32))
        return kept[1]


SHARED = {}  # "layer/name" -> ((shape, input shape), array): the store of every NumpyUNet's layers
PASS_LOCK = threading.Lock()


def _shifted_rows(x: np.ndarray, buffers: Buffers, k: int, length: int) -> np.ndarray:
    """(C k k, length): x with a one-pixel zero border, each channel's rows end to end, read from
    dy (W + 2) + dx on for every shift dy, dx in 0..k-1; rows ordered (channel, dy, dx)."""
    c, h, w = x.shape
    wp = w + 2
    flat = buffers.get("padded", (c, (h + 2) * wp + 2), x.shape)  # 2 zeros after: the last shift's overrun
    flat[:, :(h + 2) * wp].reshape(c, h + 2, wp)[:, 1:-1, 1:-1] = x
    stacked = buffers.get("stacked", (c, k, k, length), x.shape)
    for dy, dx in itertools.product(range(k), range(k)):
        stacked[:, dy, dx] = flat[:, dy * wp + dx:dy * wp + dx + length]
    return stacked.reshape(c * k * k, length)


class Conv2d:
    """k x k convolution, padding 1: k = 3 at stride 1, or k = 4 at stride 2 (the model's two kinds).

    Stride 1: the k^2 shifted views copied into one (Cin k^2, H (W + 2)) matrix, then one product.
    Stride 2: the padded input split into its four (even/odd row, even/odd column) sub-images
    (space to depth, 4 Cin channels at half size), on which the layer is a 2 x 2 convolution at
    stride 1: four products (Cout, 4 Cin) @ (4 Cin, pixels) on shifted views, added up."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray, stride: int, buffers: Buffers = None):
        self.c_out, self.c_in, self.k, _ = weight.shape
        if (self.k, stride) not in ((3, 1), (4, 2)):
            raise ValueError(f"only 3x3 at stride 1 and 4x4 at stride 2, not {self.k}x{self.k} at stride {stride}")
        self.stride = stride
        self.bias = np.asarray(bias, dtype=np.float32).reshape(-1, 1)
        self.buffers = buffers or Buffers()
        weight = np.asarray(weight, dtype=np.float32)
        if stride == 1:  # columns (channel, dy, dx), the rows of the stacked shifts
            self.weight = np.ascontiguousarray(weight.reshape(self.c_out, -1))
        else:  # kernel row 2a + r, column 2b + s: one (Cout, (r, s, channel)) matrix per shift (a, b)
            w6 = weight.reshape(self.c_out, self.c_in, 2, 2, 2, 2)  # (cout, cin, a, r, b, s)
            self.shifts = [((a, b), np.ascontiguousarray(w6[:, :, a, :, b, :].transpose(0, 2, 3, 1).reshape(self.c_out, -1)))
                           for a in range(2) for b in range(2)]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """x (Cin, H, W) -> (Cout, H', W') with H' = (H + 2 - k) // stride + 1."""
        return self._stride1(x) if self.stride == 1 else self._stride2(x)

    def _stride1(self, x):
        _, h, w = x.shape
        wp, n = w + 2, h * (w + 2)
        stacked = _shifted_rows(x, self.buffers, 3, n)
        y = np.matmul(self.weight, stacked, out=self.buffers.get("out", (self.c_out, n), x.shape))
        y += self.bias
        return y.reshape(self.c_out, h, wp)[:, :, :w]

    def _stride2(self, x):
        c, h, w = x.shape
        ho, wo = h // 2, w // 2
        hu, wu = ho + 1, wo + 1  # the sub-images' size: output plus the 2 x 2 kernel's overhang
        padded = self.buffers.get("padded", (c, 2 * hu, 2 * wu), x.shape)  # 2 hu >= h + 1: x and the top/left border
        padded[:, 1:1 + h, 1:1 + w] = x
        sub = self.buffers.get("sub", (2, 2, c, hu * wu + wu + 1), x.shape)  # (r, s, channel, pixels + overrun)
        for r, s in itertools.product(range(2), range(2)):
            sub[r, s, :, :hu * wu].reshape(c, hu, wu)[...] = padded[:, r::2, s::2]
        sub = sub.reshape(4 * c, -1)
        n = ho * wu
        y, part = self.buffers.get("out", (self.c_out, n), x.shape), self.buffers.get("part", (self.c_out, n), x.shape)
        for i, ((a, b), weight) in enumerate(self.shifts):
            np.matmul(weight, sub[:, a * wu + b:a * wu + b + n], out=part if i else y)
            if i:
                y += part
        y += self.bias
        return y.reshape(self.c_out, ho, wu)[:, :, :wo]


class ConvTranspose2d:
    """4 x 4 transposed convolution, stride 2, padding 1: doubles H and W.

    Each of the four output phases (even/odd row, even/odd column) is a 2 x 2 convolution of the input:
    output 2m + py gets kernel row k from input row m + d, d = (py + 1 - k) / 2, which picks two taps
    per axis. The input's four shifted views (by 0 or 1 row and column) are copied once into one
    (4 Cin, pixels) matrix; each phase is then one (Cout, 4 Cin) product on a view of it, offset by
    the phase's smallest shift, written into the output at stride 2. Exactly the layer's multiply-adds,
    and a quarter of the output per product (an earlier version made all 16 tap maps in one product and
    added them up afterwards: four times the memory traffic)."""

    K, STRIDE, PAD = 4, 2, 1

    def __init__(self, weight: np.ndarray, bias: np.ndarray, buffers: Buffers = None):
        self.c_in, self.c_out = weight.shape[:2]  # torch's layout: (Cin, Cout, kH, kW)
        weight = np.asarray(weight, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float32).reshape(-1, 1, 1)
        self.buffers = buffers or Buffers()
        self.phases = []
        for py, px in itertools.product(range(self.STRIDE), range(self.STRIDE)):
            rows, cols = self.phase_taps(py), self.phase_taps(px)  # [(tap, shift)], smallest shift first
            w = np.empty((self.c_out, self.c_in, 2, 2), dtype=np.float32)
            for (i, (ky, _)), (j, (kx, _)) in itertools.product(enumerate(rows), enumerate(cols)):
                w[:, :, i, j] = weight[:, :, ky, kx].T
            self.phases.append((py, px, rows[0][1], cols[0][1], w.reshape(self.c_out, -1)))

    @classmethod
    def phase_taps(cls, phase: int) -> list:
        """[(tap k, input shift d)] of one output phase along one axis, smallest shift first: input pixel
        i reaches output STRIDE i - PAD + k, so output STRIDE m + phase gets tap k from input m + d,
        d = (phase + PAD - k) / STRIDE."""
        taps = [(k, (phase + cls.PAD - k) // cls.STRIDE) for k in range(cls.K)
                if (phase + cls.PAD - k) % cls.STRIDE == 0]
        return sorted(taps, key=lambda tap: tap[1])

    def __call__(self, x: np.ndarray, out: np.ndarray = None) -> np.ndarray:
        """x (Cin, H, W) -> (Cout, 2H, 2W), written into `out` if given (a view into a larger array)."""
        _, h, w = x.shape
        wp, n = w + 2, h * (w + 2)
        shifted = _shifted_rows(x, self.buffers, 2, n + wp + 1)  # room for the largest phase offset
        if out is None:
            out = np.empty((self.c_out, 2 * h, 2 * w), dtype=np.float32)
        phase = self.buffers.get("phase", (self.c_out, n), x.shape)
        for py, px, dy, dx, weight in self.phases:
            start = (1 + dy) * wp + (1 + dx)  # input pixel (m + dy, n + dx) in the padded rows
            np.matmul(weight, shifted[:, start:start + n], out=phase)
            np.add(phase.reshape(self.c_out, h, wp)[:, :, :w], self.bias, out=out[:, py::2, px::2])
        return out


class BatchNorm:
    """nn.BatchNorm2d in eval mode: the per-channel affine map scale x + shift. It follows the
    activation in this model, so it cannot be folded into the convolution before it."""

    def __init__(self, weight, bias, running_mean, running_var):
        scale = np.asarray(weight, np.float64) / np.sqrt(np.asarray(running_var, np.float64) + BN_EPS)
        self.scale = scale.astype(np.float32).reshape(-1, 1, 1)
        self.shift = (np.asarray(bias, np.float64) - np.asarray(running_mean, np.float64) * scale
                      ).astype(np.float32).reshape(-1, 1, 1)

    def __call__(self, y: np.ndarray) -> None:
        y *= self.scale
        y += self.shift


class Unit:
    """colorizer.model.conv_unit: convolution, activation, batch norm."""

    def __init__(self, conv, activation: str, bn: BatchNorm):
        self.conv, self.activation, self.bn = conv, ACTIVATIONS[activation], bn

    def __call__(self, x: np.ndarray, out: np.ndarray = None) -> np.ndarray:
        y = self.conv(x) if out is None else self.conv(x, out=out)
        self.activation(y)
        self.bn(y)
        return y


# --- the network --------------------------------------------------------------------------------------
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


class NumpyUNet:
    """colorizer.model.UNet for inference: NumpyUNet(state, n_classes, width, activation)(L) -> logits."""

    def __init__(self, state: dict, n_classes: int = DEFAULT_CONFIG["n_classes"], width: int = DEFAULT_CONFIG["width"],
                 activation: str = DEFAULT_CONFIG["activation"], global_context: bool = False):
        check_config(n_classes, width, activation, global_context)
        state = {k: np.asarray(v, dtype=np.float32) for k, v in state.items()}  # fp16 on disk
        check_state(state, n_classes, width, global_context)
        self.n_classes, self.width, self.activation = n_classes, width, activation
        self.global_context = global_context
        if global_context:  # nn.Linear: y = W x + b
            self.context = (state["context.0.weight"], state["context.0.bias"])

        def bn(prefix):
            return BatchNorm(*(state[f"{prefix}.2.{n}"] for n in ("weight", "bias", "running_mean", "running_var")))

        def conv_unit(prefix, stride):
            return Unit(Conv2d(state[f"{prefix}.0.weight"], state[f"{prefix}.0.bias"], stride, Buffers(SHARED, prefix)),
                        activation, bn(prefix))

        def up_unit(prefix):
            return Unit(ConvTranspose2d(state[f"{prefix}.0.weight"], state[f"{prefix}.0.bias"], Buffers(SHARED, prefix)),
                        activation, bn(prefix))

        self.down = [(conv_unit(f"down.{i}.0", 1), conv_unit(f"down.{i}.1", 2)) for i in range(4)]
        self.up = [up_unit(f"up.{i}") for i in range(3)]
        self.head = ConvTranspose2d(state["head.weight"], state["head.bias"], Buffers(SHARED, "head"))

    def config_dict(self) -> dict:
        config = {"n_classes": self.n_classes, "width": self.width, "activation": self.activation}
        return {**config, "global_context": True} if self.global_context else config

    def __call__(self, L: np.ndarray) -> np.ndarray:
        """L (H, W), normalised like the torch model's input (colorizer.color.normalize_l) ->
        logits (Q, H, W) float32."""
        L = np.asarray(L, dtype=np.float32)
        if L.ndim != 2:
            raise ValueError(f"expected one image (H, W), got shape {L.shape}")
        if L.shape[0] % 16 or L.shape[1] % 16:
            raise ValueError(f"input sides must be multiples of 16, got {tuple(L.shape)}")
        with PASS_LOCK:  # the layers' buffers hold one pass at a time
            return self._forward(L[None])

    def _forward(self, x: np.ndarray) -> np.ndarray:
        skips = []
        for same, down in self.down:
            x = down(same(x))
            skips.append(x)
        skips.pop()  # the deepest output is x itself
        if self.global_context:
            weight, bias = self.context
            g = weight @ x.mean(axis=(1, 2)) + bias
            ACTIVATIONS[self.activation](g)
            x = x + g[:, None, None]
        for unit in self.up:
            skip = skips.pop()
            # the unit writes its output straight into the first channels of the concatenation
            joined = unit.conv.buffers.get("joined", (unit.conv.c_out + skip.shape[0], *skip.shape[1:]), x.shape)
            unit(x, out=joined[:unit.conv.c_out])
            joined[unit.conv.c_out:] = skip
            x = joined
        return self.head(x, out=np.empty((self.n_classes, 2 * x.shape[1], 2 * x.shape[2]), dtype=np.float32))
