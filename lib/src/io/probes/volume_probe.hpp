// SPDX-License-Identifier: MIT
// Byte-level volume header probes (volume_probe.cpp), apart from the ITK backend: NIfTI, MetaImage
// and DICOM files are checked here, by code that trusts nothing in them, before ITK or GDCM (which
// hang, abort the process or read short data on hostile files) see them. Also gradmap's own reader
// of scalar NIfTI voxels, which shares the probe's NiftiHeader.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gradmap/array.hpp"
#include "gradmap/export.hpp"

namespace gradmap::detail {

/// What gradmap needs from a NIfTI-1 or NIfTI-2 header, in host byte order.
struct NiftiHeader {
  bool swap = false;  // the file's byte order differs from the host's
  int version = 1;
  int datatype = 0;
  double bitpix = 0;
  double vox_offset = 0;           // where the voxels start: at least the header + extender
  std::vector<std::int64_t> dims;  // dim[1..dim[0]]
  std::vector<double> pixdim;      // pixdim[1..dim[0]]
  double scl_slope = 0, scl_inter = 0;
  int qform_code = 0, sform_code = 0, xyzt_units = 0;
};

/// Parses and checks a NIfTI header. NIfTI's reader zero-fills voxels missing from a truncated file
/// and carries on, so with `data_size` the bytes the header needs (vox_offset + voxels × bitpix /
/// 8) are compared with what the file holds: its size, or for .nii.gz the length of the
/// decompressed stream (which also catches a cut gzip stream). With `data_size` false only the
/// header's sanity is checked (before ITK parses it).
GRADMAP_CORE_EXPORT NiftiHeader check_nifti_complete(const std::string& path, bool data_size);

/// The numpy type of a scalar NIfTI datatype code; float16 (no such code) for the others (RGB,
/// complex, float128), which ITK's reader handles.
GRADMAP_CORE_EXPORT DType nifti_scalar_dtype(int datatype);

/// nibabel's scaling rule (Nifti1Header.get_slope_inter, ArrayProxy): a slope of 0 or non-finite
/// means "unscaled"; (1, 0) is unscaled too; otherwise values are raw × slope + inter in float64.
GRADMAP_CORE_EXPORT bool nifti_is_scaled(const std::string& path, const NiftiHeader& nh);

/// The voxels of a scalar NIfTI file, read directly rather than through ITK: niftilib's
/// nifti_read_buffer replaces NaN and Inf of float files by 0, and ITK applies scl_slope/inter in
/// float32. Here values come out as nibabel's `np.asanyarray(img.dataobj)` gives them: the stored
/// type and bits when unscaled, else float64 raw × slope + inter (each step skipped when it is
/// the identity, as nibabel's apply_read_scaling does). `shape` is the numpy shape, whose C order
/// is NIfTI's (x fastest).
GRADMAP_CORE_EXPORT Array read_nifti_voxels(const std::string& path, const NiftiHeader& nh,
                                            const Shape& shape);

/// MetaIO prints "data not read completely" for a short or missing data section and returns the
/// image anyway, so check the header's DimSize × element size against the bytes that follow it
/// (ElementDataFile = LOCAL) or the size of a single detached data file. Compressed data is
/// checked by ITK itself.
GRADMAP_CORE_EXPORT void check_metaimage_complete(const std::string& path);

/// True when the text header of a NRRD (`nrrd`) or MetaImage file states the sample spacing: NRRD
/// "spacings:" or "space directions:", MetaImage "ElementSpacing" or "ElementSize" (MetaIO takes
/// the spacing from ElementSize when ElementSpacing is absent). Without them ITK uses 1, which
/// Geometry::spacing_source must then call a default, not the header's.
GRADMAP_CORE_EXPORT bool volume_header_states_spacing(const std::string& path, bool nrrd);

/// GDCM aborts the whole process on some cut files (asserts in its file meta reader) and silently
/// reads short pixel data from others, so the element structure is checked before GDCM sees the
/// file. Only the little-endian transfer syntaxes are walked; GDCM judges the rare others.
GRADMAP_CORE_EXPORT void check_dicom_complete(const std::string& path);

/// check_dicom_complete for every regular file of `dir` with the 'DICM' marker at byte 128:
/// GDCM's directory scanner parses every file and shares its reader's asserts on cut files.
GRADMAP_CORE_EXPORT void check_dicom_directory(const std::string& dir);

}  // namespace gradmap::detail
