#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Edge maps of a Zarr volume, chunk by chunk, into a Zarr group: gradmap.dask.edges on a Dask
(distributed) cluster, so the volume may be larger than the memory any worker is allowed.

The input is a Zarr array whose attributes carry its geometry in numpy axis order:
``spacing`` (e.g. mm per sample), and optionally ``origin``, ``direction`` (n x n, row-major) and
``frame`` ("LPS"). The output group holds ``magnitude`` and ``direction`` (2-D) or ``azimuth`` and
``elevation`` (3-D), chunked like the input, each carrying the input's geometry attributes.

    # a synthetic 2 GB float32 volume, written chunk by chunk
    python3 zarr_edges.py --make-example 800,800,800 --chunks 64 volume.zarr
    # or any volume gradmap reads (NIfTI, NRRD, DICOM, ...), with its geometry
    python3 zarr_edges.py --from-image head.nii.gz --chunks 64 volume.zarr
    # edge maps on 2 workers of 512 MB each
    python3 zarr_edges.py volume.zarr edges.zarr --workers 2 --memory-limit 512MB
"""
import argparse
import sys

import dask
import dask.array as da
import numpy as np
import zarr

import gradmap
import gradmap.dask

GEOMETRY_KEYS = ("spacing", "origin", "direction", "frame", "unit")


def make_example(path, shape, chunks):
    """A smooth volume with noise (a sphere of radius shape/3 plus N(0, 0.1)), float32, chunked."""
    grids = da.meshgrid(*[da.linspace(-1, 1, n, chunks=chunks, dtype=np.float32) for n in shape], indexing="ij",
                        sparse=True)
    r = da.sqrt(sum(g * g for g in grids))
    noise = da.random.RandomState(0).standard_normal(shape, chunks=chunks).astype(np.float32)
    vol = (r < 0.66).astype(np.float32) * 100 + noise * np.float32(0.1)
    vol.to_zarr(path, overwrite=True)
    zarr.open_array(path, mode="r+").attrs.update(
        {"spacing": [1.0] * len(shape), "origin": [0.0] * len(shape), "unit": "mm"})


def from_image(path, out, chunks):
    """A volume gradmap reads, with its geometry in the Zarr attributes."""
    im = gradmap.read(path)
    da.from_array(im.array, chunks=chunks).to_zarr(out, overwrite=True)
    zarr.open_array(out, mode="r+").attrs.update(
        {"spacing": list(im.spacing), "origin": list(im.origin), "direction": im.direction.ravel().tolist(),
         "frame": im.frame, "unit": im.unit})


def edge_maps(src, dst, edge_order=1, units="rad"):
    """Builds the graph: reads `src` chunk by chunk, writes the maps into the group `dst`."""
    z = zarr.open_array(src, mode="r")
    geometry = {k: z.attrs[k] for k in GEOMETRY_KEYS if k in z.attrs}
    spacing = geometry.get("spacing", [1.0] * z.ndim)
    if len(spacing) != z.ndim:
        sys.exit(f"zarr_edges: {src} has {z.ndim} axes but {len(spacing)} spacing values in its attributes")
    x = da.from_zarr(z)
    maps = gradmap.dask.edges(x, *spacing, edge_order=edge_order, units=units)
    group = zarr.open_group(dst, mode="w")
    targets = []
    for name, m in zip(maps._fields, maps):
        arr = group.create_dataset(name, shape=m.shape, chunks=z.chunks, dtype=m.dtype)
        arr.attrs.update(geometry)
        arr.attrs["quantity"] = name
        arr.attrs["units"] = "per " + geometry.get("unit", "sample") if name == "magnitude" else units
        targets.append(arr)
    return da.store(list(maps), targets, lock=False, compute=False)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("input", nargs="?", help="input Zarr array (or the one to create)")
    p.add_argument("output", nargs="?", help="output Zarr group")
    p.add_argument("--make-example", metavar="SHAPE", help="write a synthetic float32 volume of SHAPE (z,y,x) to INPUT")
    p.add_argument("--from-image", metavar="FILE", help="convert FILE (any format gradmap reads) to INPUT")
    p.add_argument("--chunks", type=int, default=64, help="chunk edge for --make-example/--from-image (default 64)")
    p.add_argument("--edge-order", type=int, default=1, choices=(1, 2))
    p.add_argument("--units", default="rad", choices=("rad", "deg"))
    p.add_argument("--workers", type=int, default=0, help="a LocalCluster of this many worker processes (0: threads)")
    p.add_argument("--memory-limit", default="512MB", help="memory limit per worker (default 512MB)")
    a = p.parse_args(argv)
    if a.make_example:
        make_example(a.input, tuple(int(s) for s in a.make_example.split(",")), a.chunks)
    elif a.from_image:
        from_image(a.from_image, a.input, a.chunks)
    if not a.output:
        return 0
    job = edge_maps(a.input, a.output, a.edge_order, a.units)
    if a.workers > 0:
        from distributed import Client, LocalCluster
        with LocalCluster(n_workers=a.workers, threads_per_worker=1, memory_limit=a.memory_limit,
                          dashboard_address=None, silence_logs=40) as cluster, Client(cluster):
            dask.compute(job)
    else:
        dask.compute(job)
    print(a.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
