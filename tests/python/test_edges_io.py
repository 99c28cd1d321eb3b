# SPDX-License-Identifier: MIT
"""gradmap.edges against numpy's gradient + hypot + arctan2, and gradmap.read / gradmap.write
against nibabel and numpy on real files."""
import os

import numpy as np
import pytest

import gradmap

SAMPLES = os.path.join(os.environ.get("GRADMAP_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..")),
                       "sample_images")
HEAD = os.path.join(SAMPLES, "head_phantom.nii.gz")


def ulps(got, want):
    got = np.asarray(got)
    spacing = np.spacing(np.abs(want).astype(got.dtype))
    return np.max(np.abs(got.astype(np.float64) - want.astype(np.float64)) / spacing)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8])
def test_2d_edges_are_numpys_hypot_and_arctan2(dtype):
    rng = np.random.default_rng(3)
    f = (rng.standard_normal((37, 41)) * 50).astype(dtype)
    e = gradmap.edges(f, 0.5, 2.0)
    assert isinstance(e, gradmap.Edges2D) and e._fields == ("magnitude", "direction")
    gy, gx = np.gradient(f, 0.5, 2.0)
    assert e.magnitude.dtype == gy.dtype
    assert ulps(e.magnitude, np.hypot(gy, gx)) <= 1
    assert ulps(e.direction, np.arctan2(gy, gx)) <= 2


def test_3d_edges_are_magnitude_azimuth_elevation():
    rng = np.random.default_rng(4)
    f = rng.standard_normal((9, 10, 11))
    e = gradmap.edges(f, 2.5, 0.8, 0.7, edge_order=2)
    assert isinstance(e, gradmap.Edges3D)
    gz, gy, gx = np.gradient(f, 2.5, 0.8, 0.7, edge_order=2)
    assert np.allclose(e.magnitude, np.sqrt(gz ** 2 + gy ** 2 + gx ** 2), rtol=1e-15, atol=0)
    assert ulps(e.azimuth, np.arctan2(gy, gx)) <= 2
    assert ulps(e.elevation, np.arctan2(gz, np.hypot(gx, gy))) <= 2


def test_angle_options_follow_the_cli():
    f = np.add.outer(np.arange(5.0), np.arange(6.0))  # gy = gx = 1: 45 degrees
    assert np.allclose(gradmap.edges(f, units="deg").direction, 45.0)
    assert np.allclose(gradmap.edges(f, units="deg", y_up=True).direction, -45.0)
    assert np.allclose(gradmap.edges(-f, units="deg", angle_range="unsigned").direction, 225.0)
    assert np.allclose(gradmap.edges(f, units="deg", compass=True).direction, 135.0)
    with pytest.raises(ValueError, match="units"):
        gradmap.edges(f, units="grad")


def test_one_axis_or_no_direction_gives_the_magnitude_only():
    f = np.arange(10.0) ** 2
    e = gradmap.edges(f)
    assert isinstance(e, gradmap.EdgesND)
    assert np.array_equal(e.magnitude, np.abs(np.gradient(f)))
    assert isinstance(gradmap.edges(np.ones((4, 4)), direction=False), gradmap.EdgesND)


def test_read_gives_pixels_without_copy_and_geometry_like_nibabel():
    nib = pytest.importorskip("nibabel")
    im = gradmap.read(HEAD)
    ref = nib.load(HEAD)
    a, b = im.array, im.array
    assert np.shares_memory(a, b)  # both views of the image's one buffer
    assert np.array_equal(a, np.asanyarray(ref.dataobj).transpose(2, 1, 0))  # nibabel is (x, y, z)
    assert np.allclose(im.spacing, ref.header.get_zooms()[::-1])
    assert im.frame == "LPS" and im.unit == "mm" and im.format == "nifti"
    # nibabel's affine is RAS, (x, y, z): gradmap's LPS (z, y, x) origin, negated x and y, reversed.
    lps = np.array(im.origin[::-1]) * [-1, -1, 1]
    assert np.allclose(lps, ref.affine[:3, 3], atol=1e-4)
    assert im.direction.shape == (3, 3)


def test_write_like_keeps_the_geometry(tmp_path):
    nib = pytest.importorskip("nibabel")
    im = gradmap.read(HEAD)
    mag = gradmap.edges(im.array, *im.spacing).magnitude
    out = str(tmp_path / "mag.nii.gz")
    gradmap.write(out, mag, like=im)
    back = nib.load(out)
    assert np.allclose(back.affine, nib.load(HEAD).affine, atol=1e-5)
    assert np.array_equal(np.asanyarray(back.dataobj).transpose(2, 1, 0), mag)


def test_write_npy_and_png_round_trip(tmp_path):
    a = np.arange(12, dtype=np.uint8).reshape(3, 4)[:, ::-1]
    gradmap.write(tmp_path / "a.npy", a)
    assert np.array_equal(np.load(tmp_path / "a.npy"), a)
    gradmap.write(tmp_path / "a.png", a)
    assert np.array_equal(gradmap.read(tmp_path / "a.png").array, a)


def test_unreadable_files_raise_io_error_naming_the_file(tmp_path):
    with pytest.raises(gradmap.IoError, match="missing.nii"):
        gradmap.read(tmp_path / "missing.nii")
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png")
    with pytest.raises(OSError, match="bad.png"):
        gradmap.read(bad)


def test_help_shows_the_numpy_equivalence_line():
    assert "Equivalent to ``numpy.gradient(f, *varargs, axis=axis, edge_order=edge_order)``" in gradmap.gradient.__doc__
    assert "np.hypot" in gradmap.edges.__doc__
    assert os.path.exists(os.path.join(os.path.dirname(gradmap.__file__), "__init__.pyi"))


def test_docstring_examples_run():
    import doctest

    import gradmap.dask
    for module in (gradmap, gradmap.dask):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__
