"""duetgraph.viz (see DESIGN.md §1): video, figures and the offline 3D viewer. A leaf: nothing
of ours imports it.

- `video`: MP4 (H.264 via ffmpeg) and GIF of both dancers with their strings (`render_video`).
- `raster`: one frame drawn with pillow over a numpy perspective projection (`FrameRenderer`).
- `camera`: the fixed perspective camera (`Camera`, `fit_camera`).
- `timeline`: which duet frame and which strings each output frame shows (shared by video and
  viewer).
- `figures`: PNG heat map, hubs, bipartite graph of strings, training curves (`write_figures`).
- `viewer`: one self-contained offline HTML viewer (`write_viewer`).
"""

from duetgraph.viz.camera import Camera, fit_camera
from duetgraph.viz.figures import (
    plot_bipartite,
    plot_hubs,
    plot_string_heatmap,
    plot_training,
    read_metrics,
    write_figures,
)
from duetgraph.viz.raster import FrameRenderer, FrameStyle
from duetgraph.viz.timeline import FramePlan, frame_p_string, plan_frames
from duetgraph.viz.video import VideoConfig, VideoInfo, render_video
from duetgraph.viz.viewer import ViewerConfig, viewer_data, write_viewer

__all__ = [
    "Camera",
    "FramePlan",
    "FrameRenderer",
    "FrameStyle",
    "VideoConfig",
    "VideoInfo",
    "ViewerConfig",
    "fit_camera",
    "frame_p_string",
    "plan_frames",
    "plot_bipartite",
    "plot_hubs",
    "plot_string_heatmap",
    "plot_training",
    "read_metrics",
    "render_video",
    "viewer_data",
    "write_figures",
    "write_viewer",
]
