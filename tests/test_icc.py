"""Colour-managed input: sources tagged Adobe RGB, Display P3, ProPhoto or a gray gamma are converted to
sRGB before their lightness is taken; the hand-built profiles of colorizer.icc against littlecms."""

import numpy as np
import pytest
from PIL import Image, ImageCms
from skimage.color import xyz2rgb

from colorizer import icc
from colorizer.color import rgb_to_lab, srgb_to_linear
from colorizer.images import ProfileWarning, load_rgb

# RGB -> XYZ (D65) as published for each space (not computed by colorizer.icc), and each curve
ADOBE_RGB = np.array([[0.5767309, 0.1855540, 0.1881852], [0.2973769, 0.6273491, 0.0752741],
                      [0.0270343, 0.0706872, 0.9911085]])
DISPLAY_P3 = np.array([[0.4865709, 0.2656677, 0.1982173], [0.2289746, 0.6917385, 0.0792869],
                       [0.0, 0.0451134, 1.0439444]])
PATCHES = np.array([[100, 150, 50], [200, 120, 90], [60, 90, 160], [128, 128, 128], [230, 220, 200]], np.uint8)


def lightness(Y):
    Y = np.asarray(Y, dtype=np.float64)
    f = np.where(Y > (6 / 29) ** 3, np.cbrt(Y), Y / (3 * (6 / 29) ** 2) + 4 / 29)
    return 116 * f - 16


def tagged(path, pixels, profile: bytes, **kw):
    Image.fromarray(pixels).save(path, icc_profile=profile, **kw)
    return path


def test_profiles_built_here_are_read_by_littlecms_as_what_they_claim():
    srgb = ImageCms.createProfile("sRGB")
    rgb = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    like = ImageCms.profileToProfile(Image.fromarray(rgb), icc.profile_of(icc.rgb_profile("srgb-like")), srgb)
    assert np.abs(np.asarray(like).astype(int) - rgb).max() <= 1  # sRGB primaries and curve: the identity
    ramp = Image.fromarray(np.arange(256, dtype=np.uint8)[None])
    gray = np.asarray(ImageCms.profileToProfile(ramp, icc.profile_of(icc.gray_profile()), srgb, outputMode="RGB"))
    assert np.abs(gray.astype(int) - np.arange(256)[None, :, None]).max() <= 1  # sRGB's neutral grays
    for name in icc.SPACES:
        assert icc.profile_of(icc.rgb_profile(name)).profile.xcolor_space.strip() == "RGB"


@pytest.mark.parametrize("fmt", ["png", "jpg", "tif"])
def test_adobe_rgb_source_gets_its_true_lightness(tmp_path, fmt):
    pixels = np.repeat(PATCHES[:, None], 8, axis=1)  # 5 rows of flat patches, 8 wide
    lossless = {} if fmt != "jpg" else {"quality": 100, "subsampling": 0}
    rgb = load_rgb(tagged(tmp_path / f"adobe.{fmt}", pixels, icc.rgb_profile("adobe-rgb"), **lossless))
    linear = (PATCHES / 255.0) ** (563 / 256)  # Adobe RGB's curve, gamma 2.19921875
    expected = lightness(linear @ ADOBE_RGB[1])
    got = rgb_to_lab(rgb)[:, 4, 0]
    assert np.abs(got - expected).max() < 1.0, (got, expected)
    ignored = rgb_to_lab(np.repeat(PATCHES[:, None], 8, axis=1))[:, 4, 0]  # what reading it as sRGB gives
    assert np.abs(ignored - expected).max() > 3  # so the test can tell the two apart


def test_display_p3_source_gets_its_sRGB_colours(tmp_path):
    patches = np.array([[120, 160, 90], [180, 120, 110], [90, 110, 170]], np.uint8)  # inside sRGB's gamut
    rgb = load_rgb(tagged(tmp_path / "p3.png", patches[None], icc.rgb_profile("display-p3")))
    xyz = srgb_to_linear(patches / 255.0) @ DISPLAY_P3.T  # P3 uses sRGB's curve
    expected = np.round(xyz2rgb(xyz[None]) * 255)[0]
    assert np.abs(rgb[0].astype(int) - expected).max() <= 2, (rgb[0], expected)
    assert np.abs(rgb[0].astype(int) - patches).max() > 8  # read as sRGB they would be off


def test_prophoto_source_is_converted(tmp_path):
    pixels = np.full((4, 4, 3), 128, np.uint8)
    rgb = load_rgb(tagged(tmp_path / "pro.tif", pixels, icc.rgb_profile("prophoto")))
    L = rgb_to_lab(rgb)[..., 0]
    assert np.abs(L - lightness((128 / 255) ** 1.8)).max() < 1.0  # ProPhoto gray: gamma 1.8, neutral
    assert np.abs(rgb.astype(int) - rgb[..., :1]).max() <= 1  # and stays gray


def test_gray_gamma_18_source(tmp_path):
    gray = np.array([[0, 64, 128, 192, 255]], np.uint8)
    path = tagged(tmp_path / "g18.png", gray, icc.gray_profile(1.8))
    expected_linear = (gray / 255.0) ** (461 / 256)  # gamma 1.8 as the profile stores it (u8Fixed8)
    kept = load_rgb(path, keep_gray=True)
    assert kept.shape == (1, 5) and kept.dtype == np.uint8
    assert np.abs(srgb_to_linear(kept / 255.0) - expected_linear).max() < 0.006  # about one level
    assert kept[0, 2] > 140  # 128 untagged; 146 in sRGB
    rgb = load_rgb(path)
    assert rgb.shape == (1, 5, 3) and np.array_equal(rgb[..., 0], kept[0][None])
    assert np.abs(rgb_to_lab(rgb)[0, :, 0] - lightness(expected_linear[0])).max() < 0.8


def test_16_bit_gray_with_profile_and_alpha(tmp_path):
    la = Image.merge("LA", [Image.fromarray(np.full((3, 3), 128, np.uint8)), Image.new("L", (3, 3), 255)])
    la.save(tmp_path / "la.png", icc_profile=icc.gray_profile(1.8))
    assert load_rgb(tmp_path / "la.png", keep_gray=True).tolist() == load_rgb(
        tagged(tmp_path / "l.png", np.full((3, 3), 128, np.uint8), icc.gray_profile(1.8)), keep_gray=True).tolist()
    ramp = (np.arange(16, dtype=np.uint16) * 4369).reshape(4, 4)
    kept = load_rgb(tagged(tmp_path / "g16.png", ramp, icc.gray_profile(1.8)), keep_gray=True)
    assert kept.shape == (4, 4) and kept[0, 0] == 0 and kept[-1, -1] == 255 and kept[1, 0] > ramp[1, 0] / 257


def test_keep_gray_only_for_one_channel_sources(tmp_path):
    g = np.arange(60, dtype=np.uint8).reshape(6, 10)
    Image.fromarray(g).save(tmp_path / "g.png")
    Image.fromarray(np.repeat(g[..., None], 3, axis=2)).save(tmp_path / "rgb.png")
    assert np.array_equal(load_rgb(tmp_path / "g.png", keep_gray=True), g)  # no profile: as stored
    assert load_rgb(tmp_path / "rgb.png", keep_gray=True).shape == (6, 10, 3)
    assert load_rgb(tmp_path / "g.png").shape == (6, 10, 3)


def test_srgb_tagged_source_is_read_as_stored(tmp_path):
    rgb = np.random.default_rng(1).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    assert np.array_equal(load_rgb(tagged(tmp_path / "s.png", rgb, icc.srgb_profile())), rgb)


def test_orientation_and_profile_together(tmp_path):
    stored = np.zeros((40, 60, 3), np.uint8)
    stored[:, 30:] = 200
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tagged(tmp_path / "r.png", stored, icc.rgb_profile("adobe-rgb"), exif=exif.tobytes())
    rgb = load_rgb(path)
    assert rgb.shape == (60, 40, 3) and rgb[:25].mean() < 10  # turned ...
    assert abs(rgb_to_lab(rgb[40:])[..., 0].mean() - lightness((200 / 255) ** (563 / 256))) < 1  # ... converted


@pytest.mark.parametrize("profile, words", [(b"this is no ICC profile", "cannot be read"),
                                            (icc.gray_profile(1.8), "for GRAY colour, the pixels are RGB")])
def test_unusable_profile_warns_and_reads_as_srgb(tmp_path, profile, words):
    rgb = np.random.default_rng(2).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    path = tagged(tmp_path / "odd.png", rgb, profile)
    with pytest.warns(ProfileWarning, match=words) as caught:
        got = load_rgb(path)
    assert str(path) in str(caught[0].message)
    assert np.array_equal(got, rgb)


@pytest.mark.parametrize("fmt", ["tif", "jpg"])
def test_cmyk_source_is_converted_through_its_profile(tmp_path, fmt):
    # paper, half black, full black, full cyan (colorizer.icc.cmyk_profile: black ink is L 20, cyan L 55)
    cmyk = np.array([[[0, 0, 0, 0], [0, 0, 0, 128], [0, 0, 0, 255], [255, 0, 0, 0]]], np.uint8)
    path = tmp_path / f"cmyk.{fmt}"
    Image.fromarray(cmyk, "CMYK").save(path, icc_profile=icc.cmyk_profile(),
                                       **({"quality": 100} if fmt == "jpg" else {}))
    lab = rgb_to_lab(load_rgb(path))[0]
    assert lab[:3, 0] == pytest.approx([100, 20 + 80 * (1 - 128 / 255), 20], abs=1.5)
    assert abs(lab[3, 0] - 55) < 6 and lab[3, 2] < -30  # cyan, as light as the profile says (clipped to sRGB)
    naive = rgb_to_lab(np.asarray(Image.fromarray(cmyk, "CMYK").convert("RGB")))[0]
    assert abs(naive[2, 0] - lab[2, 0]) > 15 and abs(naive[3, 0] - lab[3, 0]) > 20  # what ignoring it gives
