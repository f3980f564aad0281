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
    batch_row  the running batch: progress, Cancel, "Apply to all", "Skip photos already done"
    actions   menu actions in one line each
    worker    the background worker that loads models, colorizes, decodes and saves
    worker_thread  the worker's QThread: ended when the window closes, without the window waiting for it
    jobs      the messages passed between the window and the worker
    failures  an error of the worker -> the one message a person reads (and the log line)
    shown     Shown: what a picture shows, or what was last asked of the worker for it (one frozen type)
    predictions  the network outputs the worker keeps for re-decoding, and those made with colour hints
    gcguard   Python's cycle collector runs in the GUI thread only
    widgets   the drop zone and the empty-state hint
    compare   the before/after comparison view, with zoom and pan
    hints_panel  hint mode: the selected photo's colour hints, their list, undo and HINTS.json
    hint_palette, hint_markers, hint_cursor  the hint palette, the markers on the photo, hints from the keyboard
    models_view  "Compare models": the photo through every model side by side
    theme     light or dark, as the system is
    results   the list of finished photos (thumbnails, errors)
    settings  what is remembered between runs (QSettings)
    logs      the log file in the user's data folder
    selftest  `--self-test`: checks an installation without a window
"""

APP_NAME = "landscape-colorizer"  # file-system name: settings and data folders, log file
DISPLAY_NAME = "Landscape Colorizer"  # what the user reads: window title, Pictures sub-folder
