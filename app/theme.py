"""Light or dark, as the system is: Qt 6.5+ reports the scheme (QStyleHints.colorScheme) and most
platform themes switch the palette themselves. Where a platform reports Dark but leaves the palette
light (some Linux desktops under the Fusion style), a dark palette is set here; and the few colours the
window sets itself (the error banner, failed rows) are picked for the scheme shown, from the palette.
"""
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette

DARK_BANNER = ("QLabel { background: #4a1c18; color: #ffdad5; border: 1px solid #8c3b33; border-radius: 6px; "
               "padding: 8px; }")
LIGHT_BANNER = ("QLabel { background: #fdecea; color: #611a15; border: 1px solid #f5c2bd; border-radius: 6px; "
                "padding: 8px; }")


def palette_is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def system_scheme() -> Qt.ColorScheme:
    return QGuiApplication.styleHints().colorScheme()


def dark_palette() -> QPalette:
    """A dark palette for the Fusion style (neutral greys, the usual blue highlight)."""
    p = QPalette()
    colors = {
        QPalette.ColorRole.Window: "#2b2b2d", QPalette.ColorRole.WindowText: "#e8e8e8",
        QPalette.ColorRole.Base: "#1f1f21", QPalette.ColorRole.AlternateBase: "#2f2f32",
        QPalette.ColorRole.Text: "#e8e8e8", QPalette.ColorRole.Button: "#38383b",
        QPalette.ColorRole.ButtonText: "#e8e8e8", QPalette.ColorRole.BrightText: "#ffffff",
        QPalette.ColorRole.Highlight: "#3d7fd6", QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#38383b", QPalette.ColorRole.ToolTipText: "#e8e8e8",
        QPalette.ColorRole.PlaceholderText: "#9a9a9a", QPalette.ColorRole.Link: "#79aef2",
        QPalette.ColorRole.Light: "#4a4a4e", QPalette.ColorRole.Midlight: "#414145",
        QPalette.ColorRole.Mid: "#303033", QPalette.ColorRole.Dark: "#1a1a1c", QPalette.ColorRole.Shadow: "#000000",
    }
    for role, color in colors.items():
        p.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7a7a"))
    return p


def follow_scheme(app, scheme: Qt.ColorScheme = None) -> bool:
    """Make the application's palette match `scheme` (default: the system's) where the platform did
    not; returns whether the palette is dark now. Unknown leaves the palette as the platform set it."""
    scheme = system_scheme() if scheme is None else scheme
    dark_now = palette_is_dark(app.palette())
    if scheme == Qt.ColorScheme.Dark and not dark_now:
        app.setPalette(dark_palette())
    elif scheme == Qt.ColorScheme.Light and dark_now:
        app.setPalette(app.style().standardPalette())
    return palette_is_dark(app.palette())


def banner_style(palette: QPalette) -> str:
    return DARK_BANNER if palette_is_dark(palette) else LIGHT_BANNER


def error_color(palette: QPalette) -> QColor:
    """Text colour of a failed row: a red that reads on the list's background."""
    return QColor("#ff8a80") if palette.color(QPalette.ColorRole.Base).lightness() < 128 else QColor("#9b1c1c")
