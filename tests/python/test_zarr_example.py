# SPDX-License-Identifier: MIT
"""examples/python/zarr_edges.py at a small scale: a Zarr volume with geometry attributes turned
into magnitude/azimuth/elevation Zarr arrays on a 2-worker LocalCluster under a memory limit, equal
to gradmap.edges of the whole volume, with the geometry carried over."""
import os
import subprocess
import sys

import numpy as np
import pytest

zarr = pytest.importorskip("zarr")
import gradmap  # noqa: E402

EXAMPLE = os.path.join(os.environ.get("GRADMAP_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..")),
                       "examples", "python", "zarr_edges.py")


def run_example(*args):
    r = subprocess.run([sys.executable, EXAMPLE, *args], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_zarr_volume_to_edge_maps_on_two_workers(tmp_path):
    src, dst = str(tmp_path / "volume.zarr"), str(tmp_path / "edges.zarr")
    run_example(src, "--make-example", "40,36,44", "--chunks", "16")
    z = zarr.open_array(src, mode="r+")
    z.attrs["spacing"] = [2.5, 0.8, 0.7]
    run_example(src, dst, "--workers", "2", "--memory-limit", "256MB", "--edge-order", "2")
    f = z[:]
    want = gradmap.edges(f, 2.5, 0.8, 0.7, edge_order=2)
    out = zarr.open_group(dst, mode="r")
    for name in ("magnitude", "azimuth", "elevation"):
        got = out[name]
        assert got.chunks == z.chunks
        assert got.attrs["spacing"] == [2.5, 0.8, 0.7]
        assert np.array_equal(got[:], getattr(want, name)), name
    # and numpy: the root of the sum of numpy's squared components (float64), rounded, to a few ulp
    g = np.gradient(f, 2.5, 0.8, 0.7, edge_order=2)
    ref = np.sqrt(sum(c.astype(np.float64) ** 2 for c in g)).astype(np.float32)
    assert np.allclose(out["magnitude"][:], ref, rtol=3e-7, atol=0)


def test_geometry_of_a_nifti_volume_reaches_the_zarr_attributes(tmp_path):
    src = str(tmp_path / "head.zarr")
    image = os.path.join(os.path.dirname(EXAMPLE), "..", "..", "sample_images", "head_phantom.nii.gz")
    run_example(src, "--from-image", image, "--chunks", "16")
    im = gradmap.read(image)
    z = zarr.open_array(src, mode="r")
    assert np.array_equal(z[:], im.array)
    assert z.attrs["spacing"] == list(im.spacing) and z.attrs["frame"] == "LPS"
    assert np.allclose(np.reshape(z.attrs["direction"], (3, 3)), im.direction)
