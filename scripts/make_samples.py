#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Regenerates everything in sample_images/ (see sample_images/README.md for what each file is).

Run with Debian's Python (numpy, scipy, nibabel, opencv and pydicom from apt):
    /usr/bin/python3 scripts/make_samples.py [OUTPUT_DIR]
Deterministic: a fixed random seed, fixed UIDs and no time stamps, so rerunning it reproduces the
committed files (JPEG and gzip bytes may differ between library versions; pixel values of the
lossless files do not).
"""
import gzip
import os
import sys
import warnings

import cv2
import nibabel as nib
import numpy as np

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sample_images")

# The anisotropic volume's geometry, in ITK's LPS world frame and (x, y, z) axis order, which is
# what NRRD, MetaImage and DICOM store; NIfTI stores RAS, so its affine flips the first two rows.
VOL_SHAPE_XYZ = (64, 64, 32)
VOL_SPACING_XYZ = (0.7, 0.8, 2.5)
VOL_ORIGIN_LPS = (-20.5, 30.25, -12.0)


def rotation(deg_z, deg_x):
    a, b = np.radians(deg_z), np.radians(deg_x)
    rz = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    return rz @ rx


VOL_DIRECTION_LPS = rotation(15.0, 10.0)  # columns: world direction of index axes x, y, z
LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0])


def nifti_affine(direction_lps, spacing_xyz, origin_lps):
    a = np.eye(4)
    a[:3, :3] = LPS_TO_RAS @ direction_lps @ np.diag(spacing_xyz)
    a[:3, 3] = LPS_TO_RAS @ np.asarray(origin_lps)
    return a


def save_nifti(path, vol_zyx, affine):
    """vol_zyx is in numpy (z, y, x) order; NIfTI's first index is x."""
    img = nib.Nifti1Image(np.ascontiguousarray(vol_zyx.transpose(2, 1, 0)), affine)
    img.set_qform(affine, code=1)
    img.set_sform(affine, code=1)
    img.header.set_xyzt_units("mm", "sec")
    nib.save(img, path)


def phantom_volume():
    """A CT-like head phantom (nested ellipsoids, Hounsfield-like int16 values) sampled on the
    anisotropic grid in physical millimetres, so it looks round although the voxels are not cubes."""
    nx, ny, nz = VOL_SHAPE_XYZ
    sx, sy, sz = VOL_SPACING_XYZ
    z, y, x = np.meshgrid(np.arange(nz) * sz, np.arange(ny) * sy, np.arange(nx) * sx, indexing="ij")
    cx, cy, cz = (nx - 1) * sx / 2, (ny - 1) * sy / 2, (nz - 1) * sz / 2
    vol = np.full(z.shape, -1000.0)

    def ellipsoid(value, c, r):
        inside = ((x - c[0]) / r[0]) ** 2 + ((y - c[1]) / r[1]) ** 2 + ((z - c[2]) / r[2]) ** 2 <= 1
        vol[inside] = value

    ellipsoid(900.0, (cx, cy, cz), (20, 24, 36))  # skull
    ellipsoid(40.0, (cx, cy, cz), (18, 22, 33))  # brain
    ellipsoid(10.0, (cx - 6, cy + 2, cz), (3.5, 8, 12))  # ventricles
    ellipsoid(10.0, (cx + 6, cy + 2, cz), (3.5, 8, 12))
    ellipsoid(70.0, (cx + 3, cy - 9, cz + 10), (4, 4, 6))  # a lesion
    rng = np.random.default_rng(20240601)
    vol += rng.normal(0.0, 4.0, vol.shape)
    return np.round(vol).astype(np.int16)


def save_nrrd(path, vol_zyx, direction_lps, spacing_xyz, origin_lps):
    """NRRD 0004 with gzip encoding, written by hand (no NRRD writer is packaged in Debian)."""
    type_name = {np.dtype(np.int16): "short", np.dtype(np.float32): "float"}[vol_zyx.dtype]
    dirs = direction_lps @ np.diag(spacing_xyz)
    vec = lambda v: "(" + ",".join(repr(float(c)) for c in v) + ")"
    header = (
        "NRRD0004\n"
        "# Written by gradmap scripts/make_samples.py\n"
        f"type: {type_name}\n"
        "dimension: 3\n"
        "space: left-posterior-superior\n"
        f"sizes: {vol_zyx.shape[2]} {vol_zyx.shape[1]} {vol_zyx.shape[0]}\n"
        f"space directions: {vec(dirs[:, 0])} {vec(dirs[:, 1])} {vec(dirs[:, 2])}\n"
        "kinds: domain domain domain\n"
        "endian: little\n"
        "encoding: gzip\n"
        f"space origin: {vec(origin_lps)}\n"
        "\n"
    )
    with open(path, "wb") as f:
        f.write(header.encode("ascii"))
        f.write(gzip.compress(vol_zyx.astype(vol_zyx.dtype.newbyteorder("<")).tobytes(), mtime=0))


def ds_str(v):
    """A DICOM decimal string (at most 16 characters)."""
    s = f"{v:.8g}"
    assert len(s) <= 16, s
    return s


def save_dicom_series(directory, vol_zyx, direction_lps, spacing_xyz, origin_lps):
    import pydicom
    from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    os.makedirs(directory, exist_ok=True)
    ct = "1.2.840.10008.5.1.4.1.1.2"
    uid = lambda *parts: generate_uid(entropy_srcs=["gradmap-sample"] + [str(p) for p in parts])
    study, series, frame = uid("study"), uid("series"), uid("frame")
    normal = direction_lps[:, 2]
    nz = vol_zyx.shape[0]
    for k in range(nz):
        # Files are numbered from the top slice down, as many scanners do, so a reader has to sort
        # by position rather than by name.
        position = np.asarray(origin_lps) + k * spacing_xyz[2] * normal
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = ct
        meta.MediaStorageSOPInstanceUID = uid("slice", k)
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = FileDataset(None, Dataset(), file_meta=meta, preamble=b"\0" * 128)
        ds.SOPClassUID = ct
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study, series, frame
        ds.Modality = "CT"
        ds.PatientName = "Phantom^Gradmap"
        ds.PatientID = "GRADMAP-PHANTOM"
        ds.SeriesNumber = 1
        ds.InstanceNumber = nz - k
        ds.ImagePositionPatient = [ds_str(c) for c in position]
        ds.ImageOrientationPatient = [ds_str(c) for c in list(direction_lps[:, 0]) + list(direction_lps[:, 1])]
        ds.PixelSpacing = [ds_str(spacing_xyz[1]), ds_str(spacing_xyz[0])]  # row spacing (y), column spacing (x)
        ds.SliceThickness = ds_str(spacing_xyz[2])
        ds.Rows, ds.Columns = vol_zyx.shape[1], vol_zyx.shape[2]
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.RescaleIntercept, ds.RescaleSlope = "0", "1"
        ds.PixelData = np.ascontiguousarray(vol_zyx[k]).astype("<i2").tobytes()
        ds.is_little_endian, ds.is_implicit_VR = True, False
        ds.save_as(os.path.join(directory, f"IM{nz - k:04d}.dcm"), write_like_original=False)


def main():
    os.makedirs(OUT, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from scipy import misc

        ascent = misc.ascent().astype(np.uint8)
        face_rgb = misc.face()

    # Photos (public domain, shipped with Debian's python3-scipy).
    cv2.imwrite(os.path.join(OUT, "ascent_gray.png"), ascent)
    face_small = cv2.resize(face_rgb, (512, 384), interpolation=cv2.INTER_AREA)
    cv2.imwrite(os.path.join(OUT, "raccoon_color.jpg"), cv2.cvtColor(face_small, cv2.COLOR_RGB2BGR),
                [cv2.IMWRITE_JPEG_QUALITY, 90])

    # 16-bit: a synthetic fluorescence-microscopy-like field of blurred spots with Poisson noise.
    rng = np.random.default_rng(7)
    h, w = 256, 320
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    field = np.full((h, w), 800.0)
    for _ in range(60):
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        s, a = rng.uniform(2.0, 7.0), rng.uniform(2000, 40000)
        field += a * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s * s))
    spots = np.clip(rng.poisson(field), 0, 65535).astype(np.uint16)
    cv2.imwrite(os.path.join(OUT, "spots_16bit.png"), spots)

    # The anisotropic CT-like volume, in NIfTI and NRRD with identical voxels and geometry, and its
    # first 12 slices as a DICOM series.
    vol = phantom_volume()
    affine = nifti_affine(VOL_DIRECTION_LPS, VOL_SPACING_XYZ, VOL_ORIGIN_LPS)
    save_nifti(os.path.join(OUT, "head_phantom.nii.gz"), vol, affine)
    save_nrrd(os.path.join(OUT, "head_phantom.nrrd"), vol, VOL_DIRECTION_LPS, VOL_SPACING_XYZ, VOL_ORIGIN_LPS)
    save_dicom_series(os.path.join(OUT, "head_phantom_dicom"), vol[:12], VOL_DIRECTION_LPS, VOL_SPACING_XYZ,
                      VOL_ORIGIN_LPS)

    # Phantoms with analytic gradients, on grids whose spacing differs on every axis; identity
    # direction (in gradmap's and ITK's LPS frame) and zero origin, so world coordinates are
    # index × spacing.
    sz, sy, sx = 2.0, 1.0, 0.5
    z, y, x = np.meshgrid(np.arange(24) * sz, np.arange(40) * sy, np.arange(48) * sx, indexing="ij")
    blob = np.exp(-((x - 12.0) ** 2 + (y - 20.0) ** 2 + (z - 22.0) ** 2) / (2 * 6.0 ** 2))
    save_nifti(os.path.join(OUT, "gaussian_blob.nii.gz"), blob.astype(np.float32),
               nifti_affine(np.eye(3), (sx, sy, sz), (0.0, 0.0, 0.0)))
    sz, sy, sx = 2.5, 0.8, 0.7
    z, y, x = np.meshgrid(np.arange(16) * sz, np.arange(20) * sy, np.arange(24) * sx, indexing="ij")
    ramp = 3.0 * x - 2.0 * y + 0.5 * z
    save_nifti(os.path.join(OUT, "linear_ramp.nii.gz"), ramp.astype(np.float32),
               nifti_affine(np.eye(3), (sx, sy, sz), (0.0, 0.0, 0.0)))
    y2, x2 = np.mgrid[0:48, 0:64].astype(np.float32)
    cv2.imwrite(os.path.join(OUT, "linear_ramp_2d.tif"), (2.0 * x2 + 5.0 * y2).astype(np.float32))


if __name__ == "__main__":
    main()
