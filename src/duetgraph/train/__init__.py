"""duetgraph.train (see DESIGN.md §1)."""
