"""The messages between the window (GUI thread) and the worker (its own thread).

Requests go one way as plain data; results come back the other way through Qt signals. Images travel
as QImage, which, unlike QPixmap, may be made outside the GUI thread. Colour hints travel as tuples of
colorizer.hints.Hint (frozen, so a tuple of them can key a cache and be compared with what is shown);
() is the automatic colour.
"""
from dataclasses import dataclass, field

from PySide6.QtGui import QImage

from colorizer.output import OutputOptions


@dataclass(frozen=True)
class Options:
    """How to colorize: the model (its card from colorizer.weights.list_models), T, where to save and
    in which format (colorizer.output.OutputOptions)."""

    model: dict
    temperature: float
    out_dir: str
    output: OutputOptions = OutputOptions()
    skip_existing: bool = False  # leave out dropped photos whose pair of copies is in out_dir already

    @property
    def model_id(self) -> str:
        return self.model["id"]


@dataclass
class AddPaths:
    """Files and folders to colorize; the worker expands folders (recursively) itself, so that a
    huge folder on a slow disk never blocks the window."""

    paths: list
    options: Options
    generation: int = 0  # set by the worker: a Cancel after submission drops what this expands to


@dataclass
class Colorize:
    """One photo to colorize and save. `key` identifies the photo in the results list; a re-save
    ("Apply to all") reuses the key of the photo it writes again."""

    key: int
    source: str
    options: Options
    resave: bool = False
    write_gray: bool = True
    hints: tuple = ()  # the photo's colour hints, recorded in the colour copy


@dataclass
class PreviewRequest:
    """Show photo `key` with this model at this temperature (at preview size)."""

    key: int
    source: str
    model: dict
    temperature: float
    with_gray: bool = False  # also send the "before" image (the window no longer has it)
    max_side: int = None  # the longer side to decode at (the size shown); None: the worker's preview size
    hints: tuple = ()  # with hints the network runs again, on the preview (app.predictions)


@dataclass
class DetailRequest:
    """Decode just `box` (left, top, right, bottom, full-resolution pixels) of photo `key`, shrunk to
    max_side (None: at full resolution): what the zoomed-in view shows."""

    key: int
    source: str
    model: dict
    temperature: float
    box: tuple
    max_side: int = None
    with_gray: bool = True  # also the "before" region (not needed when only the temperature changed)
    hints: tuple = ()

    @property
    def region(self) -> tuple:
        return self.box, self.max_side


@dataclass
class ModelsRequest:
    """Photo `key` through several models, each at its own temperature: [(model card, T), ...]."""

    key: int
    source: str
    models: list
    max_side: int
    hints: tuple = ()  # the photo's hints: used by the models that take them, left out by the others


@dataclass
class ItemResult:
    """A finished photo: the files written, or why it failed."""

    key: int
    source: str
    resave: bool = False
    error: str = None
    outputs: dict = field(default_factory=dict)  # {'gray': path, 'color': path}
    model_id: str = ""
    model_name: str = ""
    temperature: float = None
    size: tuple = None  # (width, height) of the photo
    hints: tuple = ()  # the colour hints the colour copy was made with
    gray: QImage = None  # previews, longer side at most the worker's preview size
    color: QImage = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class Preview:
    """The answer to a PreviewRequest."""

    key: int
    model_id: str
    temperature: float
    color: QImage = None
    gray: QImage = None  # only when asked for
    error: str = None
    hints: tuple = ()  # as asked


@dataclass
class BatchSummary:
    """Sent when the worker's queue runs dry (or was cancelled)."""

    batch_id: int = 0  # as returned by ColorizeWorker.submit()
    done: int = 0
    failed: int = 0
    cancelled: int = 0  # photos left out by Cancel
    found: int = 0  # photos the dropped paths contained
    skipped: int = 0  # of those, left out: their copies were in the output folder already (skip_existing)
    model_error: str = None  # set when the batch stopped because its model would not load
    folder_error: str = None  # "output folder DIR: REASON" when it stopped because that folder cannot be written


@dataclass
class Detail:
    """The answer to a DetailRequest."""

    key: int
    model_id: str
    temperature: float
    region: tuple  # (box, max_side), as asked
    color: QImage = None
    gray: QImage = None  # only when asked for
    error: str = None
    hints: tuple = ()  # as asked


@dataclass
class ModelPreview:
    """One model's picture for a ModelsRequest (one answer per model, as each is ready)."""

    key: int
    model_id: str
    temperature: float
    max_side: int
    color: QImage = None
    error: str = None
    hints: tuple = ()  # the hints this model's picture was made with
    without_hints: bool = False  # the photo has hints, but this model does not take them


@dataclass
class SuggestRequest:
    """The colours the model finds likely at point (x, y) of photo `key` (full-resolution pixels), with
    the photo's other hints (`hints`, those of the point itself left out: what the model would say there
    without it), for the hint palette."""

    key: int
    source: str
    model: dict
    temperature: float
    x: int
    y: int
    hints: tuple = ()
    count: int = 6


@dataclass
class Suggestions:
    """The answer to a SuggestRequest: `colors` ("#rrggbb", most likely first: the modes of the predicted
    distribution there) and `now`, the colour shown there without the point's own hint."""

    key: int
    x: int
    y: int
    colors: list = field(default_factory=list)
    now: str = None
    error: str = None
    model_id: str = None  # the request's model and temperature: an answer for older ones is not shown
    temperature: float = None
