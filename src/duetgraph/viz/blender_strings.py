"""Draw duetgraph's strings in Blender as tubes between the two dancers' armatures.

This is a Blender script, not part of the duetgraph library (nothing imports it; it needs
Blender's `bpy`). `duetgraph export DUET --bvh OUT/ --strings strings.npz` copies it into OUT/
next to the two BVH files and `strings_track.json`.

In Blender (3.0 or newer):

1. File > Import > Motion Capture (.bvh): import both BVH files from OUT/ (for files in
   centimetres set Scale 0.01; keep Forward -Z, Up Y for the default y-up files, or choose
   Forward Y, Up Z for files written with --up z; tick "Update Scene FPS" and "Update Scene
   Duration"). Each armature is named after its file.
2. Scripting workspace > Text > Open > OUT/blender_strings.py > Run Script (or run
   `blender --python OUT/blender_strings.py` after saving the scene with the armatures).

Each string becomes one curve object in the collection "duetgraph strings": a straight tube
whose ends are hooked to the two joints' bones (so it follows the armatures live), visible only
in the frames where the string is active, with a radius that grows with its confidence
(keyframed, constant between frames). Strings from dancer A to B are orange, from B to A blue.
Running the script again replaces the strings it drew before.
"""

import json
import os

import bpy

# ---------------------------------------------------------------------- settings
TRACK = "strings_track.json"  # absolute, or looked up beside this script, the .blend and the cwd
ARMATURES = None  # None: the names stored in the track (the BVH file names), e.g. ("A", "B")
FRAME_START = 1  # scene frame of the first BVH frame (the importer's "Start Frame")
RADIUS = None  # tube radius at confidence 1; None: 0.6 % of armature A's rest height
COLLECTION = "duetgraph strings"
COLOURS = ((1.0, 0.45, 0.1, 1.0), (0.15, 0.5, 1.0, 1.0))  # sender A (A→B), sender B (B→A)


def find_track(name):
    """The track file: `name` if absolute, else beside the script, the .blend or the cwd."""
    if os.path.isabs(name):
        return name
    places = []
    script = globals().get("__file__")
    if script:
        places.append(os.path.dirname(os.path.abspath(bpy.path.abspath(script))))
    if bpy.data.filepath:
        places.append(os.path.dirname(bpy.data.filepath))
    places.append(os.getcwd())
    for folder in places:
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(
        f"{name}: not found in {', '.join(places)}; set TRACK at the top of this script to the "
        "full path of strings_track.json."
    )


def find_armature(name):
    """The armature object called `name` (or `name.001`, ... if imported more than once)."""
    arms = [ob for ob in bpy.data.objects if ob.type == "ARMATURE"]
    for ob in arms:
        if ob.name == name:
            return ob
    for ob in arms:
        if ob.name.split(".")[0].lower() == name.lower():
            return ob
    raise LookupError(
        f"no armature named {name!r} (found: {', '.join(ob.name for ob in arms) or 'none'}); "
        "import the BVH files first or set ARMATURES at the top of this script."
    )


def fresh_collection(name):
    """An empty collection `name` linked to the scene (the previous one's objects removed)."""
    old = bpy.data.collections.get(name)
    if old is not None:
        for ob in list(old.objects):
            data = ob.data
            bpy.data.objects.remove(ob, do_unlink=True)
            if data is not None and data.users == 0:
                bpy.data.curves.remove(data)
        bpy.data.collections.remove(old)
    coll = bpy.data.collections.new(name)
    bpy.context.scene.collection.children.link(coll)
    return coll


def material(name, colour):
    mat = bpy.data.materials.get(name) or bpy.data.materials.new(name)
    mat.diffuse_color = colour  # viewport (solid mode) colour
    tree = getattr(mat, "node_tree", None)
    if tree is None and hasattr(mat, "use_nodes"):
        mat.use_nodes = True
        tree = mat.node_tree
    node = tree.nodes.get("Principled BSDF") if tree is not None else None
    if node is not None:
        node.inputs["Base Color"].default_value = colour
    return mat


def string_curve(name, coll, ends, radius, mat):
    """A two-point tube whose points are hooked to the bones `ends` = ((armature, bone), ...)."""
    curve = bpy.data.curves.new(name, type="CURVE")
    curve.dimensions = "3D"
    curve.bevel_depth = radius
    curve.bevel_resolution = 2
    spline = curve.splines.new("POLY")
    spline.points.add(1)  # two points, both at the origin: the hooks carry them to the joints
    for point in spline.points:
        point.co = (0.0, 0.0, 0.0, 1.0)
    ob = bpy.data.objects.new(name, curve)
    coll.objects.link(ob)
    ob.data.materials.append(mat)
    for index, (arm, bone) in enumerate(ends):
        hook = ob.modifiers.new(f"hook {bone}", "HOOK")
        hook.object = arm
        hook.subtarget = bone  # the bone's head is the joint
        hook.falloff_type = "NONE"
        hook.center = (0.0, 0.0, 0.0)
        hook.matrix_inverse = ((1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (0, 0, 0, 1))
        hook.vertex_indices_set([index])
    return ob


def keyframe(ob, shown, radius):
    """Visible with radius ∝ confidence in the frames of `shown` ({frame: confidence}), hidden
    elsewhere; constant interpolation."""
    prefs = bpy.context.preferences.edit
    saved = prefs.keyframe_new_interpolation_type
    prefs.keyframe_new_interpolation_type = "CONSTANT"
    try:
        previous = None
        for frame in sorted(set(shown) | {f + 1 for f in shown} | {FRAME_START}):
            on = frame in shown
            if on != previous:
                ob.hide_viewport = ob.hide_render = not on
                ob.keyframe_insert("hide_viewport", frame=frame)
                ob.keyframe_insert("hide_render", frame=frame)
                previous = on
            if on:
                ob.data.bevel_depth = radius * (0.3 + 0.7 * shown[frame])
                ob.data.keyframe_insert("bevel_depth", frame=frame)
    finally:
        prefs.keyframe_new_interpolation_type = saved


def main():
    with open(find_track(TRACK), encoding="utf-8") as f:
        track = json.load(f)
    if track.get("format") != "duetgraph.strings_track":
        raise ValueError(f"{TRACK}: not a duetgraph strings track (written by duetgraph export).")
    arms = [find_armature(n) for n in (ARMATURES or track["armatures"])]
    radius = RADIUS if RADIUS is not None else 0.006 * max(arms[0].dimensions)
    coll = fresh_collection(COLLECTION)
    shown = {s["id"]: {} for s in track["strings"]}  # string → {scene frame: confidence}
    for entry in track["frames"]:
        for active in entry["active"]:
            shown[active["string"]][FRAME_START + entry["frame"]] = active["confidence"]
    mats = [material(f"duetgraph string from {d}", COLOURS[i]) for i, d in enumerate("AB")]
    for s in track["strings"]:
        sender, receiver = s["sender"], s["receiver"]
        for end in (sender, receiver):
            if end["joint"] not in arms[end["dancer"]].data.bones:
                raise LookupError(
                    f"armature {arms[end['dancer']].name} has no bone {end['joint']!r}; import "
                    "the BVH files written together with this track."
                )
        ends = (
            (arms[sender["dancer"]], sender["joint"]),
            (arms[receiver["dancer"]], receiver["joint"]),
        )
        ob = string_curve(s["name"], coll, ends, radius, mats[sender["dancer"]])
        ob["duetgraph_peak_confidence"] = s["peak_confidence"]
        keyframe(ob, shown[s["id"]], radius)
    print(f"duetgraph: drew {len(track['strings'])} strings in collection {COLLECTION!r}.")


if __name__ == "__main__":
    main()
