#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Regenerates the seed corpora in fuzz/corpus/: small real files of every kind the targets read,
# cut down from sample_images/ where there is one (so the seeds look like what users feed gradmap).
import gzip, os, struct, sys
import numpy as np
import cv2
import nibabel as nib

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
c = os.path.join(root, "fuzz", "corpus")
rng = np.random.default_rng(8)

def out(target, name):
    return os.path.join(c, target, name)

# NPY: every dtype, both byte orders, Fortran order, format 2.0, 0-d and empty shapes.
for dt in ["u1", "i2", ">i4", "<u8", "f2", "<f4", ">f8"]:
    np.save(out("fuzz_npy", f"a_{dt.replace('<', 'le').replace('>', 'be')}.npy"), (rng.random((3, 4)) * 100).astype(dt))
np.save(out("fuzz_npy", "fortran.npy"), np.asfortranarray(np.arange(24, dtype=np.float32).reshape(2, 3, 4)))
np.save(out("fuzz_npy", "scalar.npy"), np.float64(1.5))
np.save(out("fuzz_npy", "empty.npy"), np.zeros((0, 3), np.int16))
with open(out("fuzz_npy", "v2.npy"), "wb") as f:
    np.lib.format.write_array(f, np.ones((2, 2), np.float32), version=(2, 0))

# Rasters: the samples shrunk to 16 × 16, in each format and bit depth the loader handles.
ascent = cv2.resize(cv2.imread(os.path.join(root, "sample_images", "ascent_gray.png"), cv2.IMREAD_UNCHANGED), (16, 16))
color = cv2.resize(cv2.imread(os.path.join(root, "sample_images", "raccoon_color.jpg")), (16, 12))
spots = cv2.resize(cv2.imread(os.path.join(root, "sample_images", "spots_16bit.png"), cv2.IMREAD_UNCHANGED), (16, 16))
cv2.imwrite(out("fuzz_raster", "gray.png"), ascent)
cv2.imwrite(out("fuzz_raster", "color.png"), color)
cv2.imwrite(out("fuzz_raster", "gray16.png"), spots)
cv2.imwrite(out("fuzz_raster", "rgba.png"), cv2.cvtColor(color, cv2.COLOR_BGR2BGRA))
cv2.imwrite(out("fuzz_raster", "color.jpg"), color, [cv2.IMWRITE_JPEG_QUALITY, 50])
cv2.imwrite(out("fuzz_raster", "gray.jpg"), ascent, [cv2.IMWRITE_JPEG_QUALITY, 50])
cv2.imwrite(out("fuzz_raster", "float.tif"), ascent.astype(np.float32) / 255)
cv2.imwrite(out("fuzz_raster", "gray16.tif"), spots)
cv2.imwrite(out("fuzz_raster", "color.bmp"), color)
cv2.imwrite(out("fuzz_raster", "gray.bmp"), ascent)

# Volumes: a small anisotropic NIfTI-1 (header + data), NRRD (raw and gzip) and MetaImage.
vol = (rng.random((4, 5, 6)) * 1000).astype(np.int16)
img = nib.Nifti1Image(vol, np.diag([0.7, 0.8, 2.5, 1]))
img.header.set_qform(img.affine, code=1)
nib.save(img, out("fuzz_volume", "small.nii"))
nib.save(nib.Nifti1Image(rng.random((3, 3, 2, 2)).astype(np.float32), np.eye(4)), out("fuzz_volume", "series4d.nii"))
def nrrd(name, arr, encoding, payload):
    hdr = (f"NRRD0004\ntype: {arr.dtype.name}\ndimension: {arr.ndim}\nsizes: {' '.join(map(str, arr.shape[::-1]))}\n"
           f"space: left-posterior-superior\nspace directions: (0.7,0,0) (0,0.8,0) (0,0,2.5)\n"
           f"space origin: (1,2,3)\nendian: little\nencoding: {encoding}\n\n")
    with open(out("fuzz_volume", name), "wb") as f:
        f.write(hdr.encode() + payload)
nrrd("raw.nrrd", vol, "raw", vol.tobytes())
nrrd("gzip.nrrd", vol, "gzip", gzip.compress(vol.tobytes()))
with open(out("fuzz_volume", "small.mha"), "wb") as f:
    f.write(b"ObjectType = Image\nNDims = 3\nDimSize = 6 5 4\nElementSpacing = 0.7 0.8 2.5\n"
            b"Offset = 1 2 3\nElementType = MET_SHORT\nElementDataFile = LOCAL\n" + vol.tobytes())

# CLI options: 4 control bytes, then spacing, axis list, max-memory, coords entries.
cli = {
    "plain": b"\x02\x55\x00\x00" + b"0.5\n\n4G\n",
    "named": b"\x03\xff\x02\x04" + b"x=0.7,y=0.7,z=2\nx,y,z\n512M\n",
    "coords": b"\x01\x0f\x00\x00" + b"\n-1\n\nx=0;1;3;4\n",
    "per_axis": b"\x02\xaa\x01\x08" + b"1,2,3\n0,1\n1e300\n",
}
for name, data in cli.items():
    with open(out("fuzz_cli_options", name), "wb") as f:
        f.write(data)

# Gradient: the bytes drive shapes, strides, spacings and values; random seeds of a few sizes.
for n in (16, 64, 256, 1024):
    with open(out("fuzz_gradient", f"random_{n}"), "wb") as f:
        f.write(rng.integers(0, 256, n, dtype=np.uint8).tobytes())
