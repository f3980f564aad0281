"""The trained U-Net (colorizer.model) run with numpy alone, for inference where torch is not installed.

torch's CPU library is 330 MB, more than the rest of the packaged app; the network needs only five
operations, written here: 3x3 and 4x4 (stride 2) convolutions, 4x4 stride-2 transposed convolutions,
the activation, and batch norm in eval mode (a per-channel affine map). Every convolution is one BLAS
matrix product in float32, so the time goes where torch spends it too.

Arrays are one image, channels first: (C, H, W), float32. The parameters are read from the state dict
of colorizer.model.UNet (as saved by colorizer.weights.save_model) under the same names; the layer
structure below mirrors UNet.__init__ and UNet.forward.
"""
import itertools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

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
DEFAULT_CONFIG = {"n_classes": 104, "width": 64, "activation": "sigmoid"}  # model.UNetConfig's defaults


# --- layers -----------------------------------------------------------------------------------------
class Conv2d:
    """k x k convolution, padding 1, stride 1 or 2: im2col, then one (Cout, Cin k k) @ (Cin k k, pixels)
    product."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray, stride: int):
        self.c_out, self.c_in, self.k, _ = weight.shape
        self.weight = np.ascontiguousarray(weight.reshape(self.c_out, -1), dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float32).reshape(-1, 1)
        self.stride = stride

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """x (Cin, H, W) -> (Cout, H', W') with H' = (H + 2 - k) // stride + 1."""
        cols, h, w = self._im2col(x)
        y = self.weight @ cols
        y += self.bias
        return y.reshape(self.c_out, h, w)

    def _im2col(self, x: np.ndarray) -> tuple:
        """(Cin k k, H' W') patches, rows ordered (channel, ky, kx) like the flattened weight."""
        c, h, w = x.shape
        padded = np.zeros((c, h + 2, w + 2), dtype=np.float32)
        padded[:, 1:-1, 1:-1] = x
        # a view of every k x k window, (C, H'', W'', k, k); the stride is taken by slicing the view
        windows = sliding_window_view(padded, (self.k, self.k), axis=(1, 2))[:, ::self.stride, ::self.stride]
        h_out, w_out = windows.shape[1:3]
        # the one copy of the layer: windows moved in front of the pixels, so that the rows of the product
        # are output channels and its columns pixels, already in (C, H, W) order
        cols = np.ascontiguousarray(windows.transpose(0, 3, 4, 1, 2)).reshape(c * self.k * self.k, h_out * w_out)
        return cols, h_out, w_out


class ConvTranspose2d:
    """4 x 4 transposed convolution, stride 2, padding 1: doubles H and W.

    One product (16 Cout, Cin) @ (Cin, pixels) gives every input pixel's contribution to each of its 16
    output neighbours (one map per kernel tap), then a col2im step adds those maps up. This needs no
    im2col copy of the input (it is the product's right operand as it is) and does exactly the layer's
    multiply-adds; the other way, four 2 x 2 convolutions (one per output sub-pixel phase), needs an
    im2col copy per phase and four products, or one product with 9/4 as many multiply-adds on a shared
    3 x 3 im2col.

    The col2im is done per output phase rather than as 16 stride-2 additions into the output: each of
    the four phases (even/odd row, even/odd column) is the sum of four tap maps shifted by at most one
    pixel, added in contiguous memory, and only the finished phase is written at stride 2 (three times
    faster than the 16 strided additions at the head's size).
    """

    K, STRIDE, PAD = 4, 2, 1

    def __init__(self, weight: np.ndarray, bias: np.ndarray):
        self.c_in, self.c_out = weight.shape[:2]  # torch's layout: (Cin, Cout, kH, kW)
        # rows ordered (ky, kx, cout), so that the product reshapes to (ky, kx, Cout, H, W) for free
        self.weight = np.ascontiguousarray(weight.transpose(2, 3, 1, 0).reshape(-1, self.c_in), dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float32).reshape(-1, 1, 1)

    @classmethod
    def phase_taps(cls, phase: int) -> list:
        """[(tap k, input shift d)] of one output phase along one axis: input pixel i reaches output
        STRIDE i - PAD + k, so output STRIDE m + phase gets tap k from input m + d, d = (phase + PAD - k) / STRIDE.
        The shift-0 tap comes first."""
        taps = [(k, (phase + cls.PAD - k) // cls.STRIDE) for k in range(cls.K)
                if (phase + cls.PAD - k) % cls.STRIDE == 0]
        return sorted(taps, key=lambda tap: tap[1] != 0)

    def __call__(self, x: np.ndarray, out: np.ndarray = None) -> np.ndarray:
        """x (Cin, H, W) -> (Cout, 2H, 2W), written into `out` if given (a view into a larger array)."""
        c, h, w = x.shape
        s = self.STRIDE
        taps = (self.weight @ x.reshape(c, h * w)).reshape(self.K, self.K, self.c_out, h, w)
        if out is None:
            out = np.empty((self.c_out, s * h, s * w), dtype=np.float32)
        phase = np.empty((self.c_out, h, w), dtype=np.float32)
        for py, px in itertools.product(range(s), range(s)):
            (unshifted, *shifted) = itertools.product(self.phase_taps(py), self.phase_taps(px))
            (ky, _), (kx, _) = unshifted
            np.add(taps[ky, kx], self.bias, out=phase)
            for (ky, dy), (kx, dx) in shifted:
                _add_shifted(phase, taps[ky, kx], dy, dx)
            out[:, py::s, px::s] = phase
        return out


def _add_shifted(acc: np.ndarray, src: np.ndarray, dy: int, dx: int) -> None:
    """acc[:, m, n] += src[:, m + dy, n + dx] wherever m + dy and n + dx are inside src (zero outside)."""
    h, w = acc.shape[1:]
    acc[:, max(0, -dy):h - max(0, dy), max(0, -dx):w - max(0, dx)] += \
        src[:, max(0, dy):h - max(0, -dy), max(0, dx):w - max(0, -dx)]


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
def parameter_shapes(n_classes: int, width: int) -> dict:
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
    return shapes


def check_config(n_classes, width, activation) -> None:
    """Raises ValueError for what UNet(UNetConfig(...)) would not build."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose from {sorted(ACTIVATIONS)}")
    for name, value in (("n_classes", n_classes), ("width", width)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def check_state(state: dict, n_classes: int, width: int) -> None:
    """Raises ValueError naming what is missing, unexpected or of the wrong shape."""
    expected = parameter_shapes(n_classes, width)
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
                 activation: str = DEFAULT_CONFIG["activation"]):
        check_config(n_classes, width, activation)
        state = {k: np.asarray(v, dtype=np.float32) for k, v in state.items()}  # fp16 on disk
        check_state(state, n_classes, width)
        self.n_classes, self.width, self.activation = n_classes, width, activation

        def bn(prefix):
            return BatchNorm(*(state[f"{prefix}.2.{n}"] for n in ("weight", "bias", "running_mean", "running_var")))

        def conv_unit(prefix, stride):
            return Unit(Conv2d(state[f"{prefix}.0.weight"], state[f"{prefix}.0.bias"], stride), activation, bn(prefix))

        def up_unit(prefix):
            return Unit(ConvTranspose2d(state[f"{prefix}.0.weight"], state[f"{prefix}.0.bias"]), activation, bn(prefix))

        self.down = [(conv_unit(f"down.{i}.0", 1), conv_unit(f"down.{i}.1", 2)) for i in range(4)]
        self.up = [up_unit(f"up.{i}") for i in range(3)]
        self.head = ConvTranspose2d(state["head.weight"], state["head.bias"])

    def config_dict(self) -> dict:
        return {"n_classes": self.n_classes, "width": self.width, "activation": self.activation}

    def __call__(self, L: np.ndarray) -> np.ndarray:
        """L (H, W), normalised like the torch model's input (colorizer.color.normalize_l) ->
        logits (Q, H, W) float32."""
        L = np.asarray(L, dtype=np.float32)
        if L.ndim != 2:
            raise ValueError(f"expected one image (H, W), got shape {L.shape}")
        if L.shape[0] % 16 or L.shape[1] % 16:
            raise ValueError(f"input sides must be multiples of 16, got {tuple(L.shape)}")
        x = L[None]
        skips = []
        for same, down in self.down:
            x = down(same(x))
            skips.append(x)
        skips.pop()  # the deepest output is x itself
        for unit in self.up:
            skip = skips.pop()
            # the unit writes its output straight into the first channels of the concatenation
            joined = np.empty((unit.conv.c_out + skip.shape[0], *skip.shape[1:]), dtype=np.float32)
            unit(x, out=joined[:unit.conv.c_out])
            joined[unit.conv.c_out:] = skip
            x = joined
        return self.head(x)
