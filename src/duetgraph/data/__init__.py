"""duetgraph.data (see DESIGN.md §1)."""
