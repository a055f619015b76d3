"""Rotation about the vertical axis: the augmentation, and the rotation the normaliser uses.

Angles are radians, positive counter-clockwise seen from above (right-handed about +z). Positions
rotate about a vertical axis through a centre (the duet centre); velocities are directions and
simply rotate. Heights (z) and vertical velocities never change.

Every function accepts numpy arrays or torch tensors and returns the same kind. Features have the
layout of `duetgraph.data.windows` (last axis: x, y, z, vx, vy, vz).
"""

from __future__ import annotations

import math

import numpy as np
import torch

Array = np.ndarray | torch.Tensor
Generator = np.random.Generator | torch.Generator


def rotate_about_z(xyz: Array, angle: Array | float) -> Array:
    """Rotate 3-vectors about the z axis through the origin.

    Args:
        xyz: (..., 3) vectors.
        angle: radians, broadcastable to `xyz[..., 0]`.

    Returns:
        (..., 3) rotated vectors, same kind and dtype as `xyz`.
    """
    if isinstance(xyz, torch.Tensor):
        angle = torch.as_tensor(angle, dtype=xyz.dtype, device=xyz.device)
        c, s = torch.cos(angle), torch.sin(angle)
        x, y, z = xyz.unbind(-1)
        return torch.stack([c * x - s * y, s * x + c * y, z.expand_as(c * x)], dim=-1)
    xyz = np.asarray(xyz)
    angle = np.asarray(angle, dtype=np.float64)
    dtype = xyz.dtype if np.issubdtype(xyz.dtype, np.floating) else np.float64
    c, s = np.cos(angle).astype(dtype), np.sin(angle).astype(dtype)
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    out = np.empty(np.broadcast_shapes(x.shape, c.shape) + (3,), dtype=dtype)
    out[..., 0] = c * x - s * y
    out[..., 1] = s * x + c * y
    out[..., 2] = z
    return out


def rotate_features(features: Array, angle: Array | float, centre: Array | None = None) -> Array:
    """Rotate windows of node features about the vertical axis through `centre`.

    Args:
        features: (B, ..., F) with F = 3 (positions) or 6 (positions then velocities).
        angle: (B,) or scalar, radians.
        centre: (B, 3) or (3,) point on each window's rotation axis (only x, y matter), in the
            units of the positions; None rotates about the origin (right for normalised windows,
            whose origin is the duet centre).

    Returns:
        (B, ..., F) rotated features; z and vz unchanged.
    """
    n_features = features.shape[-1]
    if n_features not in (3, 6):
        raise ValueError(f"expected 3 or 6 features (x, y, z[, vx, vy, vz]), got {n_features}")
    lead = (-1,) + (1,) * (features.ndim - 2)  # angle (B,) → (B, 1, ..., 1)
    if isinstance(features, torch.Tensor):
        angle = torch.as_tensor(angle, dtype=features.dtype, device=features.device)
        shaped = angle.reshape(lead) if angle.ndim else angle
        centre_t = (
            None
            if centre is None
            else torch.as_tensor(centre, dtype=features.dtype, device=features.device)
        )
        cat = torch.cat
    else:
        angle = np.asarray(angle, dtype=np.float64)
        shaped = angle.reshape(lead) if angle.ndim else angle
        centre_t = None if centre is None else np.asarray(centre, dtype=features.dtype)
        cat = np.concatenate
    pos = features[..., :3]
    if centre_t is not None:
        c = centre_t.reshape(lead + (3,)) if centre_t.ndim == 2 else centre_t
        c = c * _xy_mask(features)  # keep z: a vertical axis needs only its x, y
        pos = rotate_about_z(pos - c, shaped) + c
    else:
        pos = rotate_about_z(pos, shaped)
    if n_features == 3:
        return pos
    return cat([pos, rotate_about_z(features[..., 3:], shaped)], -1)


def random_angles(n: int, generator: Generator) -> Array:
    """(n,) angles drawn uniformly from [0, 2π): numpy for a numpy Generator, else torch."""
    if isinstance(generator, torch.Generator):
        return torch.rand(n, generator=generator, dtype=torch.float64) * (2 * math.pi)
    return generator.uniform(0.0, 2 * math.pi, size=n)


def random_rotation(
    features: Array, generator: Generator, centre: Array | None = None
) -> tuple[Array, Array]:
    """On-the-fly augmentation: each window rotated by its own random angle.

    Args:
        features: (B, ..., F), F = 3 or 6.
        generator: explicit numpy or torch generator (same seed, same angles).
        centre: see `rotate_features`.

    Returns:
        (rotated features (B, ..., F), angles (B,)).
    """
    angles = random_angles(features.shape[0], generator)
    return rotate_features(features, angles, centre), angles


def rotation_copy_angles(n_rotations: int, generator: Generator | None = None) -> Array:
    """(n_rotations,) angles of the expansion: 2πk/n (copy 0 unrotated), or random if given a
    generator."""
    if n_rotations < 1:
        raise ValueError(f"n_rotations must be >= 1, got {n_rotations}")
    if generator is not None:
        return random_angles(n_rotations, generator)
    return np.arange(n_rotations) * (2 * math.pi / n_rotations)


def expand_rotations(
    features: Array,
    n_rotations: int,
    generator: Generator | None = None,
    centre: Array | None = None,
) -> tuple[Array, Array]:
    """Expand B windows into n_rotations·B rotated copies (the paper's 10× augmentation).

    Args:
        features: (B, ..., F), F = 3 or 6.
        n_rotations: number of copies k.
        generator: None for evenly spaced angles 2πr/k (copy 0 is the original); a generator for
            k random angles shared by all windows.
        centre: see `rotate_features`.

    Returns:
        (features (k·B, ..., F) copy-major: rows r·B … r·B + B − 1 are copy r, angles (k·B,)).
    """
    batch = features.shape[0]
    copy_angles = rotation_copy_angles(n_rotations, generator)
    if isinstance(features, torch.Tensor):
        angles = torch.as_tensor(copy_angles).repeat_interleave(batch)
        tiled = features.repeat((n_rotations,) + (1,) * (features.ndim - 1))
        centres = None if centre is None else _tile_centre(torch.as_tensor(centre), n_rotations)
    else:
        angles = np.repeat(np.asarray(copy_angles), batch)
        tiled = np.tile(features, (n_rotations,) + (1,) * (features.ndim - 1))
        centres = None if centre is None else _tile_centre(np.asarray(centre), n_rotations)
    return rotate_features(tiled, angles, centres), angles


def _tile_centre(centre: Array, n_rotations: int) -> Array:
    if centre.ndim == 1:
        return centre
    if isinstance(centre, torch.Tensor):
        return centre.repeat(n_rotations, 1)
    return np.tile(centre, (n_rotations, 1))


def _xy_mask(features: Array) -> Array:
    if isinstance(features, torch.Tensor):
        return torch.tensor([1.0, 1.0, 0.0], dtype=features.dtype, device=features.device)
    return np.array([1.0, 1.0, 0.0], dtype=features.dtype)
