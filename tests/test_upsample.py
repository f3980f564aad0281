"""colorizer.upsample against slow, straightforward references: the box mean window by window, the
guided filter (He et al. 2010) written out pixel by pixel, and Pillow's bilinear resampling."""
import numpy as np
import pytest
from PIL import Image

from colorizer.upsample import box_mean, guided_coefficients, resize, resize_planes, upsample_ab


def reference_box_mean(x, r):
    h, w = x.shape[-2:]
    out = np.empty(x.shape, np.float64)
    for i in range(h):
        for j in range(w):
            out[..., i, j] = x[..., max(0, i - r):i + r + 1, max(0, j - r):j + r + 1].mean(axis=(-2, -1))
    return out


def reference_guided(I_low, p_low, I_full, r, eps):
    """He et al.'s Algorithm 1 on the low-resolution guide, its mean coefficients upsampled and applied
    to the full-resolution guide (the "fast guided filter")."""
    h, w = I_low.shape
    I = I_low / 100.0  # noqa: E741  (He et al.'s name for the guide image)
    a = np.empty((h, w))
    b = np.empty((h, w))
    for i in range(h):
        for j in range(w):
            win = (slice(max(0, i - r), i + r + 1), slice(max(0, j - r), j + r + 1))
            Iw, pw = I[win], p_low[win]
            cov = (Iw * pw).mean() - Iw.mean() * pw.mean()
            a[i, j] = cov / (Iw.var() + eps)
            b[i, j] = pw.mean() - a[i, j] * Iw.mean()
    A, B = reference_box_mean(a, r), reference_box_mean(b, r)
    shape = I_full.shape
    up = [np.asarray(Image.fromarray(c.astype(np.float32)).resize(shape[::-1], Image.Resampling.BILINEAR))
          for c in (A, B)]
    return up[0] * (I_full / 100.0) + up[1]


@pytest.mark.parametrize("shape,r", [((7, 9), 1), ((12, 5), 2), ((3, 4), 4), ((1, 6), 1)])
def test_box_mean_is_the_window_mean(shape, r):
    x = np.random.default_rng(0).normal(size=(2,) + shape)
    assert np.allclose(box_mean(x, r), reference_box_mean(x, r), atol=1e-12)


@pytest.mark.parametrize("r,eps", [(1, 1e-3), (2, 1e-2)])
def test_guided_coefficients_are_the_guided_filter(r, eps):
    rng = np.random.default_rng(1)
    I_low = rng.uniform(0, 100, (12, 16))
    I_low[:, 8:] += 40  # an edge
    ab_low = rng.normal(0, 20, (2, 12, 16))
    I_full = np.asarray(Image.fromarray(I_low.astype(np.float32)).resize((64, 48), Image.Resampling.BILINEAR))
    I_full = I_full + rng.normal(0, 2, I_full.shape).astype(np.float32)  # detail the low-resolution guide lacks
    planes = guided_coefficients(I_low, ab_low, r, eps)
    a, b = upsample_ab(planes, I_full.astype(np.float32))
    for got, p in zip((a, b), ab_low):
        assert np.allclose(got, reference_guided(I_low, p, I_full, r, eps), atol=1e-3)


def test_an_edge_keeps_its_colours_apart_and_flat_lightness_gives_the_smoothed_colour():
    """Across an L edge that ab follows, guided colour steps at the full-resolution edge instead of
    blending over the network's coarse pixels; where L is flat the filter is a smoothing of ab."""
    h, w, scale = 16, 16, 8
    L_full = np.full((h * scale, w * scale), 30.0, np.float32)
    L_full[:, 61:] = 80.0  # dark land | bright sky, the edge inside a low-resolution pixel
    L_low = resize(L_full, (h, w))
    ab = np.stack([-40 + 80 * (L_low - 30) / 50, np.zeros_like(L_low)])  # -40 on land, +40 in the sky
    ideal = np.where(L_full > 55, 40.0, -40.0)
    guided_a, _ = upsample_ab(guided_coefficients(L_low, ab), L_full)
    bilinear_a, _ = upsample_ab(ab, L_full)
    near = slice(50, 72)  # columns within a low-resolution pixel or so of the edge
    guided_err, bilinear_err = (np.abs(x - ideal)[:, near].mean() for x in (guided_a, bilinear_a))
    assert guided_err < bilinear_err / 1.5  # (eps shrinks the fitted slope a little: not all of it)
    assert (np.sign(guided_a[:, :61]) == -1).all() and (np.sign(guided_a[:, 61:]) == 1).all()
    assert (np.sign(bilinear_a[:, 61:64]) != 1).any() or (np.sign(bilinear_a[:, 58:61]) != -1).any()  # it bleeds

    flat = np.full((h * scale, w * scale), 50.0, np.float32)
    smooth = np.random.default_rng(2).normal(0, 5, (2, h, w)).astype(np.float32)
    a, _ = upsample_ab(guided_coefficients(resize(flat, (h, w)), smooth), flat)
    expected = resize(box_mean(box_mean(smooth[0], 2), 2).astype(np.float32), flat.shape)
    assert np.allclose(a, expected, atol=1e-3)


@pytest.mark.parametrize("shape,box", [((300, 400), None), ((50, 70), (10.3, 5.1, 20.7, 12.2)), ((48, 64), None),
                                       ((1, 1), (3, 3, 3.2, 3.1)), ((100, 3), (0, 0, 1, 48)), ((20, 30), None)])
def test_resize_planes_is_pillows_bilinear(shape, box):
    planes = np.random.default_rng(3).normal(0, 30, (2, 48, 64)).astype(np.float32)
    expected = np.stack([np.asarray(Image.fromarray(p).resize(shape[::-1], Image.Resampling.BILINEAR, box=box))
                         for p in planes])
    assert np.allclose(resize_planes(planes, shape, box), expected, atol=1e-3)
    one = planes[:, :1, :1]
    assert np.allclose(resize_planes(one, (5, 7)), one[:, :1, :1])
