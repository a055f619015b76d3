"""Tests of duetgraph.model, mirroring src/duetgraph/model."""
