"""Reading whatever a user drops: every image mode, EXIF orientation, and broken files."""
import io
import os
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from colorizer.color import rgb_to_lab
from colorizer.images import ImageError, find_images, load_rgb
from colorizer.pipeline import image_to_l
from synthetic import landscape


def save(im: Image.Image, path, **kw):
    im.save(path, **kw)
    return path


def test_rgb_png_is_read_exactly(tmp_path):
    rgb = landscape(30, 41, seed=1)
    assert np.array_equal(load_rgb(save(Image.fromarray(rgb), tmp_path / "a.png")), rgb)


def test_grayscale_becomes_three_equal_channels(tmp_path):
    g = np.arange(200, dtype=np.uint8).reshape(10, 20)
    rgb = load_rgb(save(Image.fromarray(g), tmp_path / "g.png"))
    assert rgb.shape == (10, 20, 3) and all(np.array_equal(rgb[..., c], g) for c in range(3))


def test_rgba_is_composited_over_white(tmp_path):
    rgba = np.zeros((8, 10, 4), np.uint8)
    rgba[..., :3] = [200, 30, 30]
    rgba[:, :5, 3] = 255  # left half opaque red, right half transparent
    rgba[:, 5:, 3] = 0
    rgb = load_rgb(save(Image.fromarray(rgba, "RGBA"), tmp_path / "a.png"))
    assert (rgb[:, :5] == [200, 30, 30]).all() and (rgb[:, 5:] == 255).all()


def test_half_transparent_la_is_blended_with_white(tmp_path):
    la = np.zeros((4, 4, 2), np.uint8)
    la[..., 0], la[..., 1] = 0, 128  # black at half opacity
    rgb = load_rgb(save(Image.fromarray(la, "LA"), tmp_path / "la.png"))
    assert np.all(np.abs(rgb.astype(int) - 127) <= 1)


def test_palette_image(tmp_path):
    rgb = landscape(20, 30, seed=2)
    p = Image.fromarray(rgb).quantize(16)
    assert p.mode == "P"
    assert np.array_equal(load_rgb(save(p, tmp_path / "p.png")), np.asarray(p.convert("RGB")))


def test_palette_with_transparency_is_composited(tmp_path):
    p = Image.new("P", (6, 4), 0)
    p.putpalette([10, 20, 30] + [250, 0, 0] + [0] * 762)
    p.paste(1, (0, 0, 3, 4))  # left: index 1 (red), right: index 0 (transparent)
    p.info["transparency"] = 0
    path = save(p, tmp_path / "pt.png", transparency=0)
    assert "transparency" in Image.open(path).info
    rgb = load_rgb(path)
    assert (rgb[:, :3] == [250, 0, 0]).all() and (rgb[:, 3:] == 255).all()
    gif = load_rgb(save(p, tmp_path / "pt.gif", transparency=0))
    assert (gif[:, 3:] == 255).all()


@pytest.mark.parametrize("fmt,tolerance", [("TIFF", 0), ("JPEG", 6)])
def test_cmyk_is_converted(tmp_path, fmt, tolerance):
    original = landscape(24, 32, seed=3)
    path = save(Image.fromarray(original).convert("CMYK"), tmp_path / f"c.{fmt.lower()}", format=fmt)
    with Image.open(path) as im:
        assert im.mode == "CMYK"
    rgb = load_rgb(path)
    assert rgb.shape == (24, 32, 3)
    assert np.abs(rgb.astype(int) - original).mean() <= tolerance  # the same picture, not its negative


def test_16_bit_grayscale_uses_the_whole_range(tmp_path):
    ramp = np.linspace(0, 65535, 64 * 16).astype(np.uint16).reshape(16, 64)
    path = save(Image.fromarray(ramp), tmp_path / "g16.png")
    with Image.open(path) as im:
        assert im.mode.startswith("I")
    rgb = load_rgb(path)
    assert np.abs(rgb[..., 0].astype(int) - np.round(ramp / 257.0)).max() <= 1
    assert rgb[0, 0, 0] == 0 and rgb[-1, -1, 0] == 255


def test_dark_16_bit_image_stays_dark(tmp_path):
    """A 16-bit photo whose values all lie below 256 is nearly black, not an 8-bit image."""
    dark = np.full((8, 8), 200, np.uint16)
    dark[0, 0] = 0
    rgb = load_rgb(save(Image.fromarray(dark), tmp_path / "dark16.png"))
    assert rgb.max() <= 1


def test_16_bit_tiff(tmp_path):
    ramp = (np.arange(256, dtype=np.uint16) * 257).reshape(16, 16)
    rgb = load_rgb(save(Image.fromarray(ramp), tmp_path / "g16.tif"))
    assert np.array_equal(rgb[..., 0], np.arange(256, dtype=np.uint8).reshape(16, 16))


def test_one_bit_image(tmp_path):
    bits = (np.indices((6, 6)).sum(0) % 2).astype(bool)
    rgb = load_rgb(save(Image.fromarray(bits), tmp_path / "b.png"))
    assert set(np.unique(rgb)) == {0, 255}
    assert np.array_equal(rgb[..., 0] == 255, bits)


def test_exif_orientation_is_applied(tmp_path):
    stored = np.zeros((40, 60, 3), np.uint8)
    stored[:, 30:] = 255  # stored: black left half, white right half, 60 wide
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    path = save(Image.fromarray(stored), tmp_path / "r.jpg", exif=exif.tobytes(), quality=95)
    rgb = load_rgb(path)
    assert rgb.shape == (60, 40, 3)  # displayed upright: 40 wide, 60 tall
    assert rgb[:25].mean() < 10 and rgb[35:].mean() > 245  # the black half is now on top


def test_pil_image_source_and_one_pixel(tmp_path):
    im = Image.new("RGB", (1, 1), (10, 200, 30))
    assert load_rgb(im).tolist() == [[[10, 200, 30]]]
    assert load_rgb(save(im, tmp_path / "one.png")).shape == (1, 1, 3)


def test_colour_image_is_reduced_to_its_lightness(tmp_path):
    rgb = landscape(20, 24, seed=4)
    path = save(Image.fromarray(rgb), tmp_path / "c.png")
    assert np.allclose(image_to_l(path), rgb_to_lab(rgb)[..., 0], atol=1e-4)
    assert np.allclose(image_to_l(rgb), rgb_to_lab(rgb)[..., 0], atol=1e-4)
    gray = np.full((5, 5), 128, np.uint8)
    assert np.allclose(image_to_l(gray), rgb_to_lab(np.repeat(gray[..., None], 3, 2))[..., 0])


def test_image_to_l_in_bands_for_tall_images():
    rgb = landscape(1100, 9, seed=5)  # more rows than one band
    assert np.allclose(image_to_l(rgb), rgb_to_lab(rgb)[..., 0], atol=1e-4)


# --- broken input -------------------------------------------------------------------------------------

def jpeg_bytes(seed=0) -> bytes:
    b = io.BytesIO()
    Image.fromarray(landscape(64, 80, seed=seed)).save(b, "JPEG", quality=90)
    return b.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims the given size (IHDR) and holds no pixel data."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


@pytest.mark.parametrize("name,content,reason", [
    ("empty.jpg", b"", "empty file"),
    ("text.jpg", b"this is not a picture\n" * 10, "not an image"),
    ("truncated.jpg", jpeg_bytes()[:1200], "truncated"),
    ("header_only.jpg", jpeg_bytes()[:300], "truncated"),
    ("no_pixels.png", png_header_only(64, 64), "cannot decode"),
    ("huge.png", png_header_only(50_000, 50_000), "decompression-bomb"),
])
def test_broken_files_raise_image_error_naming_file_and_reason(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImageError) as e:
        load_rgb(path)
    assert e.value.path == str(path) and str(path) in str(e.value)
    assert reason in e.value.reason and e.value.reason


def test_decompression_bomb_guard(tmp_path, monkeypatch):
    path = save(Image.fromarray(landscape(64, 64)), tmp_path / "bomb.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 4096 pixels is over twice the limit
    with pytest.raises(ImageError, match="decompression-bomb"):
        load_rgb(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(ImageError, match="not found"):
        load_rgb(tmp_path / "nope.jpg")
    with pytest.raises(ImageError, match="folder"):
        load_rgb(tmp_path)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path):
    path = save(Image.new("RGB", (4, 4)), tmp_path / "locked.png")
    path.chmod(0)
    with pytest.raises(ImageError, match="permission"):
        load_rgb(path)


def test_failed_decode_leaves_no_open_file(tmp_path, recwarn):
    import gc
    path = tmp_path / "truncated.png"
    b = io.BytesIO()
    Image.fromarray(landscape(64, 64)).save(b, "PNG")
    path.write_bytes(b.getvalue()[:2000])
    with pytest.raises(ImageError):
        load_rgb(path)
    gc.collect()
    assert not [w for w in recwarn if issubclass(w.category, ResourceWarning)]


def test_find_images_recursive_stable_and_filtered(tmp_path):
    for rel in ["b/x.jpg", "a/z.PNG", "a/y.tif", "a/notes.txt", "a/.hidden.jpg", "c.webp", "a/deeper/w.jpeg"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    found = [os.path.relpath(p, tmp_path) for p in find_images([tmp_path])]
    assert found == ["c.webp", os.path.join("a", "y.tif"), os.path.join("a", "z.PNG"),
                     os.path.join("a", "deeper", "w.jpeg"), os.path.join("b", "x.jpg")]
    # files named explicitly are kept whatever they are, so that they can be reported
    assert find_images([tmp_path / "a" / "notes.txt"]) == [str(tmp_path / "a" / "notes.txt")]
    skipped = find_images([tmp_path], skip=[tmp_path / "a"])
    assert [os.path.relpath(p, tmp_path) for p in skipped] == ["c.webp", os.path.join("b", "x.jpg")]


def test_an_output_folder_that_is_the_input_folder_gives_its_photos_not_the_results(tmp_path):
    """Results kept beside the photos (issue 35): ours are told by name and Software tag, so a photo
    named like a result is still one, and ours in a folder that is not the output folder are photos too."""
    from PIL import PngImagePlugin
    from colorizer.output import SOFTWARE, SOFTWARE_NAME
    pixels = Image.fromarray(landscape(8, 8))
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", SOFTWARE_NAME)
    exif = Image.Exif()
    exif[SOFTWARE] = SOFTWARE_NAME
    save(pixels, tmp_path / "a.jpg")
    save(pixels, tmp_path / "a_gray.png", pnginfo=info)  # ours, PNG text
    save(pixels, tmp_path / "a_color-2.jpg", exif=exif.tobytes())  # ours, EXIF
    save(pixels, tmp_path / "sky_color.jpg")  # the user's
    save(pixels, tmp_path / "b.png", pnginfo=info)  # tagged, but not named as a result
    found = [os.path.basename(p) for p in find_images([tmp_path], skip=[tmp_path])]
    assert found == ["a.jpg", "b.png", "sky_color.jpg"]
    assert len(find_images([tmp_path], skip=[tmp_path / "elsewhere"])) == 5
