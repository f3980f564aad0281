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


# --- scikit-image's constants and tables, written out in colorizer.color (the app bundles no scikit-image) --
import colorizer.color as color  # noqa: E402
from colorizer.color import rgb_to_lab_fast  # noqa: E402


def test_constants_are_scikit_images():
    from skimage.color import colorconv
    np.testing.assert_array_equal(color.D65_WHITE, colorconv.xyz_tristimulus_values(illuminant="D65", observer="2"))
    np.testing.assert_array_equal(color.XYZ_FROM_RGB, colorconv.xyz_from_rgb)
    np.testing.assert_array_equal(color.RGB_FROM_XYZ, colorconv.rgb_from_xyz)  # its inverse, to the last bit


def test_tables_are_what_scikit_image_gives():
    grays = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)[None]
    np.testing.assert_array_equal(color._GRAY_L, skcolor.rgb2lab(grays)[0, :, 0].astype(np.float32))
    # each level's linear light and its share of Y, against rgb2xyz
    levels = np.arange(256, dtype=np.uint8)
    for c in range(3):
        one = np.zeros((1, 256, 3), np.uint8)
        one[0, :, c] = levels
        xyz = skcolor.rgb2xyz(one)[0]
        np.testing.assert_allclose(color._Y_OF_LEVEL[c], xyz[:, 1], rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(color._LINEAR_OF_LEVEL, skcolor.rgb2xyz(grays)[0, :, 1], rtol=1e-6, atol=1e-9)

    # L -> gray: the 255 steps, from the module's formulas, against those of lab2rgb itself
    def skimage_level(L):
        return skimage_gray(L)[:, 0].astype(np.float64)
    np.testing.assert_allclose(color._GRAY_STEPS, color._steps_of(skimage_level, 0.0, 100.0), rtol=0, atol=1e-12)
    # the linear light -> sRGB level table, against xyz2rgb on the cells' centres (through X = Y = Z / white)
    centres = (np.arange(0, color._LINEAR_CELLS, 97) + 0.5) / color._LINEAR_CELLS
    xyz = centres[:, None] * (color.XYZ_FROM_RGB @ np.ones(3))[None, :]  # linear gray (v, v, v) in XYZ
    expected = np.round(skcolor.xyz2rgb(xyz[None])[0] * 255.0)
    assert np.abs(color._LINEAR_LEVEL[np.arange(0, color._LINEAR_CELLS, 97)] - expected[:, 0]).max() <= 1
    assert (color._LINEAR_LEVEL[np.arange(0, color._LINEAR_CELLS, 97)] != expected[:, 0]).mean() < 1e-3


def test_rgb_to_lab_fast_is_rgb2lab():
    rgb = edge_rgb()
    got = rgb_to_lab_fast(rgb)
    assert got.dtype == np.float32 and got.shape == rgb.shape
    assert np.abs(got - skcolor.rgb2lab(rgb)).max() < 5e-4
    photo = landscape(70, 90, seed=4)
    assert np.abs(rgb_to_lab_fast(photo) - skcolor.rgb2lab(photo)).max() < 5e-4
    as_float = rgb.astype(np.float64) / 255.0  # float input in [0, 1], as rgb_to_lab takes it
    assert np.abs(rgb_to_lab_fast(as_float) - skcolor.rgb2lab(as_float)).max() < 5e-4
    # any leading shape; more pixels than one band (so bands on both threads)
    big = np.random.default_rng(8).integers(0, 256, (300, 250, 3), dtype=np.uint8)
    assert np.abs(rgb_to_lab_fast(big) - skcolor.rgb2lab(big)).max() < 5e-4
    assert rgb_to_lab_fast(big[0, :4]).shape == (4, 3)
    np.testing.assert_array_equal(rgb_to_lab_fast(big[0, :4]), rgb_to_lab_fast(big)[0, :4])
    # its L is rgb_to_l's
    np.testing.assert_allclose(rgb_to_lab_fast(big)[..., 0], rgb_to_l(big), atol=2e-4)


def test_hint_ab_is_rgb2labs():
    from colorizer.hints import Hint
    for rgb in [(0, 0, 0), (255, 255, 255), (255, 0, 0), (12, 200, 90), (90, 120, 200)]:
        ab = Hint(x=1, y=2, color='#%02x%02x%02x' % rgb).ab
        assert ab.dtype == np.float32 and ab.shape == (2,)
        np.testing.assert_allclose(ab, skcolor.rgb2lab(np.array([[rgb]], np.uint8))[0, 0, 1:], atol=5e-4)


def test_app_paths_import_no_scikit_image_or_scipy():
    """The fast paths, Hint.ab and the module itself work without scikit-image, which build.spec leaves out
    of the packaged app (with SciPy); rgb_to_lab / lab_to_rgb still import it when called."""
    import subprocess
    import sys
    code = ("import sys, numpy as np\n"
            "import colorizer.color as c\n"
            "from colorizer.hints import Hint\n"
            "rgb = np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8)\n"
            "lab = c.rgb_to_lab_fast(rgb); c.rgb_to_l(rgb); c.gray_to_l(rgb[..., 0]); c.l_to_gray(lab[..., 0])\n"
            "c.lab_to_rgb_fast(lab); Hint(x=0, y=0, color='#0ac81e').ab\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'skimage', 'scipy'}))\n"
            "c.rgb_to_lab(rgb)\n"
            "print('skimage' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         timeout=300).stdout.split("\n")
    assert out[0] == "[]" and out[1] == "True"
