"""CIE Lab conversions and the network's scaling of L."""
import warnings

import numpy as np
import pytest
import torch
from skimage import color as skcolor

from colorizer.color import l_to_gray, lab_to_rgb, normalize_l, rgb_to_lab
from synthetic import landscape


def skimage_gray(L):
    """scikit-image's own conversion of (L, 0, 0), rounded to uint8 as the library rounds."""
    L = np.asarray(L, dtype=np.float64)
    rgb = skcolor.lab2rgb(np.stack([L, np.zeros_like(L), np.zeros_like(L)], axis=-1))
    return np.round(np.clip(rgb, 0, 1) * 255).astype(np.uint8)


def test_rgb_lab_round_trip_is_exact_for_uint8():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (64, 80, 3), dtype=np.uint8)
    rgb[0, :8] = [[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0],
                  [0, 255, 255], [255, 0, 255]]  # the corners of the gamut
    lab = rgb_to_lab(rgb)
    assert lab.dtype == np.float32 and lab.shape == rgb.shape
    assert np.array_equal(lab_to_rgb(lab), rgb)


def test_lab_to_rgb_in_bands_equals_one_piece():
    lab = rgb_to_lab(landscape(70, 33, seed=2))
    whole = lab_to_rgb(lab, rows_per_chunk=1000)
    assert np.array_equal(lab_to_rgb(lab, rows_per_chunk=16), whole)
    assert np.array_equal(lab_to_rgb(lab, rows_per_chunk=1), whole)


def test_lab_ranges_of_known_colours():
    lab = rgb_to_lab(np.array([[[0, 0, 0], [255, 255, 255], [128, 128, 128]]], np.uint8))[0]
    assert lab[0, 0] == pytest.approx(0, abs=1e-3) and lab[1, 0] == pytest.approx(100, abs=1e-3)
    assert np.abs(lab[:, 1:]).max() < 1e-2  # neutral colours have no chroma


def test_l_to_gray_equals_skimage_on_a_dense_sweep():
    rng = np.random.default_rng(1)
    L = np.concatenate([np.linspace(0, 100, 200_001), rng.uniform(0, 100, 100_000)]).astype(np.float32)
    assert np.array_equal(l_to_gray(L), skimage_gray(L)[:, 0])
    # a, b = 0 is neutral up to scikit-image's white point: the other channels differ by at most one level
    assert np.abs(l_to_gray(L).astype(int) - skimage_gray(L)[:, 1:].astype(int).T).max() <= 1


def test_l_to_gray_keeps_shape_and_clips():
    L = np.array([[-10.0, 0.0], [100.0, 130.0]], dtype=np.float32)
    g = l_to_gray(L)
    assert g.shape == (2, 2) and g.dtype == np.uint8
    assert g.tolist() == [[0, 0], [255, 255]]


def test_gray_of_a_gray_photo_is_the_photo():
    g = np.arange(256, dtype=np.uint8)
    L = rgb_to_lab(np.repeat(g[None, :, None], 3, axis=2))[0, :, 0]
    assert np.array_equal(l_to_gray(L), g)


def test_normalize_l_maps_range_to_minus_one_one_on_arrays_and_tensors():
    L = np.array([0.0, 50.0, 100.0], dtype=np.float32)
    assert normalize_l(L).tolist() == [-1.0, 0.0, 1.0]
    assert normalize_l(torch.from_numpy(L)).tolist() == [-1.0, 0.0, 1.0]


def test_rgb_to_lab_in_bands_equals_one_conversion():
    rgb = np.random.default_rng(3).integers(0, 256, (37, 23, 3), dtype=np.uint8)
    expected = skcolor.rgb2lab(rgb).astype(np.float32)
    np.testing.assert_array_equal(rgb_to_lab(rgb, rows_per_chunk=7), expected)


# --- the float32 fast paths against scikit-image ---------------------------------------------------
from colorizer.color import gray_to_l, lab_to_rgb8, lab_to_rgb_fast, rgb_to_l  # noqa: E402


def edge_rgb():
    """Every gray level, the gamut's corners and edges, and random colours."""
    rng = np.random.default_rng(5)
    g = np.arange(256, dtype=np.uint8)
    ramps = [np.stack([g, g, g], -1), np.stack([g, 0 * g, 0 * g], -1), np.stack([0 * g, g, 0 * g], -1),
             np.stack([0 * g, 0 * g, g], -1), np.stack([g, 255 - g, 0 * g + 255], -1)]
    return np.concatenate(ramps + [rng.integers(0, 256, (256 * 15, 3), dtype=np.uint8)]).reshape(80, 64, 3)


def test_rgb_to_l_is_rgb2labs_lightness():
    rgb = edge_rgb()
    expected = skcolor.rgb2lab(rgb)[..., 0]
    got = rgb_to_l(rgb)
    assert got.dtype == np.float32 and got.shape == rgb.shape[:2]
    assert np.abs(got - expected).max() < 1e-3
    assert np.abs(rgb_to_l(landscape(70, 90)) - skcolor.rgb2lab(landscape(70, 90))[..., 0]).max() < 1e-3


def test_gray_to_l_is_rgb2labs_lightness_of_the_gray():
    g = np.arange(256, dtype=np.uint8).reshape(16, 16)
    expected = skcolor.rgb2lab(np.repeat(g[..., None], 3, axis=2))[..., 0]
    assert np.abs(gray_to_l(g) - expected).max() < 1e-4
    assert gray_to_l(g)[0, 0] == 0 and abs(gray_to_l(g)[-1, -1] - 100) < 1e-3


def test_lab_to_rgb8_round_trips_every_edge_colour():
    rgb = edge_rgb()
    lab = rgb_to_lab(rgb)
    assert np.abs(lab_to_rgb_fast(lab).astype(int) - rgb).max() <= 1
    assert np.abs(lab_to_rgb8(lab[..., 0], lab[..., 1], lab[..., 2]).astype(int) - rgb).max() <= 1


def test_lab_to_rgb8_is_lab2rgb_out_of_gamut_too():
    """Lab far outside sRGB (clipped per channel, negative z set to 0, as lab2rgb does), pure black and
    white, and L outside [0, 100]."""
    rng = np.random.default_rng(6)
    n = 200_000
    lab = np.stack([rng.uniform(-5, 105, n), rng.uniform(-160, 160, n), rng.uniform(-160, 160, n)], -1)
    lab[:6] = [[0, 0, 0], [100, 0, 0], [50, 127, 127], [50, -128, -128], [100, 127, -128], [0, -128, 127]]
    lab = lab.astype(np.float32).reshape(400, 500, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lab2rgb warns about the negative z values it clips
        expected = lab_to_rgb(lab)
    got = lab_to_rgb_fast(lab)
    diff = np.abs(got.astype(int) - expected)
    assert diff.max() <= 1 and (diff > 0).mean() < 1e-3  # one level, on float32 ties only
    assert got[0, 0].tolist() == [0, 0, 0] and got[0, 1].tolist() == [255, 255, 255]
