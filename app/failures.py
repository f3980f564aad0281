"""What a person reads when the worker could not do something: one message made from the exception, the
same for every kind of request (a photo of the batch, a preview, a zoomed-in detail, a model of the
comparison, a palette, loading a model)."""
from colorizer.hints import HintError
from colorizer.images import ImageError
from colorizer.weights import ModelError

# What a photo, a hint file, a model file, the disk or the memory can make go wrong. Anything else is a
# bug: it still ends in a message, and the log gets its traceback.
EXPECTED = (ImageError, HintError, ModelError, OSError, MemoryError, RuntimeError, ValueError)


def describe(error: Exception) -> str:
    """The message for the window: the error's own words where they are written for people, else its
    type and words."""
    if isinstance(error, ImageError):
        return error.reason  # the photo's name is on the row already
    if isinstance(error, (HintError, ModelError)):
        return str(error)
    if isinstance(error, EXPECTED):
        return f"{type(error).__name__}: {error}"
    return f"unexpected {type(error).__name__}: {error} (the log has the details)"


def log_failure(log, what: str, error: Exception) -> str:
    """Log why `what` failed (with the traceback where it is a bug) and return describe(error)."""
    message = describe(error)
    if isinstance(error, EXPECTED):
        log.warning("%s: %s", what, message)
    else:
        log.error("%s: %s", what, message, exc_info=error)
    return message
