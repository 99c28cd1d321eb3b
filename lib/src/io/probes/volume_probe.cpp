// SPDX-License-Identifier: MIT
// Volume header probes: NIfTI-1/2, MetaImage and DICOM structure read byte by byte, without ITK or
// GDCM, and gradmap's own reader of scalar NIfTI voxels (zlib only). They are apart from
// backend_itk.cpp because they run first, on untrusted bytes: ITK's NIfTI reader aborts the process
// on some headers, MetaIO hangs on malformed lines, GDCM asserts on cut files, and all of them
// zero-fill or silently accept short data; they need neither ITK nor GDCM, so they live in
// gradmap_core.
#include "io/probes/volume_probe.hpp"

#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "io/backend.hpp"

namespace gradmap::detail {
namespace {

std::vector<unsigned char> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::uint64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

std::uint32_t le32_at(const std::vector<unsigned char>& b, std::size_t i) {
  return std::uint32_t(b[i]) | std::uint32_t(b[i + 1]) << 8 | std::uint32_t(b[i + 2]) << 16 |
         std::uint32_t(b[i + 3]) << 24;
}
std::uint32_t le16_at(const std::vector<unsigned char>& b, std::size_t i) {
  return std::uint32_t(b[i]) | std::uint32_t(b[i + 1]) << 8;
}

bool is_long_vr(unsigned char c0, unsigned char c1) {
  static const char* const vrs[] = {"OB", "OW", "OF", "OD", "OL", "OV", "SQ",
                                    "UT", "UN", "UC", "UR", "SV", "UV"};
  for (const char* v : vrs)
    if (c0 == v[0] && c1 == v[1]) return true;
  return false;
}

/// Walks a DICOM data set's element structure (not its values), checking that every element,
/// item and sequence fits in the file.
class DicomStructure {
 public:
  DicomStructure(const std::string& path, const std::vector<unsigned char>& b) : path_(path), b_(b) {}

  /// Elements from `pos` to the end of the file, or to a delimiter when `until_delimiter`.
  std::size_t walk(std::size_t pos, bool explicit_vr, bool until_delimiter, int depth) {
    if (depth > 64) throw io_error(path_, "corrupt DICOM: sequences nested more than 64 deep");
    const std::size_t end = b_.size();
    while (pos < end) {
      if (pos + 8 > end) cut(pos, 8);
      const std::uint32_t group = le16_at(b_, pos), element = le16_at(b_, pos + 2);
      if (group == 0xFFFE) {  // items and delimiters never have a VR
        const std::uint64_t len = le32_at(b_, pos + 4);
        if (element == 0xE00D || element == 0xE0DD) return pos + 8;
        pos += 8;
        if (len == 0xFFFFFFFFu) {
          pos = walk(pos, explicit_vr, true, depth + 1);
        } else {
          if (pos + len > end) cut(pos - 8, len);
          pos += len;
        }
        continue;
      }
      std::size_t header = 8;
      std::uint64_t len;
      if (explicit_vr) {
        if (is_long_vr(b_[pos + 4], b_[pos + 5])) {
          if (pos + 12 > end) cut(pos, 12);
          header = 12;
          len = le32_at(b_, pos + 8);
        } else {
          len = le16_at(b_, pos + 6);
        }
      } else {
        len = le32_at(b_, pos + 4);
      }
      if (len == 0xFFFFFFFFu) {  // a sequence or encapsulated pixel data: items up to a delimiter
        pos = walk(pos + header, explicit_vr, true, depth + 1);
        continue;
      }
      if (pos + header + len > end) {
        char tag[16];
        std::snprintf(tag, sizeof tag, "(%04X,%04X)", group, element);
        throw io_error(path_, "truncated DICOM: element " + std::string(tag) + " at byte " +
                                  std::to_string(pos) + " needs " + std::to_string(len) +
                                  " bytes, the file holds " +
                                  std::to_string(end - pos - std::min(end - pos, header)));
      }
      pos += header + len;
    }
    if (until_delimiter)
      throw io_error(path_, "truncated DICOM: a sequence is cut off by the end of the file");
    return pos;
  }

 private:
  [[noreturn]] void cut(std::size_t at, std::uint64_t need) {
    throw io_error(path_, "truncated DICOM: the file ends at byte " + std::to_string(b_.size()) +
                              " inside an element header at byte " + std::to_string(at) + " (needs " +
                              std::to_string(need) + " bytes)");
  }
  const std::string& path_;
  const std::vector<unsigned char>& b_;
};

}  // namespace

NiftiHeader check_nifti_complete(const std::string& path, bool data_size) {
  gzFile gz = gzopen(path.c_str(), "rb");
  if (!gz) throw io_error(path, "cannot open for reading");
  struct Closer {
    gzFile g;
    ~Closer() { gzclose(g); }
  } closer{gz};
  unsigned char h[540];
  int n = gzread(gz, h, sizeof h);
  if (n < 348) throw io_error(path, "truncated NIfTI: the file ends inside its header");
  auto i32 = [&](int at, bool swap) {
    std::uint32_t v;
    std::memcpy(&v, h + at, 4);
    return swap ? __builtin_bswap32(v) : v;
  };
  bool swap = i32(0, false) != 348 && i32(0, false) != 540;
  std::uint32_t version_size = i32(0, swap);
  auto rd = [&](int at, auto tag) {
    decltype(tag) v;
    std::memcpy(&v, h + at, sizeof v);
    if (swap) {
      unsigned char* p = reinterpret_cast<unsigned char*>(&v);
      std::reverse(p, p + sizeof v);
    }
    return v;
  };
  NiftiHeader nh;
  nh.swap = swap;
  double voxels = 1;
  std::int64_t nd = 0;
  if (version_size == 348) {
    nd = rd(40, std::int16_t{});
    for (int k = 1; k <= nd && k < 8; ++k) {
      nh.dims.push_back(rd(40 + 2 * k, std::int16_t{}));
      nh.pixdim.push_back(rd(76 + 4 * k, float{}));
    }
    nh.datatype = rd(70, std::int16_t{});
    nh.bitpix = rd(72, std::int16_t{});
    nh.vox_offset = std::max(352.0, double(rd(108, float{})));
    nh.scl_slope = rd(112, float{});
    nh.scl_inter = rd(116, float{});
    nh.xyzt_units = h[123];
    nh.qform_code = rd(252, std::int16_t{});
    nh.sform_code = rd(254, std::int16_t{});
  } else if (version_size == 540 && n >= 540) {
    nh.version = 2;
    nd = rd(16, std::int64_t{});
    for (int k = 1; k <= nd && k < 8; ++k) {
      nh.dims.push_back(rd(16 + 8 * k, std::int64_t{}));
      nh.pixdim.push_back(rd(104 + 8 * k, double{}));
    }
    nh.datatype = rd(12, std::int16_t{});
    nh.bitpix = rd(14, std::int16_t{});
    nh.vox_offset = std::max(544.0, double(rd(168, std::int64_t{})));
    nh.scl_slope = rd(176, double{});
    nh.scl_inter = rd(184, double{});
    nh.qform_code = rd(344, std::int32_t{});
    nh.sform_code = rd(348, std::int32_t{});
    nh.xyzt_units = rd(500, std::int32_t{});
  } else {
    // ITK's reader is lenient about sizeof_hdr and would go on to parse whatever follows.
    throw io_error(
        path, "not a valid NIfTI file: its header size field is neither 348 (NIfTI-1) nor 540 (NIfTI-2)");
  }
  // ITK's NIfTI reader aborts the whole process (vnl's assert_finite) when the voxel sizes or the
  // qform/sform hold NaN or Inf, so refuse those first: pixdim, quatern_b..qoffset_z, srow_x..z.
  // Finite and below 1e15 in magnitude: no real voxel size or position comes near, and larger
  // values overflow to Inf inside the reader's matrix arithmetic.
  auto all_finite = [&](int at, int count, auto tag) {
    for (int k = 0; k < count; ++k) {
      const double v = double(rd(at + k * int(sizeof tag), tag));
      if (!(std::fabs(v) < 1e15)) return false;
    }
    return true;
  };
  const bool finite =
      version_size == 348
          ? all_finite(76, 8, float{}) && all_finite(256, 6, float{}) && all_finite(280, 12, float{})
          : all_finite(104, 8, double{}) && all_finite(352, 6, double{}) && all_finite(400, 12, double{});
  if (!finite)
    throw io_error(path, "corrupt NIfTI header: NaN, infinite or absurdly large voxel size, qform or sform");
  // ITK's NIfTI reader prints a complaint about such headers and may still return an image, so
  // refuse them here: the dimension count, every dimension and the bits per voxel must make sense.
  if (nd < 1 || nd > 7)
    throw io_error(path, "corrupt NIfTI header: dim[0] = " + std::to_string(nd) + " (must be 1 to 7)");
  for (std::size_t k = 0; k < nh.dims.size(); ++k) {
    if (nh.dims[k] < 1)
      throw io_error(path, "corrupt NIfTI header: dim[" + std::to_string(k + 1) +
                               "] = " + std::to_string(nh.dims[k]) + " (dimensions must be positive)");
    voxels *= double(nh.dims[k]);
  }
  const double bitpix = nh.bitpix;
  if (bitpix != 8 && bitpix != 16 && bitpix != 24 && bitpix != 32 && bitpix != 64 && bitpix != 128 &&
      bitpix != 256)
    throw io_error(path, "corrupt NIfTI header: bitpix = " + std::to_string(int(bitpix)) + " bits per voxel");
  if (!data_size) return nh;  // the header alone: checked before ITK parses it
  double need = nh.vox_offset + voxels * bitpix / 8;
  double have = 0;
  if (gzdirect(gz)) {
    have = double(file_size(path));
  } else {
    have = n;
    std::vector<unsigned char> buf(1 << 20);
    int got;
    while ((got = gzread(gz, buf.data(), static_cast<unsigned>(buf.size()))) > 0) have += got;
    int err = 0;
    const char* msg = gzerror(gz, &err);
    if (got < 0 || (err != Z_OK && err != Z_STREAM_END))
      throw io_error(path,
                     std::string("truncated or corrupt NIfTI: its gzip stream is damaged (") + msg + ")");
  }
  if (have < need)
    throw io_error(path, "truncated NIfTI: the header needs " + count_text(need) + " bytes, the file holds " +
                             count_text(have));
  return nh;
}

DType nifti_scalar_dtype(int datatype) {
  switch (datatype) {
    case 2:
      return DType::uint8;
    case 4:
      return DType::int16;
    case 8:
      return DType::int32;
    case 16:
      return DType::float32;
    case 64:
      return DType::float64;
    case 256:
      return DType::int8;
    case 512:
      return DType::uint16;
    case 768:
      return DType::uint32;
    case 1024:
      return DType::int64;
    case 1280:
      return DType::uint64;
    default:
      return DType::float16;
  }
}

bool nifti_is_scaled(const std::string& path, const NiftiHeader& nh) {
  if (nh.scl_slope == 0 || !std::isfinite(nh.scl_slope)) return false;
  if (!std::isfinite(nh.scl_inter))
    throw io_error(path, "corrupt NIfTI header: scl_slope is " + std::to_string(nh.scl_slope) +
                             " but scl_inter is not finite (nibabel refuses such files too)");
  return !(nh.scl_slope == 1 && nh.scl_inter == 0);
}

Array read_nifti_voxels(const std::string& path, const NiftiHeader& nh, const Shape& shape) {
  const DType raw_type = nifti_scalar_dtype(nh.datatype);
  Array raw(raw_type, shape);
  gzFile gz = gzopen(path.c_str(), "rb");
  if (!gz) throw io_error(path, "cannot open for reading");
  struct Closer {
    gzFile g;
    ~Closer() { gzclose(g); }
  } closer{gz};
  gzbuffer(gz, 1 << 18);
  if (gzseek(gz, static_cast<z_off_t>(nh.vox_offset), SEEK_SET) < 0)
    throw io_error(path, "truncated NIfTI: cannot seek to the voxels at byte " + count_text(nh.vox_offset));
  auto* dst = static_cast<unsigned char*>(raw.data());
  std::size_t left = raw.nbytes();
  while (left > 0) {
    const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(left, std::size_t{1} << 30));
    const int got = gzread(gz, dst, chunk);
    if (got <= 0) {
      int err = 0;
      const char* msg = gzerror(gz, &err);
      throw io_error(path, std::string("truncated or corrupt NIfTI: the voxel data ends early") +
                               (err != Z_OK ? std::string(" (") + msg + ")" : std::string()));
    }
    dst += got;
    left -= static_cast<std::size_t>(got);
  }
  const std::size_t es = dtype_size(raw_type);
  if (nh.swap && es > 1) {
    auto* p = static_cast<unsigned char*>(raw.data());
    for (std::size_t i = 0, n = raw.nbytes(); i < n; i += es) std::reverse(p + i, p + i + es);
  }
  if (!nifti_is_scaled(path, nh)) return raw;
  Array out = astype(raw, DType::float64);
  double* v = static_cast<double*>(out.data());
  const double slope = nh.scl_slope, inter = nh.scl_inter;
  const std::size_t n = static_cast<std::size_t>(out.size());
  if (slope != 1)
    for (std::size_t i = 0; i < n; ++i) v[i] *= slope;
  if (inter != 0)
    for (std::size_t i = 0; i < n; ++i) v[i] += inter;
  return out;
}

bool volume_header_states_spacing(const std::string& path, bool nrrd) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error(path, "cannot open for reading");
  std::string line;
  // Both headers are "key<sep>value" lines (NRRD "key: value", MetaImage "Key = Value") that end
  // at a blank line (NRRD) or at ElementDataFile (MetaImage); the probes above bound their size.
  while (std::getline(in, line) && in.tellg() <= (1 << 16)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (nrrd && line.empty()) break;
    const auto sep = line.find(nrrd ? ':' : '=');
    if (sep == std::string::npos) continue;
    std::string key = line.substr(0, sep);
    key.erase(key.find_last_not_of(" \t") + 1);
    if (nrrd ? key == "spacings" || key == "space directions"
             : key == "ElementSpacing" || key == "ElementSize")
      return true;
    if (!nrrd && key == "ElementDataFile") break;
  }
  return false;
}

void check_metaimage_complete(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw io_error(path, "cannot open for reading");
  // MetaIO's header parser hangs or misreads on malformed lines, so the header is validated here
  // first, strictly: every line "Key = Value", NDims before DimSize, numbers that parse.
  auto bad = [&](const std::string& why) { return io_error(path, "corrupt MetaImage header: " + why); };
  std::vector<std::int64_t> dims;
  std::int64_t channels = 1, elem = 0, ndims = 0;
  bool compressed = false;
  std::string data_file, line;
  int lineno = 0;
  while (data_file.empty() && std::getline(in, line)) {
    ++lineno;
    if (in.tellg() > (1 << 16)) throw bad("no ElementDataFile line in the first 64 KiB");
    const auto eq = line.find('=');
    std::string key = eq == std::string::npos ? line : line.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : line.substr(eq + 1);
    auto trim = [](std::string& t) {
      t.erase(0, t.find_first_not_of(" \t\r"));
      t.erase(t.find_last_not_of(" \t\r") + 1);
    };
    trim(key);
    trim(value);
    if (key.empty() && value.empty()) continue;
    const bool key_ok = !key.empty() && std::all_of(key.begin(), key.end(), [](unsigned char c) {
      return std::isalnum(c) || c == '_';
    });
    if (eq == std::string::npos || !key_ok)
      throw bad("line " + std::to_string(lineno) + " is not 'Key = Value'");
    // Every token of a numeric field must be a finite number (MetaIO's stream loops are not robust).
    auto numbers = [&](std::size_t expect) {
      std::istringstream ss(value);
      std::vector<double> v;
      std::string tok;
      while (ss >> tok) {
        char* end = nullptr;
        const double d = std::strtod(tok.c_str(), &end);
        if (end == tok.c_str() || *end != '\0' || !std::isfinite(d))
          throw bad(key + " = " + value.substr(0, 40));
        v.push_back(d);
      }
      if (expect && v.size() != expect)
        throw bad(key + " has " + std::to_string(v.size()) + " values, NDims needs " +
                  std::to_string(expect));
      return v;
    };
    if (key == "NDims") {
      const auto v = numbers(1);
      if (v[0] != std::floor(v[0]) || v[0] < 1 || v[0] > 8)
        throw bad("NDims = " + value + " (must be 1 to 8)");
      ndims = static_cast<std::int64_t>(v[0]);
    } else if (key == "DimSize" || key == "ElementSpacing" || key == "ElementSize" || key == "Offset" ||
               key == "Position" || key == "Origin" || key == "CenterOfRotation" ||
               key == "TransformMatrix" || key == "Rotation" || key == "Orientation") {
      if (ndims == 0) throw bad(key + " comes before NDims");
      const bool matrix = key == "TransformMatrix" || key == "Rotation" || key == "Orientation";
      const auto v = numbers(static_cast<std::size_t>(matrix ? ndims * ndims : ndims));
      if (key == "DimSize")
        for (double d : v) {
          if (d < 1 || d != std::floor(d) || d > 9e15)
            throw bad("DimSize " + value + " (sizes must be positive integers)");
          dims.push_back(static_cast<std::int64_t>(d));
        }
    } else if (key == "ElementNumberOfChannels") {
      const auto v = numbers(1);
      if (v[0] < 1 || v[0] > 1024 || v[0] != std::floor(v[0]))
        throw bad("ElementNumberOfChannels = " + value);
      channels = static_cast<std::int64_t>(v[0]);
    } else if (key == "CompressedData") {
      compressed = value == "True" || value == "true";
    } else if (key == "ElementType") {
      static const std::pair<const char*, int> sizes[] = {
          {"MET_CHAR", 1},      {"MET_UCHAR", 1},      {"MET_SHORT", 2}, {"MET_USHORT", 2},
          {"MET_INT", 4},       {"MET_UINT", 4},       {"MET_LONG", 4},  {"MET_ULONG", 4},
          {"MET_LONG_LONG", 8}, {"MET_ULONG_LONG", 8}, {"MET_FLOAT", 4}, {"MET_DOUBLE", 8}};
      for (const auto& [name, size] : sizes)
        if (value == name) elem = size;
      if (elem == 0) throw bad("ElementType = " + value.substr(0, 40) + " is not a MetaImage scalar type");
    } else if (key == "ElementDataFile") {
      if (value.empty()) throw bad("empty ElementDataFile");
      data_file = value;
    }
  }
  if (data_file.empty()) throw bad("no ElementDataFile line");
  if (ndims == 0 || dims.empty() || elem == 0) throw bad("NDims, DimSize and ElementType are required");
  double have = 0;
  std::streamoff local_start = -1;
  if (data_file == "LOCAL") {
    local_start = in.tellg();
    if (local_start < 0) throw bad("the data section cannot be located");
    have = double(file_size(path)) - double(local_start);
  } else {
    // One detached data file only: MetaIO's file lists and printf-style patterns overrun buffers
    // on malformed names, and gradmap writes neither.
    if (data_file.find_first_of(" \t%*") != std::string::npos || data_file == "LIST")
      throw bad("ElementDataFile '" + data_file.substr(0, 60) +
                "': lists and patterns of data files are not supported, only LOCAL or one file name");
    const std::string dir = path.substr(0, path.find_last_of('/') + 1);
    const std::string data = data_file[0] == '/' ? data_file : dir + data_file;
    struct stat st {};
    if (stat(data.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
      throw io_error(path, "its data file '" + data_file + "' is missing or not a regular file");
    have = double(st.st_size);
  }
  if (compressed) return;  // the compressed size says nothing; ITK checks the stream
  double need = double(channels) * double(elem);
  for (auto d : dims) need *= double(d);
  if (have < need)
    throw io_error(path, "truncated MetaImage: DimSize needs " + count_text(need) +
                             " data bytes, there are " + count_text(std::max(0.0, have)));
}

void check_dicom_complete(const std::string& path) {
  std::vector<unsigned char> b = file_bytes(path);
  const std::size_t size = b.size();
  std::size_t pos = 0;
  bool explicit_vr = true;
  if (size >= 132 && std::memcmp(&b[128], "DICM", 4) == 0) {
    pos = 132;
    std::string syntax;
    while (pos + 8 <= size && le16_at(b, pos) == 0x0002) {
      std::size_t header = 8;
      std::uint64_t len = le16_at(b, pos + 6);
      if (is_long_vr(b[pos + 4], b[pos + 5])) {
        if (pos + 12 > size) break;
        header = 12;
        len = le32_at(b, pos + 8);
      }
      if (len == 0xFFFFFFFFu || pos + header + len > size)
        throw io_error(path, "truncated or corrupt DICOM: the file meta information is cut off at byte " +
                                 std::to_string(size));
      if (le16_at(b, pos + 2) == 0x0010)
        syntax.assign(b.begin() + static_cast<std::ptrdiff_t>(pos + header),
                      b.begin() + static_cast<std::ptrdiff_t>(pos + header + len));
      pos += header + len;
    }
    if (pos + 8 > size)
      throw io_error(path, "truncated DICOM: the file ends after its meta information, before any image");
    while (!syntax.empty() && (syntax.back() == '\0' || syntax.back() == ' ')) syntax.pop_back();
    if (syntax == "1.2.840.10008.1.2") {
      explicit_vr = false;
    } else if (syntax == "1.2.840.10008.1.2.2" || syntax == "1.2.840.10008.1.2.1.99") {
      return;  // big endian or deflated
    }
  } else {
    // No preamble: an old-style stream starts with group 0002 or 0008; its VR, if any, shows as
    // two upper-case letters.
    if (size < 8 || (le16_at(b, 0) != 0x0002 && le16_at(b, 0) != 0x0008))
      throw io_error(path,
                     "not a valid DICOM file: no 'DICM' marker at byte 128 and no data set at the start");
    explicit_vr = std::isupper(b[4]) && std::isupper(b[5]);
  }
  DicomStructure(path, b).walk(pos, explicit_vr, false, 0);
}

void check_dicom_directory(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    char magic[4] = {};
    if (in.seekg(128) && in.read(magic, 4) && std::memcmp(magic, "DICM", 4) == 0)
      check_dicom_complete(entry.path().string());
  }
}

}  // namespace gradmap::detail
