"""The full-resolution path of Prediction: decode and gray of the whole photo, of a box and shrunk, in
bands on two threads, against scikit-image's conversion of the same Lab."""
import warnings

import numpy as np
import pytest
from skimage import color as skcolor

import colorizer.color as color
from colorizer.pipeline import Prediction, image_to_l
from colorizer.upsample import resize
from synthetic import landscape


def skimage_rgb(L, ab):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lab2rgb warns about the out-of-gamut pixels it clips
        rgb = skcolor.lab2rgb(np.concatenate([L[..., None], ab], axis=-1).astype(np.float64))
    return np.round(np.clip(rgb, 0, 1) * 255).astype(np.uint8)


def max_level_error(a, b) -> int:
    return int(np.abs(a.astype(int) - b.astype(int)).max())


@pytest.fixture(params=["bilinear", "guided"])
def prediction(request):
    """A 4:3 photo's L with random vivid logits at a 64 x 48 'network' resolution."""
    rng = np.random.default_rng(0)
    L = image_to_l(landscape(300, 400, seed=3))
    logits = rng.normal(0, 3, (9, 48, 64)).astype(np.float32)
    centres = rng.uniform(-90, 90, (9, 2)).astype(np.float32)  # far out of gamut for some L
    return Prediction(L=L, logits=logits, centres=centres, upsampling=request.param)


@pytest.fixture
def small_bands(monkeypatch):
    """Bands of a few rows, so that a small image is decoded in many bands on both threads."""
    monkeypatch.setattr(color, "BAND_PIXELS", 4000)


def test_decode_is_skimages_conversion_of_the_upsampled_ab(prediction, small_bands):
    rgb = prediction.decode(0.4)
    assert rgb.shape == (300, 400, 3) and rgb.dtype == np.uint8
    assert max_level_error(rgb, skimage_rgb(prediction.L, prediction.ab(0.4))) <= 1


def test_bands_change_nothing(prediction, monkeypatch):
    whole = prediction.decode(0.4)
    monkeypatch.setattr(color, "BAND_PIXELS", 1200)
    assert max_level_error(prediction.decode(0.4), whole) <= 1
    assert np.array_equal(prediction.gray(), color.l_to_gray(prediction.L))


@pytest.mark.parametrize("box", [(0, 0, 400, 300), (37, 11, 190, 160), (399, 299, 400, 300), (0, 150, 400, 151)])
def test_a_box_is_that_part_of_the_whole(prediction, small_bands, box):
    left, top, right, bottom = box
    whole, gray = prediction.decode(0.4), prediction.gray()
    part = prediction.decode(0.4, box=box)
    assert part.shape == (bottom - top, right - left, 3)
    assert max_level_error(part, whole[top:bottom, left:right]) <= 1
    assert np.array_equal(prediction.gray(box=box), gray[top:bottom, left:right])


def test_a_box_is_cut_to_the_image_and_an_empty_one_refused(prediction):
    assert prediction.decode(0.4, box=(-50, -50, 10, 20)).shape == (20, 10, 3)
    with pytest.raises(ValueError, match="no pixel"):
        prediction.decode(0.4, box=(400, 0, 500, 10))
    with pytest.raises(ValueError, match="no pixel"):
        prediction.gray(box=(10, 10, 10, 20))


def test_max_side_shrinks_the_whole_or_the_box(prediction, small_bands):
    preview = prediction.decode(0.4, max_side=100)
    assert preview.shape == (75, 100, 3)
    L = resize(prediction.L, (75, 100))  # the photo's L shrunk, and ab brought from 64 x 48 to that size
    assert max_level_error(preview, skimage_rgb(L, prediction.ab(0.4, (75, 100)))) <= 1
    assert max_level_error(prediction.gray(max_side=100), color.l_to_gray(L)) <= 1
    # a box shrunk: the same as shrinking that part of the full-resolution decode, up to resampling
    part = prediction.decode(0.4, max_side=50, box=(0, 0, 200, 150))
    assert part.shape == (38, 50, 3)
    assert prediction.gray(max_side=50, box=(0, 0, 200, 150)).shape == (38, 50)
    assert prediction.decode(0.4, max_side=1000).shape == (300, 400, 3)  # never enlarged


def test_temperature_changes_are_not_served_from_the_cache(prediction):
    a, b = prediction.decode(0.1), prediction.decode(1.0)
    assert not np.array_equal(a, b)
    assert np.array_equal(prediction.decode(0.1), a)


def test_a_small_box_of_a_large_photo_decodes_only_that_box(monkeypatch):
    """The cost follows the box: the colour conversion sees only the box's pixels."""
    rng = np.random.default_rng(1)
    L = rng.uniform(0, 100, (3000, 4000)).astype(np.float32)
    pred = Prediction(L=L, logits=rng.normal(0, 1, (5, 192, 256)).astype(np.float32),
                      centres=rng.uniform(-40, 40, (5, 2)).astype(np.float32))
    seen = []
    real = color.lab_to_rgb8

    def counting(L, a, b, out=None):
        seen.append(L.size)
        return real(L, a, b, out=out)
    monkeypatch.setattr("colorizer.pipeline.lab_to_rgb8", counting)
    assert pred.decode(0.4, box=(1000, 1000, 1200, 1100)).shape == (100, 200, 3)
    assert sum(seen) == 200 * 100


def test_two_threads_decoding_one_prediction_at_different_temperatures(prediction, small_bands):
    """The window's worker and a batch save may decode the same Prediction at once."""
    from concurrent.futures import ThreadPoolExecutor
    expected = {t: prediction.decode(t, max_side=120) for t in (0.1, 0.5, 1.0)}
    with ThreadPoolExecutor(3) as pool:
        got = list(pool.map(lambda t: (t, prediction.decode(t, max_side=120)), [0.1, 0.5, 1.0] * 4))
    assert all(np.array_equal(rgb, expected[t]) for t, rgb in got)
