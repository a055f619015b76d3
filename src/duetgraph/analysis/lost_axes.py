"""Axes a duet lost: a coordinate constant over the whole duet (an extractor that dropped depth),
or two pelvises that never differ along an axis while the dancers travel (placement lost).

`analysis.scene` and the report make no claim that needs a lost axis; `geometry_warnings` says
which in one sentence each.
"""

from __future__ import annotations

import numpy as np

from duetgraph.duet import Duet

LOST_AXIS_TOLERANCE = 0.001  # metres: a spread this small is no measurement
TRAVEL_DISTANCE = 0.05  # metres a pelvis must travel before pinned pelvises count as lost
AXIS_NAMES = ("x", "y", "z")
_AXIS_WORDS = {"x": "side-to-side position (x)", "y": "depth (y)", "z": "height (z)"}


def lost_axes(duet: Duet, tolerance: float = LOST_AXIS_TOLERANCE) -> tuple[str, ...]:
    """World axes ("x", "y", "z") whose coordinate spreads less than `tolerance` metres over all
    frames and joints of both dancers: the input carries no measurement along them."""
    pos = duet.positions.reshape(-1, 3)  # (T·2·J, 3)
    spread = pos.max(axis=0) - pos.min(axis=0) if len(pos) else np.zeros(3)
    return tuple(a for a, s in zip(AXIS_NAMES, spread, strict=True) if s < tolerance)


def pinned_axes(
    duet: Duet, tolerance: float = LOST_AXIS_TOLERANCE, travel: float = TRAVEL_DISTANCE
) -> tuple[str, ...]:
    """World axes along which the two pelvises never differ by more than `tolerance` metres,
    counted as lost only where that cannot be staging: the pelvises travel more than `travel`
    metres over the duet, or they coincide on the floor (pelvis-centred poses). Axes that
    `lost_axes` already reports are left out.

    E.g. an extractor that cannot place the dancers in depth leaves both pelvises at depth 0 in
    every frame while the dancers move across the stage. A still duet whose dancers stand on one
    line is not reported.
    """
    from duetgraph.analysis.scene import pelvis_positions  # scene depends on this module

    if duet.n_frames == 0:
        return ()
    pelvis = pelvis_positions(duet)  # (T, 2, 3)
    gap = np.abs(pelvis[:, 1] - pelvis[:, 0]).max(axis=0)  # (3,) largest gap per axis
    moved = (pelvis.max(axis=0) - pelvis.min(axis=0)).max() > travel
    together = gap[:2].max() <= tolerance  # the same spot on the floor in every frame
    gone = set(lost_axes(duet, tolerance))
    return tuple(
        a
        for a, g in zip(AXIS_NAMES, gap, strict=True)
        if g <= tolerance and (moved or together) and a not in gone
    )


def _claims(axes: tuple[str, ...], whole: bool) -> list[str]:
    """The facts that `axes` lost (whole coordinate or placement only) take away."""
    claims = ["facing"] if whole and {"x", "y"} & set(axes) else []
    return claims + ["distance", "contact"] + (["level"] if "z" in axes else [])


def _words(items: list[str], conjunction: str = "or") -> str:
    """Join words: "a", "a or b", "a, b or c"."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def geometry_warnings(duet: Duet, tolerance: float = LOST_AXIS_TOLERANCE) -> list[str]:
    """One sentence per kind of lost axis (see `lost_axes`, `pinned_axes`), naming the facts
    that are not claimed; empty for a duet with all three axes. For the report's first page."""
    out = []
    constant = lost_axes(duet, tolerance)
    if constant:
        names = _words([_AXIS_WORDS[a] for a in constant], "and")
        verb, it = ("is", "it") if len(constant) == 1 else ("are", "them")
        out.append(
            f"{names[0].upper()}{names[1:]} {verb} constant over the whole duet (the extractor "
            f"lost {it}): no {_words(_claims(constant, True))} is claimed."
        )
    pinned = pinned_axes(duet, tolerance)
    if pinned:
        names = _words([_AXIS_WORDS[a] for a in pinned], "and")
        it = "it" if len(pinned) == 1 else "them"
        out.append(
            f"The dancers' pelvises never differ in {names} over the whole duet (the input lost "
            f"where the dancers stand along {it}): no {_words(_claims(pinned, False))} is claimed."
        )
    return out
