"""The U-Net on an ImageNet-trained encoder: L (and optional colour hints) in, ab-class logits out.

Encoder: EfficientNet-Lite (colorizer.nets.efficientnet), fed the photo's lightness as the gray sRGB image of
that L in three equal channels, as ImageNet photos were fed to it. Its features at 1/2, 1/4, 1/8, 1/16
and 1/32 are the skips. Decoder, as the design's: at 1/32 a 1x1 convolution of the deepest features
plus the pooled scene context (Iizuka et al. 2016; `scene_context=False` leaves it out), then at each
finer level bilinear upsampling, concatenation with the skip and the hint map at that level, and a 3x3
convolution + ReLU + batch norm.
The Q class logits come out at 1/`logit_stride` of the input (2 by default: the loss is taken there and
the pipeline's guided upsampling brings the colour to full resolution along the photo's own edges).

Hints (Zhang, Zhu et al. 2017): a map (N, 3, H, W) at the input's size, the hints' ab / HINT_AB_SCALE in two
channels and a mask in the third (colorizer.hints), all zero where there is no hint (colorizer.hints builds it). Each
decoder level sees it pooled to its resolution: the mean ab of the hinted pixels under each cell and a
mask that is 1 wherever any pixel of the cell is hinted, so one click reaches even the 1/32 level.
With `hint_stem`, the encoder sees the hint map too: a 3x3 stride-2 convolution of it, added to the
stem's (as three more input channels of the stem would be). It starts at zero and is zero without hints,
so a frozen encoder computes exactly its ImageNet features for the automatic colour, while the hint
stem's gradient flows through it: hints can change what the encoder sees without the encoder learning.
"""
from dataclasses import asdict, dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F

from .efficientnet import LITE0_BLOCKS, STEM, EfficientNetLite, SameConv
from ..hints import HINT_CHANNELS


@dataclass
class LiteUNetConfig:
    n_classes: int = 104
    encoder: str = "lite0"  # which ImageNet weights it started from (the card names their package)
    blocks: list = field(default_factory=lambda: [list(b) for b in LITE0_BLOCKS])  # the encoder's shape
    decoder: list = field(default_factory=lambda: [192, 128, 96, 64, 32])  # channels at 1/32 .. 1/2
    decoder_depth: int = 1  # 3x3 units at each of 1/16 .. 1/2 (2: a second one after the concatenation)
    logit_stride: int = 2  # logits at 1/2 of the input (1: full size)
    hint_stem: bool = False  # the hint map also enters the encoder, at its stem
    scene_context: bool = True  # the pooled 1/32 features added back at every pixel (False: an ablation)


def l_to_encoder_rgb(L: torch.Tensor) -> torch.Tensor:
    """Normalised L (N, 1, H, W) (L / 50 - 1) -> the gray sRGB of that lightness in three channels, scaled
    as the encoder was trained: (x - 127) / 128 with x in [0, 255]. The CIE and sRGB curves of
    colorizer.color, in torch so that the network takes the same input as the design's U-Net."""
    fy = ((L + 1) * 50 + 16) / 116
    y = torch.where(fy > 6 / 29, fy ** 3, (fy - 16 / 116) * 3 * (6 / 29) ** 2)
    y = y.clamp(0, 1)
    srgb = torch.where(y > 0.0031308, 1.055 * y.clamp_min(0.0031308) ** (1 / 2.4) - 0.055, 12.92 * y)
    return ((srgb * 255 - 127) / 128).expand(-1, 3, -1, -1)


def pool_hints(hints: torch.Tensor, factor: int) -> torch.Tensor:
    """The hint map at 1/factor: mean hinted ab of each cell, and a mask of the cells with any hint."""
    if factor == 1:
        return hints
    ab, mask = hints[:, :2], hints[:, 2:]
    m = F.avg_pool2d(mask, factor)
    ab = F.avg_pool2d(ab * mask, factor) / m.clamp_min(1e-6)
    present = (m * factor * factor).clamp(0, 1)  # 1 where a hinted pixel lies in the cell
    return torch.cat([ab * present, present], dim=1)


def unit(cin: int, cout: int, kernel: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, padding=kernel // 2), nn.ReLU(), nn.BatchNorm2d(cout))


class LiteUNet(nn.Module):
    takes_hints = True  # what colorizer.pipeline asks of any backend's network (the design's U-Net has neither)
    input_multiple = 32
    def __init__(self, config: LiteUNetConfig):
        super().__init__()
        self.config = config
        self.encoder = EfficientNetLite(config.blocks)
        skips = self.encoder.skip_channels  # at 1/2, 1/4, 1/8, 1/16, 1/32
        d = config.decoder
        if len(d) != 5:
            raise ValueError(f"decoder: five widths (1/32 .. 1/2), got {d}")
        if config.logit_stride not in (1, 2):
            raise ValueError(f"logit_stride 1 or 2, got {config.logit_stride}")
        h = HINT_CHANNELS
        self.bottom = unit(skips[4] + h, d[0], 1)
        self.context = nn.Sequential(nn.Linear(d[0], d[0]), nn.ReLU()) if config.scene_context else None
        self.up = nn.ModuleList(unit(d[i] + skips[3 - i] + h, d[i + 1], 3) for i in range(4))
        if config.decoder_depth not in (1, 2):
            raise ValueError(f"decoder_depth 1 or 2, got {config.decoder_depth}")
        self.refine = (nn.ModuleList(unit(d[i + 1], d[i + 1], 3) for i in range(4)) if config.decoder_depth == 2
                       else None)
        self.full = unit(d[4] + h, d[4], 3) if config.logit_stride == 1 else None
        self.head = nn.Conv2d(d[4], config.n_classes, 1)
        self.hint_stem = None
        if config.hint_stem:  # SAME-padded as the stem it adds to; zero: no change until it learns
            self.hint_stem = SameConv(h, STEM, 3, stride=2, bias=False)
            nn.init.zeros_(self.hint_stem.weight)

    def forward(self, L: torch.Tensor, hints: torch.Tensor = None) -> torch.Tensor:
        """L (N, 1, H, W) normalised (L / 50 - 1), sides multiples of 32; hints (N, 3, H, W) or None (no
        hint) -> logits (N, Q, H / logit_stride, W / logit_stride)."""
        n, _, hgt, wid = L.shape
        if hgt % 32 or wid % 32:
            raise ValueError(f"input sides must be multiples of 32, got {(hgt, wid)}")
        if hints is None:
            hints = L.new_zeros(n, HINT_CHANNELS, hgt, wid)
        feats = self.encoder(l_to_encoder_rgb(L), None if self.hint_stem is None else self.hint_stem(hints))
        x = self.bottom(torch.cat([feats[4], pool_hints(hints, 32)], dim=1))
        if self.context is not None:
            x = x + self.context(x.mean(dim=(2, 3)))[:, :, None, None]
        for i, block in enumerate(self.up):
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
            x = block(torch.cat([x, feats[3 - i], pool_hints(hints, 2 ** (4 - i))], dim=1))
            if self.refine is not None:
                x = self.refine[i](x)
        if self.full is not None:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
            x = self.full(torch.cat([x, hints], dim=1))
        return self.head(x)

    def load_encoder(self, encoder: EfficientNetLite) -> None:
        """Start from ImageNet weights (the encoder's shape must match this config's blocks)."""
        state = {k: v for k, v in encoder.state_dict().items() if not k.startswith("_fc.")}
        self.encoder.load_state_dict(state)

    def decoder_parameters(self):
        """Everything but the encoder (the hint stem included: it learns while the encoder is frozen)."""
        return [p for name, p in self.named_parameters() if not name.startswith("encoder.")]

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def config_dict(self) -> dict:
        return asdict(self.config)
