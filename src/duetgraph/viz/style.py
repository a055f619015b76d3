"""Colours and sizes shared by the video, the figures and the viewer.

Colours are from the Okabe–Ito palette (distinguishable with the common colour-vision
deficiencies): dancer A sky blue, dancer B vermillion, strings yellow. Dark backgrounds are used
for the video and the viewer, white for the figures.
"""

from __future__ import annotations

RGB = tuple[int, int, int]

DANCER_COLORS: tuple[RGB, RGB] = ((86, 180, 233), (213, 94, 0))  # A sky blue, B vermillion
STRING_COLOR: RGB = (240, 228, 66)  # yellow
BACKGROUND: RGB = (22, 24, 30)
GRID_COLOR: RGB = (58, 62, 72)
SHADOW_COLOR: RGB = (40, 43, 51)
TEXT_COLOR: RGB = (225, 228, 235)

# Default view: from the audience side (world -y) and a little to stage right, looking down.
AZIMUTH_DEG = -60.0
ELEVATION_DEG = 18.0


def hex_color(rgb: RGB) -> str:
    """The colour as "#rrggbb" from an (r, g, b) triple of 0..255 ints."""
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def unit_color(rgb: RGB) -> tuple[float, float, float]:
    """(r, g, b) in [0, 1] for matplotlib."""
    return tuple(c / 255.0 for c in rgb)  # type: ignore[return-value]
