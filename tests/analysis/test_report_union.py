import numpy as np

from duetgraph.analysis.report import _union_seconds


def test_overlapping_segments_are_counted_once():
    edge = np.array([0, 0, 1, 0])
    start = np.array([0.0, 0.2, 5.0, 3.0])
    end = np.array([0.8, 1.0, 6.0, 3.5])
    np.testing.assert_allclose(_union_seconds(edge, start, end, 3), [1.5, 1.0, 0.0])
