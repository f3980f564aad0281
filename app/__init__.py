"""Landscape Colorizer's desktop window: a thin PySide6 shell over the `colorizer` library.

Modules, one concept each:
    main      entry point and command-line arguments (`landscape-colorizer`, `python -m app`)
    systemlibs  the X11 libraries Qt needs on Linux, checked before Qt starts (first start)
    fileopen  macOS: photos opened with the app arrive as FileOpen events
    window    the main window: lays out the panels below and wires them, settings and the worker together
    model_controls  the model dropdown and the temperature slider, and the model's remembered temperature
    photo_view  the large view's pages (drop hint, before/after, compare models) and its zoom bar
    previews  asks the worker for what the large view should show (preview, zoomed-in detail, models)
    photos    what is kept of each photo in the list (its result, recent previews)
    output_row  the output folder and format, quality, keep-metadata
    batch_row  the running batch: progress, Cancel, "Apply to all"
    actions   menu actions in one line each
    worker    the background thread that loads models, colorizes, decodes and saves
    jobs      the messages passed between the window and the worker
    widgets   the drop zone and the empty-state hint
    compare   the before/after comparison view, with zoom and pan
    models_view  "Compare models": the photo through every model side by side
    theme     light or dark, as the system is
    results   the list of finished photos (thumbnails, errors)
    settings  what is remembered between runs (QSettings)
    logs      the log file in the user's data folder
"""

APP_NAME = "landscape-colorizer"  # file-system name: settings and data folders, log file
DISPLAY_NAME = "Landscape Colorizer"  # what the user reads: window title, Pictures sub-folder
