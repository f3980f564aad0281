"""The version, as installed (pyproject.toml's), or as the source tree says where it is not installed
(a PyInstaller bundle carries no package metadata unless told to)."""
from importlib import metadata

SOURCE_VERSION = "0.2.0"  # keep equal to pyproject.toml's version

try:
    __version__ = metadata.version("landscape-colorizer")
except metadata.PackageNotFoundError:
    __version__ = SOURCE_VERSION
