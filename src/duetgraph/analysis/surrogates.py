"""The null of a string test: surrogate duets, p-values and false-discovery-rate control.

A surrogate keeps each dancer's own motion and breaks only the timing between them: the sending
dancer's frames are taken from another time. It is given as a frame map `tau` (T,) int: at the
receiver's frame t the sender is read at frame tau[t]. Two kinds, the standard controls of
interpersonal-synchrony research:

- **circular shift**: tau[t] = (t + shift) mod T with shift at least `min_shift` frames from 0
  and from T;
- **segment shuffle**: the sender's duet is cut into blocks of at least `min_shift` frames and
  the blocks are put in a random order in which no block keeps its place.

Where the sender's history crosses a seam (the wrap point of a shift, a block boundary) its frames
are not consecutive: a jump that no dancer made. Those samples are left out (`consecutive`), in
the duet itself and in every surrogate alike; DESIGN.md §7 records how a cross-fitted score with
the jump left in made 6 of 10 edges of a string-free duet "significant".

p-values come from the surrogate scores of the same test: an empirical one, (1 + #{null >= x}) /
(1 + n), and a tail fitted to them (a gamma for scores that are positive by construction, a normal
for sums that may be negative), which reaches below 1 / (n + 1) where many tests need it.
Benjamini-Hochberg control of the false discovery rate is SciPy's `false_discovery_control`.

**A shared beat.** Two dancers moving to the same music correlate without either pulling the
other, and a plain shift breaks their common beat, so the duet would beat its surrogates by the
beat alone. When the dancers share a rhythm (`shared_beat`: the two dancers' vertical bounces
are coherent at one tempo), every surrogate moves the sender by whole beats instead: the frame map
follows the beat's phase (`beat_maps`, fractional frames, the sender read by linear
interpolation), so the shared beat is part of the null and only timing beyond it counts.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

SURROGATE_KINDS = ("shift", "shuffle", "both")


def shift_maps(n_frames: int, n: int, min_shift: int) -> list[np.ndarray]:
    """`n` circular shifts spread evenly over [min_shift, n_frames − min_shift].

    Returns:
        list of (T,) int64 frame maps.
    """
    if n_frames < 2 * min_shift + 1:
        raise ValueError(
            f"{n_frames} frames are too few for shifts of at least {min_shift} frames each way"
        )
    shifts = np.unique(np.linspace(min_shift, n_frames - min_shift, n).round().astype(np.int64))
    t = np.arange(n_frames)
    return [(t + s) % n_frames for s in shifts]


def shuffle_maps(
    n_frames: int, n: int, min_block: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """`n` segment shuffles: blocks of `min_block` to 2·`min_block` frames in a new order in
    which no block stays where it was.

    Returns:
        list of (T,) int64 frame maps.
    """
    if n_frames < 2 * min_block:
        raise ValueError(f"{n_frames} frames are too few for two blocks of {min_block} frames")
    out = []
    for _ in range(n):
        cuts = [0]
        while n_frames - cuts[-1] >= 2 * min_block:
            cuts.append(cuts[-1] + int(rng.integers(min_block, 2 * min_block + 1)))
            if n_frames - cuts[-1] < min_block:  # too short a tail joins the last block
                cuts[-1] = n_frames
        if cuts[-1] != n_frames:
            cuts.append(n_frames)
        blocks = [np.arange(a, b) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
        order = _derangement(len(blocks), rng)
        out.append(np.concatenate([blocks[i] for i in order]))
    return out


def _derangement(n: int, rng: np.random.Generator) -> np.ndarray:
    """A random order of 0..n−1 in which no element keeps its place (n >= 2)."""
    while True:
        order = rng.permutation(n)
        if not (order == np.arange(n)).any():
            return order


def surrogate_maps(
    n_frames: int, n: int, min_shift: int, kind: str, rng: np.random.Generator
) -> list[np.ndarray]:
    """`n` surrogate frame maps of `kind` ("shift", "shuffle" or half of each for "both")."""
    if kind not in SURROGATE_KINDS:
        raise ValueError(f"surrogate kind must be one of {SURROGATE_KINDS}, got {kind!r}")
    if kind == "shift":
        return shift_maps(n_frames, n, min_shift)
    if kind == "shuffle":
        return shuffle_maps(n_frames, n, min_shift, rng)
    n_shift = (n + 1) // 2
    return shift_maps(n_frames, n_shift, min_shift) + shuffle_maps(
        n_frames, n - n_shift, min_shift, rng
    )


def consecutive(tau: np.ndarray, t: np.ndarray, history: int) -> np.ndarray:
    """(len(t),) bool: the sender frames tau[t − history + 1 .. t] are consecutive (no seam).

    Args:
        tau: (T,) frame map, whole frames (int) or fractional ones following a beat (float: a
            step between 0.5 and 1.5 frames counts as consecutive); t: (S,) receiver frames,
            each >= history − 1.
    """
    ok = np.ones(len(t), dtype=bool)
    for k in range(1, history):
        step = tau[t - k + 1] - tau[t - k]
        ok &= (step == 1) if tau.dtype.kind in "iu" else (step > 0.5) & (step < 1.5)
    return ok


BEAT_BAND_HZ = (0.3, 4.0)  # tempi looked for: 18 to 240 beats a minute
BEAT_COHERENCE = 0.5  # coherence of the two dancers' speeds that makes a beat "shared"


def shared_beat(pos: np.ndarray, fps: float) -> np.ndarray | None:
    """The phase (T,) radians, non-decreasing, of a beat both dancers move to; None if none.

    Each dancer's vertical bounce (the mean vertical velocity of its joints: signed, so one
    cycle per beat) is compared between the dancers by their magnitude-squared coherence (Welch,
    20-s pieces) in `BEAT_BAND_HZ`; where its peak exceeds `BEAT_COHERENCE` and what chance
    gives with that many pieces, the two bounces
    summed are band-passed around the peak (±15 %) and the phase of their analytic signal is
    unwrapped.

    Args:
        pos: (T, 2, J, 3) positions at `fps`.
    """
    from scipy import signal

    speed = np.diff(pos, axis=0)[..., 2].mean(axis=-1)  # (T−1, 2) vertical bounce
    speed = (speed - speed.mean(axis=0)) / np.maximum(speed.std(axis=0), 1e-12)
    nper = min(len(speed), int(20 * fps))
    if nper < 4 * fps:
        return None
    freq, coh = signal.coherence(speed[:, 0], speed[:, 1], fs=fps, nperseg=nper)
    band = (freq >= BEAT_BAND_HZ[0]) & (freq <= min(BEAT_BAND_HZ[1], fps / 2))
    # Without a shared beat the coherence of K independent pieces exceeds c with probability
    # (1 − c)^(K − 1) at each frequency: ask for 1 % over the whole band (few pieces: a beat is
    # not claimed from a short duet).
    pieces = len(speed) // nper
    chance = 1.0 - (0.01 / max(band.sum(), 1)) ** (1.0 / max(pieces - 1, 1))
    if not band.any() or coh[band].max() < max(BEAT_COHERENCE, chance):
        return None
    tempo = freq[band][np.argmax(coh[band])]
    both = np.r_[speed.sum(axis=1), speed[-1].sum()]  # (T,)
    spectrum = np.fft.rfft(both)
    f = np.fft.rfftfreq(len(both), 1.0 / fps)
    spectrum[(f < 0.85 * tempo) | (f > 1.15 * tempo)] = 0
    phase = np.unwrap(np.angle(signal.hilbert(np.fft.irfft(spectrum, len(both)))))
    return np.maximum.accumulate(phase)


def beat_maps(
    phase: np.ndarray, n: int, min_shift: int, kind: str, rng: np.random.Generator
) -> list[np.ndarray]:
    """Surrogate frame maps (T,) float that move the sender by whole beats of `phase`.

    "shift": the whole sender by m beats (m spread so that the shift in frames covers
    [min_shift, T − min_shift], wrapping around); "shuffle": blocks of `min_shift` to
    2·`min_shift` frames, each moved by its own random number of beats (at least `min_shift`
    frames away); "both": half of each.
    """
    n_frames = len(phase)
    frames = np.arange(n_frames, dtype=np.float64)
    cycles = (phase[-1] - phase[0]) / (2 * np.pi)
    per_beat = n_frames / max(cycles, 1e-9)
    lo, hi = int(np.ceil(min_shift / per_beat)), int(np.floor((n_frames - min_shift) / per_beat))
    if hi < lo:
        raise ValueError(f"{n_frames} frames hold too few beats for shifts of {min_shift} frames")
    whole = 2 * np.pi * np.floor(cycles)  # the phase of the whole beats the duet holds

    def moved(m: np.ndarray) -> np.ndarray:  # sender frame at the phase m beats later
        target = phase + 2 * np.pi * m
        target = np.where(target > phase[-1], target - whole, target)
        return np.interp(target, phase, frames)

    n_shift = n if kind == "shift" else 0 if kind == "shuffle" else (n + 1) // 2
    out = [moved(np.full(n_frames, m)) for m in np.linspace(lo, hi, n_shift).round()]
    for _ in range(n - n_shift):
        m = np.empty(n_frames)
        start = 0
        while start < n_frames:
            stop = min(n_frames, start + int(rng.integers(min_shift, 2 * min_shift + 1)))
            m[start:stop] = rng.integers(lo, hi + 1)
            start = stop
        out.append(moved(m))
    return out


def empirical_p(score: np.ndarray, null: np.ndarray) -> np.ndarray:
    """(1 + #{null >= score}) / (1 + n) along the first axis of `null` (n, ...)."""
    return (1.0 + (null >= score[None]).sum(axis=0)) / (1.0 + len(null))


def gamma_tail_p(score: np.ndarray, null: np.ndarray) -> np.ndarray:
    """P(X >= score) under a gamma distribution fitted by its moments to `null` (n, ...).

    For scores that are positive by construction (a log ratio of residual sums of squares from
    nested least-squares fits: a scaled chi-square without autocorrelation, and close to one with
    it).
    """
    mean = null.mean(axis=0)
    var = np.maximum(null.var(axis=0, ddof=1), 1e-30)
    shape = np.maximum(mean, 1e-30) ** 2 / var
    scale = var / np.maximum(mean, 1e-30)
    return stats.gamma.sf(score, shape, scale=scale)


def normal_tail_p(score: np.ndarray, null: np.ndarray) -> np.ndarray:
    """P(X >= score) under a normal distribution fitted to `null` (n, ...)."""
    mean = null.mean(axis=0)
    sd = np.maximum(null.std(axis=0, ddof=1), 1e-30)
    return stats.norm.sf((score - mean) / sd)


def tail_p(score: np.ndarray, null: np.ndarray, family: str) -> np.ndarray:
    """The p-value of `score` against `null` (n, ...): the fitted tail ("gamma" or "normal")
    where the score is beyond every surrogate, else the larger of the fitted and the empirical
    p-value (so a poor fit inside the surrogates' range never makes a test more significant)."""
    fitted = (gamma_tail_p if family == "gamma" else normal_tail_p)(score, null)
    beyond = score > null.max(axis=0)
    return np.where(beyond, np.minimum(fitted, 1.0 / (1 + len(null))),
                    np.maximum(fitted, empirical_p(score, null)))  # fmt: skip


def fdr_reject(p: np.ndarray, q: float) -> tuple[np.ndarray, np.ndarray]:
    """Benjamini-Hochberg at level q over every entry of `p`.

    Returns:
        (reject, qvalues), both shaped like `p`: reject[i] is True where the BH-adjusted p-value
        (the q-value) is <= q.
    """
    if not 0.0 < q < 1.0:
        raise ValueError(f"the false discovery rate q must be in (0, 1), got {q}")
    p = np.asarray(p, dtype=np.float64)
    if p.size == 0:
        return np.zeros(p.shape, dtype=bool), np.zeros(p.shape)
    adjusted = stats.false_discovery_control(np.clip(p.ravel(), 0.0, 1.0), method="bh")
    adjusted = adjusted.reshape(p.shape)
    return adjusted <= q, adjusted
