"""The annealed mean's temperature T: the one range that the command line, the Python API and a model
card all take.

T = 0 is the mode of the predicted distribution (vivid, exact: decode takes the argmax), T = 1 its
mean (calm, greyish); above 1 the colour only fades further towards the mean of all classes, and a
negative T would be read as 0. So T is taken in [T_MIN, T_MAX] and anything else, NaN and infinities
included, is refused with a message rather than quietly turned into another value.
"""
import math
import numbers

T_MIN, T_MAX = 0.0, 1.0
RANGE = f"{T_MIN:g}..{T_MAX:g}"


class TemperatureError(ValueError):
    """A temperature outside [T_MIN, T_MAX], or not a number."""


def check_temperature(t) -> float:
    """t as a float if it is a number in [T_MIN, T_MAX]; TemperatureError saying why not."""
    if isinstance(t, bool) or not isinstance(t, numbers.Real):
        raise TemperatureError(f"temperature {t!r} is not a number (T is taken in {RANGE})")
    try:
        value = float(t)
    except OverflowError:  # an int too large for a float
        value = math.inf if t > 0 else -math.inf
    if not T_MIN <= value <= T_MAX:  # NaN compares false too
        raise TemperatureError(f"temperature {value:g} is outside {RANGE} (0: the most likely colour, vivid; "
                               "1: the mean colour, calm)")
    return value


def parse_temperature(text: str) -> float:
    """A temperature written as text (the command line's), checked; TemperatureError saying why not."""
    try:
        value = float(text)
    except ValueError:
        raise TemperatureError(f"temperature {text!r} is not a number (T is taken in {RANGE})") from None
    return check_temperature(value)
