"""duetgraph.analysis (see DESIGN.md §1)."""
