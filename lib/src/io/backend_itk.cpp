// SPDX-License-Identifier: MIT
// The volume backend (with adapters in gradmap/itk.hpp, one of the files that include ITK). It talks to
// itk::ImageIOBase directly (raw buffers plus a header) instead of itk::ImageFileReader<itk::Image<T, D>>, so
// there is no template instantiation per pixel type and dimension, and the file's own pixel type is kept.
// ITK's index order (x, y, z) is converted to numpy's (z, y, x) in to_numpy_geometry and
// write(), nowhere else. The byte-level checks that run before ITK or GDCM sees a file (NIfTI,
// MetaImage, DICOM structure) and gradmap's own scalar NIfTI voxel reader are in
// io/probes/volume_probe.cpp, which needs neither.
#include <fcntl.h>
#include <gdcmAttribute.h>
#include <gdcmDataSet.h>
#include <gdcmMediaStorage.h>
#include <gdcmReader.h>
#include <gdcmTrace.h>
#include <itkGDCMImageIO.h>
#include <itkGDCMSeriesFileNames.h>
#include <itkImageIOBase.h>
#include <itkMetaDataObject.h>
#include <itkMetaImageIO.h>
#include <itkNiftiImageIO.h>
#include <itkNrrdImageIO.h>
#include <itkOutputWindow.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "core/luminance.hpp"
#include "io/backend.hpp"
#include "io/probes/volume_probe.hpp"

namespace gradmap::detail {
namespace {

// ---- Third-party messages -------------------------------------------------------------------------
// The library never prints, but ITK and GDCM do: ITK through its OutputWindow, GDCM's JPEG codecs
// (libgdcmjpeg8/12/16) with fprintf(stderr) while they probe a file's bit depth, on files that
// then decode correctly. read() collects them per thread into Image::warnings instead.

/// The warnings of the read running on this thread; null when no read is running.
thread_local std::vector<std::string>* t_warnings = nullptr;

void collect_warning(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) text.pop_back();
  while (!text.empty() && (text.front() == '\n' || text.front() == ' ')) text.erase(text.begin());
  if (text.empty() || !t_warnings) return;
  if (std::find(t_warnings->begin(), t_warnings->end(), text) == t_warnings->end())
    t_warnings->push_back(text);
}

/// ITK's messages go to the running read's warnings, or are dropped outside a read (the library
/// never prints). Installed once, for the whole process.
class CollectingOutputWindow : public itk::OutputWindow {
 public:
  using Self = CollectingOutputWindow;
  using Superclass = itk::OutputWindow;
  using Pointer = itk::SmartPointer<Self>;
  itkNewMacro(Self) void DisplayText(const char* text) override { collect_warning(text ? text : ""); }
};

/// Runs `fn` with the process's stderr (fd 2) captured, then hands what was written to the running
/// read's warnings, line by line. fd 2 is process-wide, so captures are serialized, and lines from
/// other threads of the CLI (its own "gradmap..." messages, a progress bar drawn with \r or escape
/// sequences) are passed on to the real stderr.
template <class Fn>
void capturing_stderr(Fn&& fn) {
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  std::fflush(stderr);
  const int saved = ::dup(2);
  const int sink = ::memfd_create("gradmap-stderr", MFD_CLOEXEC);
  if (saved < 0 || sink < 0 || ::dup2(sink, 2) < 0) {
    if (saved >= 0) ::close(saved);
    if (sink >= 0) ::close(sink);
    fn();
    return;
  }
  struct Restore {
    int saved, sink;
    ~Restore() {
      std::fflush(stderr);
      ::dup2(saved, 2);
      ::close(saved);
      std::string text;
      char buf[4096];
      ssize_t got;
      ::lseek(sink, 0, SEEK_SET);
      while ((got = ::read(sink, buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(got));
      ::close(sink);
      std::istringstream lines(text);
      std::string line;
      while (std::getline(lines, line)) {
        const bool ours = line.rfind("gradmap", 0) == 0 || line.find('\r') != std::string::npos ||
                          line.find('\033') != std::string::npos;
        if (ours || !t_warnings) {
          line += '\n';
          [[maybe_unused]] const auto w = ::write(2, line.data(), line.size());
        } else {
          collect_warning(line);
        }
      }
    }
  } restore{saved, sink};
  fn();
}

/// Collects the warnings of one read on this thread (reads do not nest).
class WarningScope {
 public:
  WarningScope() {
    static std::once_flag once;
    std::call_once(once, [] { itk::OutputWindow::SetInstance(CollectingOutputWindow::New()); });
    t_warnings = &warnings_;
  }
  ~WarningScope() { t_warnings = nullptr; }
  WarningScope(const WarningScope&) = delete;
  WarningScope& operator=(const WarningScope&) = delete;
  std::vector<std::string> take() { return std::move(warnings_); }

 private:
  std::vector<std::string> warnings_;
};

using itk::IOComponentEnum;

enum class Family { nifti, nrrd, metaimage, dicom, none };

/// The backend's own view of the format table's entry (gradmap/formats.hpp) for `path`; the table
/// also recognizes extension-less DICOM files by their "DICM" preamble.
Family family_of(const std::string& path) {
  const FileFormat* f = format_of(path);
  if (!f) return Family::none;
  if (f->name == "nifti") return Family::nifti;
  if (f->name == "nrrd") return Family::nrrd;
  if (f->name == "metaimage") return Family::metaimage;
  if (f->name == "dicom") return Family::dicom;
  return Family::none;
}

const char* family_name(Family f) {
  switch (f) {
    case Family::nifti:
      return "nifti";
    case Family::nrrd:
      return "nrrd";
    case Family::metaimage:
      return "metaimage";
    case Family::dicom:
      return "dicom";
    case Family::none:
      break;
  }
  return "unknown";
}

const char* family_title(Family f) {
  switch (f) {
    case Family::nifti:
      return "NIfTI";
    case Family::nrrd:
      return "NRRD";
    case Family::metaimage:
      return "MetaImage";
    case Family::dicom:
      return "DICOM";
    case Family::none:
      break;
  }
  return "volume";
}

itk::ImageIOBase::Pointer make_io(Family f) {
  switch (f) {
    case Family::nifti:
      return itk::NiftiImageIO::New().GetPointer();
    case Family::nrrd:
      return itk::NrrdImageIO::New().GetPointer();
    case Family::metaimage:
      return itk::MetaImageIO::New().GetPointer();
    case Family::dicom:
      return itk::GDCMImageIO::New().GetPointer();
    case Family::none:
      break;
  }
  return nullptr;
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

DType dtype_of_component(const std::string& path, IOComponentEnum c) {
  using IO = itk::ImageIOBase;
  if (c == IO::MapPixelType<std::uint8_t>::CType) return DType::uint8;
  if (c == IO::MapPixelType<std::int8_t>::CType) return DType::int8;
  if (c == IO::MapPixelType<std::uint16_t>::CType) return DType::uint16;
  if (c == IO::MapPixelType<std::int16_t>::CType) return DType::int16;
  if (c == IO::MapPixelType<std::uint32_t>::CType) return DType::uint32;
  if (c == IO::MapPixelType<std::int32_t>::CType) return DType::int32;
  if (c == IO::MapPixelType<float>::CType) return DType::float32;
  if (c == IO::MapPixelType<double>::CType) return DType::float64;
  // long and long long are both 64 bits on LP64 but are distinct ITK component types.
  if (c == IOComponentEnum::LONG || c == IOComponentEnum::LONGLONG) return DType::int64;
  if (c == IOComponentEnum::ULONG || c == IOComponentEnum::ULONGLONG) return DType::uint64;
  throw io_error(path, "unsupported pixel component type " + IO::GetComponentTypeAsString(c));
}

IOComponentEnum component_of(DType t) {
  using IO = itk::ImageIOBase;
  switch (t) {
    case DType::uint8:
      return IO::MapPixelType<std::uint8_t>::CType;
    case DType::int8:
      return IO::MapPixelType<std::int8_t>::CType;
    case DType::uint16:
      return IO::MapPixelType<std::uint16_t>::CType;
    case DType::int16:
      return IO::MapPixelType<std::int16_t>::CType;
    case DType::uint32:
      return IO::MapPixelType<std::uint32_t>::CType;
    case DType::int32:
      return IO::MapPixelType<std::int32_t>::CType;
    case DType::int64:
      return IO::MapPixelType<std::int64_t>::CType;
    case DType::uint64:
      return IO::MapPixelType<std::uint64_t>::CType;
    case DType::float32:
      return IO::MapPixelType<float>::CType;
    case DType::float64:
      return IO::MapPixelType<double>::CType;
    case DType::float16:
      break;
  }
  return IOComponentEnum::UNKNOWNCOMPONENTTYPE;
}

/// A file's header in ITK's axis order. direction[i][j] is the world-i component of index axis j.
struct ItkHeader {
  std::vector<double> dims, spacing, origin;
  std::vector<std::vector<double>> direction;
  unsigned components = 1;
  IOComponentEnum component = IOComponentEnum::UNKNOWNCOMPONENTTYPE;
};

ItkHeader header_of(itk::ImageIOBase& io) {
  ItkHeader h;
  unsigned n = io.GetNumberOfDimensions();
  h.direction.assign(n, std::vector<double>(n, 0.0));
  for (unsigned j = 0; j < n; ++j) {
    h.dims.push_back(static_cast<double>(io.GetDimensions(j)));
    h.spacing.push_back(io.GetSpacing(j));
    h.origin.push_back(io.GetOrigin(j));
    std::vector<double> axis = io.GetDirection(j);
    for (unsigned i = 0; i < n && i < axis.size(); ++i) h.direction[i][j] = axis[i];
  }
  h.components = io.GetNumberOfComponents();
  h.component = io.GetComponentType();
  return h;
}

std::string itk_reason(const itk::ExceptionObject& e) {
  std::string d = e.GetDescription();
  while (!d.empty() && (d.back() == '\n' || d.back() == ' ')) d.pop_back();
  return d;
}

/// Thrown by open_header for a DICOM file whose pixels are Float Pixel Data (7FE0,0008) or Double
/// Float Pixel Data (7FE0,0009), which GDCM 3.0 has no codec for; read_file reads those itself.
struct FloatPixelData {};

/// Refuses, with a reason, a DICOM file on which GDCM's image reader would stop the process: Debian
/// builds GDCM with its assertions on, and for an RT Dose its spacing code reads Number of Frames
/// (0028,0008) without checking that the file has it, which a single-frame dose need not (pydicom's
/// rtdose_1frame.dcm). Only the attributes are read here, with GDCM's plain reader.
void check_gdcm_can_read(const std::string& path) {
  gdcm::Reader reader;
  reader.SetFileName(path.c_str());
  if (!reader.ReadUpToTag(gdcm::Tag(0x7fe0, 0x0010))) return;  // GDCM says why, as before
  gdcm::MediaStorage ms;
  ms.SetFromFile(reader.GetFile());
  if (ms == gdcm::MediaStorage::RTDoseStorage &&
      !reader.GetFile().GetDataSet().FindDataElement(gdcm::Tag(0x0028, 0x0008)))
    throw io_error(path,
                   "an RT Dose without Number of Frames (0028,0008) cannot be read: GDCM, which reads DICOM "
                   "for gradmap, would abort the process on it (an assertion in its spacing code)");
}

itk::ImageIOBase::Pointer open_header(const std::string& path, Family f) {
  if (f == Family::dicom) {
    check_dicom_complete(path);
    check_gdcm_can_read(path);
  }
  itk::ImageIOBase::Pointer io = make_io(f);
  bool readable = false;
  if (f == Family::dicom)
    capturing_stderr([&] { readable = io->CanReadFile(path.c_str()); });
  else
    readable = io->CanReadFile(path.c_str());
  if (!readable) {
    if (f == Family::dicom) {
      // GDCM 3.0 has no codec for float pixel data; say so rather than "corrupt".
      gdcm::Reader reader;
      reader.SetFileName(path.c_str());
      if (reader.Read()) {
        const gdcm::DataSet& ds = reader.GetFile().GetDataSet();
        if (ds.FindDataElement(gdcm::Tag(0x7fe0, 0x0008)) || ds.FindDataElement(gdcm::Tag(0x7fe0, 0x0009)))
          throw FloatPixelData{};
        // A valid DICOM object that is not an image (a palette, a structured report, a header
        // alone): say so rather than "corrupt".
        if (!ds.FindDataElement(gdcm::Tag(0x7fe0, 0x0010)))
          throw io_error(path, "a DICOM file without Pixel Data (7FE0,0010): it holds no image to read");
      }
    }
    throw io_error(path,
                   std::string("not a valid ") + family_title(f) + " file (corrupt or truncated header)");
  }
  io->SetFileName(path);
  try {
    // GDCM decodes the start of compressed pixel data here already (ComputeLossyFlag).
    if (f == Family::dicom)
      capturing_stderr([&] { io->ReadImageInformation(); });
    else
      io->ReadImageInformation();
  } catch (const itk::ExceptionObject& e) {
    throw io_error(path, std::string("corrupt ") + family_title(f) + " header: " + itk_reason(e));
  }
  return io;
}

/// True unless the file's transfer syntax is a native (uncompressed) one: only GDCM's codecs print,
/// so only compressed files need stderr captured while their pixels are decoded.
bool dicom_is_compressed(itk::ImageIOBase& io) {
  std::string ts;
  itk::ExposeMetaData<std::string>(io.GetMetaDataDictionary(), "0002|0010", ts);
  while (!ts.empty() && (ts.back() == ' ' || ts.back() == '\0')) ts.pop_back();
  return !(ts == "1.2.840.10008.1.2" || ts == "1.2.840.10008.1.2.1" || ts == "1.2.840.10008.1.2.2");
}

void read_pixels(const std::string& path, itk::ImageIOBase& io, void* buffer, Family f) {
  unsigned n = io.GetNumberOfDimensions();
  itk::ImageIORegion region(n);
  for (unsigned j = 0; j < n; ++j) {
    region.SetIndex(j, 0);
    region.SetSize(j, io.GetDimensions(j));
  }
  io.SetIORegion(region);
  try {
    if (f == Family::dicom && dicom_is_compressed(io))
      capturing_stderr([&] { io.Read(buffer); });
    else
      io.Read(buffer);
  } catch (const itk::ExceptionObject& e) {
    throw io_error(path, std::string("cannot read ") + family_title(f) +
                             " pixel data (truncated or corrupt file): " + itk_reason(e));
  }
}

/// ITK (x, y, z) geometry of the first `n` axes → numpy (z, y, x): spacing and origin reversed,
/// direction with rows and columns reversed.
Geometry to_numpy_geometry(const ItkHeader& h, std::size_t n) {
  Geometry g;
  g.unit = "mm";
  for (std::size_t k = 0; k < n; ++k) {
    g.spacing.push_back(h.spacing[n - 1 - k]);
    g.origin.push_back(h.origin[n - 1 - k]);
  }
  g.direction.assign(n * n, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) g.direction[i * n + j] = h.direction[n - 1 - i][n - 1 - j];
  g.spacing_source.assign(n, SpacingSource::header);
  g.frame = WorldFrame::lps;
  return g;
}

/// What gradmap reads from a DICOM file's attributes itself, because GDCM's image helper does not
/// say it (or says it differently): GDCM takes pixel spacing from a tag chosen per SOP class and
/// gives secondary-capture and NM images 1 × 1 mm despite their PixelSpacing, and it turns the
/// frames of a cine file into a z axis spaced by FrameTime.
struct DicomDetails {
  int frames = 1;                     // NumberOfFrames
  bool per_frame_positions = false;   // an enhanced multi-frame file placing each frame in space
  bool has_position = false;          // ImagePositionPatient present
  double frame_time = 0;              // FrameTime, ms; 0 when absent
  std::vector<double> pixel_spacing;  // (row, column) = (y, x) spacing, mm; empty when absent
  std::string spacing_tag;            // "PixelSpacing" or "ImagerPixelSpacing"
  std::string photometric;            // PhotometricInterpretation
};

/// Numbers of a DICOM decimal/integer string ("0.5\\0.5").
std::vector<double> dicom_numbers(const gdcm::DataSet& ds, std::uint16_t group, std::uint16_t element) {
  std::vector<double> v;
  const gdcm::Tag tag(group, element);
  if (!ds.FindDataElement(tag)) return v;
  const gdcm::ByteValue* bv = ds.GetDataElement(tag).GetByteValue();
  if (!bv) return v;
  std::string text(bv->GetPointer(), bv->GetLength());
  std::replace(text.begin(), text.end(), '\\', ' ');
  std::istringstream in(text);
  double d;
  while (in >> d) v.push_back(d);
  return v;
}

std::string dicom_text(const gdcm::DataSet& ds, std::uint16_t group, std::uint16_t element) {
  const gdcm::Tag tag(group, element);
  if (!ds.FindDataElement(tag)) return "";
  const gdcm::ByteValue* bv = ds.GetDataElement(tag).GetByteValue();
  if (!bv) return "";
  std::string t(bv->GetPointer(), bv->GetLength());
  while (!t.empty() && (t.back() == ' ' || t.back() == '\0')) t.pop_back();
  return t;
}

DicomDetails dicom_details(const std::string& path) {
  DicomDetails d;
  gdcm::Reader reader;
  reader.SetFileName(path.c_str());
  // The attributes only: stop before the pixel data.
  if (!reader.ReadUpToTag(gdcm::Tag(0x7fe0, 0x0010))) return d;
  const gdcm::DataSet& ds = reader.GetFile().GetDataSet();
  const auto frames = dicom_numbers(ds, 0x0028, 0x0008);
  if (!frames.empty() && frames[0] >= 1) d.frames = static_cast<int>(frames[0]);
  const auto ft = dicom_numbers(ds, 0x0018, 0x1063);
  if (!ft.empty() && std::isfinite(ft[0]) && ft[0] > 0) d.frame_time = ft[0];
  d.has_position = dicom_numbers(ds, 0x0020, 0x0032).size() == 3;
  // Enhanced multi-frame objects place each frame with a PlanePositionSequence, in the per-frame
  // or the shared functional groups.
  d.per_frame_positions = ds.FindDataElement(gdcm::Tag(0x5200, 0x9230));
  d.pixel_spacing = dicom_numbers(ds, 0x0028, 0x0030);
  d.spacing_tag = "PixelSpacing";
  if (d.pixel_spacing.size() != 2) {
    d.pixel_spacing = dicom_numbers(ds, 0x0018, 0x1164);
    d.spacing_tag = "ImagerPixelSpacing";
  }
  if (d.pixel_spacing.size() != 2) {
    d.pixel_spacing.clear();
    d.spacing_tag.clear();
  }
  d.photometric = dicom_text(ds, 0x0028, 0x0004);
  return d;
}

/// Sets the in-plane (ITK x, y) spacing of `h` from the file's PixelSpacing / ImagerPixelSpacing,
/// or 1 when it has neither; returns the source of that spacing.
SpacingSource apply_pixel_spacing(ItkHeader& h, const DicomDetails& d) {
  if (d.pixel_spacing.empty()) {
    h.spacing[0] = h.spacing[1] = 1.0;
    return SpacingSource::default_one;
  }
  h.spacing[0] = d.pixel_spacing[1];  // column spacing: along x
  h.spacing[1] = d.pixel_spacing[0];  // row spacing: along y
  return SpacingSource::header;
}

/// BT.601 luminance (core/luminance.hpp) of interleaved RGB samples (last axis 3) in float32, as
/// the OpenCV backend computes it for color rasters.
Array rgb_luminance(const Array& rgb) {
  Shape s = rgb.shape();
  s.pop_back();
  const Array f = astype(rgb, DType::float32);
  Array out(DType::float32, s);
  const float* p = static_cast<const float*>(f.data());
  float* o = static_cast<float*>(out.data());
  for (index_t i = 0, n = out.size(); i < n; ++i, p += 3) o[i] = bt601_luminance(p[0], p[1], p[2]);
  return out;
}

/// Moves interleaved components (..., c) to a leading axis (c, ...).
Array components_first(const Array& a, std::size_t components) {
  Shape s = a.shape();
  s.pop_back();
  s.insert(s.begin(), static_cast<index_t>(components));
  Array out(a.dtype(), s);
  std::size_t es = dtype_size(a.dtype());
  std::size_t voxels = static_cast<std::size_t>(a.size()) / components;
  auto* src = static_cast<const unsigned char*>(a.data());
  auto* dst = static_cast<unsigned char*>(out.data());
  for (std::size_t v = 0; v < voxels; ++v)
    for (std::size_t c = 0; c < components; ++c)
      std::memcpy(dst + (c * voxels + v) * es, src + (v * components + c) * es, es);
  return out;
}

/// Pixels + geometry of a file whose header says `h`, with axes and series axes mapped to numpy.
Image assemble(const std::string& path, const ItkHeader& h, Array raw, Family f) {
  std::size_t n = h.dims.size();
  if (n == 0 || n > 4)
    throw io_error(path, std::to_string(n) +
                             "-d images are not supported (gradmap reads 1-d to 3-d volumes and 4-d series)");
  Image img;
  img.format = family_name(f);
  std::size_t spatial = std::min<std::size_t>(n, 3);
  if (n == 4) img.series_axes = 1;  // (x, y, z, t) → (t, z, y, x): every volume of the series
  if (h.components > 1) {
    if (img.series_axes)
      throw io_error(path, "a 4-d series of multi-component (" + std::to_string(h.components) +
                               ") pixels is not supported; split it into one file per component");
    img.pixels = components_first(raw, h.components);
    img.series_axes = 1;
  } else {
    img.pixels = raw;
  }
  img.geometry = to_numpy_geometry(h, spatial);
  return img;
}

Shape numpy_shape(const ItkHeader& h) {
  Shape s;
  for (std::size_t k = h.dims.size(); k-- > 0;) s.push_back(static_cast<index_t>(h.dims[k]));
  if (h.components > 1) s.push_back(static_cast<index_t>(h.components));
  return s;
}

void check_header(const std::string& path, const ItkHeader& h, Family f, std::size_t max_memory) {
  for (double d : h.dims)
    if (d < 1) throw io_error(path, std::string("corrupt ") + family_title(f) + " header: an axis of size 0");
  DType t = dtype_of_component(path, h.component);
  std::vector<double> dims = h.dims;
  dims.push_back(h.components);
  // The raw buffer, plus a second one while components are moved to their own axis.
  double per_sample = static_cast<double>(dtype_size(t)) * (h.components > 1 ? 2 : 1);
  std::string what = "a ";
  for (std::size_t i = 0; i < h.dims.size(); ++i) what += (i ? " × " : "") + count_text(h.dims[i]);
  what += std::string(" ") + dtype_name(t) + " " + family_title(f) + " image";
  check_memory(path, dims, per_sample, max_memory, what);
}

/// A single DICOM file as numpy sees it. GDCM reports every file as x × y × frames so that it can
/// carry the slice position; gradmap makes of it:
///   one frame                          → a 2-D (y, x) image whose 3-D placement is kept in
///                                        metadata.plane (an axis of one sample has no gradient);
///   frames placed by per-frame positions → a (z, y, x) volume (GDCM's geometry);
///   other frames (cine, XA, US loops)  → (frames, y, x), a time series of 2-D images.
/// RGB pixels follow ReadOptions::color as color rasters do: BT.601 luminance in float32, or a
/// leading channel axis R, G, B. In-plane spacing comes from PixelSpacing, else ImagerPixelSpacing,
/// else is 1 (and says so in spacing_source).
Image assemble_dicom(const std::string& path, ItkHeader h, Array raw, const ReadOptions& options) {
  if (h.dims.size() != 3) return assemble(path, h, raw, Family::dicom);
  const DicomDetails d = dicom_details(path);
  if (h.dims[2] > 1 && d.per_frame_positions) {
    Image img = assemble(path, h, raw, Family::dicom);
    return img;
  }
  const bool frames = h.dims[2] > 1;
  const SpacingSource in_plane = apply_pixel_spacing(h, d);
  ItkHeader plane = h;
  plane.dims[2] = 1;
  if (frames) plane.spacing[2] = 1.0;  // GDCM puts FrameTime there
  Geometry plane_geometry = to_numpy_geometry(plane, 3);
  plane_geometry.spacing_source = {frames ? SpacingSource::default_one : SpacingSource::header, in_plane,
                                   in_plane};

  ItkHeader flat = h;
  for (auto* v : {&flat.dims, &flat.spacing, &flat.origin}) v->pop_back();
  flat.direction.pop_back();
  for (auto& row : flat.direction) row.pop_back();

  Image img;
  img.format = family_name(Family::dicom);
  img.geometry = to_numpy_geometry(flat, 2);
  img.geometry.spacing_source = {in_plane, in_plane};
  if (d.has_position) img.metadata.plane = plane_geometry;
  // raw is (frames, y, x[, components]); a single frame loses its axis.
  Shape shape = raw.shape();
  if (!frames) shape.erase(shape.begin());
  raw = raw.reshaped(shape);
  if (h.components == 3) {
    if (options.color == ColorMode::gray) {
      img.pixels = rgb_luminance(raw);
    } else {
      img.pixels = components_first(raw, 3);
      img.series_axes = 1;
      img.metadata.series_kind = SeriesKind::channels;
    }
  } else if (h.components == 1) {
    img.pixels = raw;
  } else {
    throw io_error(path, "DICOM pixels with " + std::to_string(h.components) +
                             " samples each are not supported (gradmap reads gray and RGB DICOM)");
  }
  if (frames) {
    img.series_axes += 1;
    if (img.metadata.series_kind == SeriesKind::unspecified) {
      img.metadata.series_kind = SeriesKind::time;
      if (d.frame_time > 0) {
        img.metadata.series_spacing = {d.frame_time};
        img.metadata.series_unit = "ms";
      }
    }
  }
  return img;
}

/// A DICOM file of Float or Double Float Pixel Data, read with gdcm::Reader: native (uncompressed)
/// little- or big-endian IEEE values, NaN and Inf as stored, placed by ImagePositionPatient and
/// ImageOrientationPatient, then made 2-D or a frame series as every DICOM file (assemble_dicom).
Image read_float_dicom(const std::string& path, const ReadOptions& options) {
  gdcm::Reader reader;
  reader.SetFileName(path.c_str());
  if (!reader.Read()) throw io_error(path, "corrupt DICOM: GDCM cannot parse it");
  const gdcm::File& file = reader.GetFile();
  const gdcm::DataSet& ds = file.GetDataSet();
  const bool doubles = !ds.FindDataElement(gdcm::Tag(0x7fe0, 0x0008));
  const gdcm::ByteValue* bv = ds.GetDataElement(gdcm::Tag(0x7fe0, doubles ? 0x0009 : 0x0008)).GetByteValue();
  gdcm::Attribute<0x0028, 0x0010> rows_attr{};
  gdcm::Attribute<0x0028, 0x0011> cols_attr{};
  if (!ds.FindDataElement(rows_attr.GetTag()) || !ds.FindDataElement(cols_attr.GetTag()) || !bv)
    throw io_error(path, "corrupt DICOM: float pixel data without Rows and Columns");
  rows_attr.SetFromDataSet(ds);
  cols_attr.SetFromDataSet(ds);
  const DicomDetails d = dicom_details(path);
  ItkHeader h;
  h.dims = {double(cols_attr.GetValue()), double(rows_attr.GetValue()), double(d.frames)};
  h.spacing = {1.0, 1.0, 1.0};
  h.origin = {0.0, 0.0, 0.0};
  const auto ipp = dicom_numbers(ds, 0x0020, 0x0032);
  if (ipp.size() == 3) h.origin = ipp;
  // ITK's direction columns: x along the row cosines, y along the column cosines, z their cross product.
  std::vector<double> iop = dicom_numbers(ds, 0x0020, 0x0037);
  if (iop.size() != 6) iop = {1, 0, 0, 0, 1, 0};
  const double nx = iop[1] * iop[5] - iop[2] * iop[4], ny = iop[2] * iop[3] - iop[0] * iop[5],
               nz = iop[0] * iop[4] - iop[1] * iop[3];
  h.direction = {{iop[0], iop[3], nx}, {iop[1], iop[4], ny}, {iop[2], iop[5], nz}};
  const DType t = doubles ? DType::float64 : DType::float32;
  h.component = component_of(t);
  check_header(path, h, Family::dicom, options.max_memory);
  Array raw(t, numpy_shape(h));
  if (bv->GetLength() < raw.nbytes())
    throw io_error(path, "truncated DICOM: the float pixel data holds " +
                             count_text(double(bv->GetLength())) + " bytes, Rows × Columns × frames need " +
                             count_text(double(raw.nbytes())));
  std::memcpy(raw.data(), bv->GetPointer(), raw.nbytes());
  if (file.GetHeader().GetDataSetTransferSyntax().GetSwapCode() == gdcm::SwapCode::BigEndian) {
    auto* p = static_cast<unsigned char*>(raw.data());
    const std::size_t es = dtype_size(t);
    for (std::size_t i = 0; i < raw.nbytes(); i += es) std::reverse(p + i, p + i + es);
  }
  return assemble_dicom(path, h, raw, options);
}

Image read_file(const std::string& path, Family f, const ReadOptions& options) {
  // Both checks run before ITK parses the header: MetaIO hangs and ITK's NIfTI reader aborts on
  // some malformed headers.
  if (f == Family::metaimage) check_metaimage_complete(path);
  NiftiHeader nh;
  if (f == Family::nifti) nh = check_nifti_complete(path, /*data_size=*/false);
  itk::ImageIOBase::Pointer io;
  try {
    io = open_header(path, f);
  } catch (const FloatPixelData&) {
    return read_float_dicom(path, options);
  }
  ItkHeader h = header_of(*io);
  // Scalar NIfTI voxels are read by gradmap itself (read_nifti_voxels says why) when ITK sees the
  // same voxels the header describes; vector and RGB files, whose components ITK interleaves, go
  // through ITK.
  bool own_nifti = false;
  if (f == Family::nifti && h.components == 1 && nifti_scalar_dtype(nh.datatype) != DType::float16) {
    double itk_voxels = 1, nifti_voxels = 1;
    for (double d : h.dims) itk_voxels *= d;
    for (auto d : nh.dims) nifti_voxels *= double(d);
    own_nifti = itk_voxels == nifti_voxels;
    if (own_nifti)
      h.component =
          component_of(nifti_is_scaled(path, nh) ? DType::float64 : nifti_scalar_dtype(nh.datatype));
  }
  check_header(path, h, f, options.max_memory);
  if (f == Family::nifti) check_nifti_complete(path, /*data_size=*/true);
  Array raw;
  if (own_nifti) {
    raw = read_nifti_voxels(path, nh, numpy_shape(h));
  } else {
    raw = Array(dtype_of_component(path, h.component), numpy_shape(h));
    read_pixels(path, *io, raw.data(), f);
  }
  if (f == Family::dicom) return assemble_dicom(path, h, raw, options);
  Image img = assemble(path, h, raw, f);
  if ((f == Family::nrrd || f == Family::metaimage) && !volume_header_states_spacing(path, f == Family::nrrd))
    img.geometry.spacing_source.assign(img.geometry.spacing.size(), SpacingSource::default_one);
  if (f == Family::nifti) {
    VolumeMetadata& m = img.metadata;
    m.qform_code = nh.qform_code;
    m.sform_code = nh.sform_code;
    m.xyzt_units = nh.xyzt_units;
    if (img.series_axes == 1 && h.components == 1 && nh.pixdim.size() >= 4) {
      m.series_kind = SeriesKind::time;
      m.series_spacing = {nh.pixdim[3]};
      const int t = nh.xyzt_units & 0x38;
      m.series_unit = t == 8 ? "s" : t == 16 ? "ms" : t == 24 ? "us" : "";
    }
  }
  return img;
}

/// A directory holding one DICOM series: slices sorted along their normal, spacing between slices
/// taken from the positions, which must be evenly spaced.
Image read_dicom_series(const std::string& dir, const ReadOptions& options) {
  check_dicom_directory(dir);
  std::vector<std::string> files;
  // GDCMSeriesFileNames prints "No Series were found" through ITK's warning window; the caller
  // gets an exception instead. The switch is ITK-global, hence restored.
  struct QuietItk {
    bool saved = itk::Object::GetGlobalWarningDisplay();
    QuietItk() { itk::Object::SetGlobalWarningDisplay(false); }
    ~QuietItk() { itk::Object::SetGlobalWarningDisplay(saved); }
  } quiet;
  try {
    auto names = itk::GDCMSeriesFileNames::New();
    names->SetUseSeriesDetails(true);
    names->SetDirectory(dir);
    const auto& uids = names->GetSeriesUIDs();
    if (uids.empty()) throw io_error(dir, "is a directory without any DICOM series");
    if (uids.size() > 1)
      throw io_error(dir, "holds " + std::to_string(uids.size()) +
                              " DICOM series (or one with slices of different size or orientation); "
                              "give a directory with exactly one series");
    files = names->GetFileNames(uids.front());
  } catch (const itk::ExceptionObject& e) {
    throw io_error(dir, "cannot scan the directory for DICOM files: " + itk_reason(e));
  }
  if (files.empty()) throw io_error(dir, "is a directory without any DICOM series");
  if (files.size() == 1) return read_file(files.front(), Family::dicom, options);

  struct Slice {
    std::string file;
    itk::ImageIOBase::Pointer io;
    ItkHeader h;
    double position = 0;  // along the slice normal, mm
  };
  std::vector<Slice> slices;
  for (const std::string& file : files) {
    itk::ImageIOBase::Pointer io;
    try {
      io = open_header(file, Family::dicom);
    } catch (const FloatPixelData&) {
      throw io_error(dir, "'" + file +
                              "' holds float pixel data; a series of such slices is not supported, "
                              "read the files one by one");
    }
    ItkHeader h = header_of(*io);
    if (h.dims.size() != 3 || h.dims[2] != 1 || h.components != 1)
      throw io_error(dir, "'" + file +
                              "' is not a single-component single-frame slice; "
                              "multi-frame or color DICOM files cannot be stacked into a series");
    slices.push_back({file, io, h, 0.0});
  }
  const ItkHeader& first = slices.front().h;
  for (Slice& s : slices) {
    if (s.h.dims[0] != first.dims[0] || s.h.dims[1] != first.dims[1])
      throw io_error(dir, "'" + s.file + "' has " + count_text(s.h.dims[0]) + " × " +
                              count_text(s.h.dims[1]) + " pixels but '" + slices.front().file + "' has " +
                              count_text(first.dims[0]) + " × " + count_text(first.dims[1]));
    for (int i = 0; i < 3; ++i) s.position += s.h.origin[i] * first.direction[i][2];
  }
  std::stable_sort(slices.begin(), slices.end(),
                   [](const Slice& a, const Slice& b) { return a.position < b.position; });

  std::size_t n = slices.size();
  double spacing = (slices.back().position - slices.front().position) / static_cast<double>(n - 1);
  // Gaps are judged against the median one, so that a single missing slice is the one named.
  std::vector<double> gaps;
  for (std::size_t k = 0; k + 1 < n; ++k) gaps.push_back(slices[k + 1].position - slices[k].position);
  std::vector<double> sorted = gaps;
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2),
                   sorted.end());
  const double typical = sorted[sorted.size() / 2];
  for (std::size_t k = 0; k + 1 < n; ++k) {
    const double gap = gaps[k];
    char buf[1024];
    if (gap <= 1e-6 * std::max(1.0, std::fabs(typical))) {
      std::snprintf(buf, sizeof buf,
                    "slices %zu and %zu ('%s', '%s') are at the same position %.6g mm along the normal", k,
                    k + 1, slices[k].file.c_str(), slices[k + 1].file.c_str(), slices[k].position);
      throw io_error(dir, buf);
    }
    // 1 % allows for the rounding of positions to DICOM decimal strings (at most 16 characters).
    if (std::fabs(gap - typical) > 0.01 * typical + 1e-4) {
      std::snprintf(
          buf, sizeof buf,
          "inconsistent slice spacing: the gap between slices %zu and %zu ('%s' at %.6g mm and '%s' at "
          "%.6g mm along the normal) is %.6g mm, but most slices are %.6g mm apart; gradients need evenly "
          "spaced slices (is a slice missing?)",
          k, k + 1, slices[k].file.c_str(), slices[k].position, slices[k + 1].file.c_str(),
          slices[k + 1].position, gap, typical);
      throw io_error(dir, buf);
    }
  }

  // Slices may be stored with different rescale slopes, hence different decoded types; the volume
  // then takes float64, which holds every one of them exactly.
  DType t = dtype_of_component(slices.front().file, first.component);
  bool mixed = false;
  for (const Slice& s : slices) mixed = mixed || s.h.component != first.component;
  if (mixed) t = DType::float64;
  ItkHeader vh = first;
  vh.dims[2] = static_cast<double>(n);
  vh.spacing[2] = spacing;
  vh.origin = slices.front().h.origin;
  vh.component = component_of(t);
  const SpacingSource in_plane = apply_pixel_spacing(vh, dicom_details(slices.front().file));
  check_header(dir, vh, Family::dicom, options.max_memory);

  Array volume(t, numpy_shape(vh));
  std::size_t slice_bytes = static_cast<std::size_t>(first.dims[0] * first.dims[1]) * dtype_size(t);
  for (std::size_t k = 0; k < n; ++k) {
    Slice& s = slices[k];
    void* dst = static_cast<unsigned char*>(volume.data()) + k * slice_bytes;
    if (!mixed) {
      read_pixels(s.file, *s.io, dst, Family::dicom);
      continue;
    }
    Array own(dtype_of_component(s.file, s.h.component),
              Shape{1, index_t(first.dims[1]), index_t(first.dims[0])});
    read_pixels(s.file, *s.io, own.data(), Family::dicom);
    Array wide = astype(own, DType::float64);
    std::memcpy(dst, wide.data(), slice_bytes);
  }
  Image img = assemble(dir, vh, volume, Family::dicom);
  img.geometry.spacing_source = {SpacingSource::header, in_plane, in_plane};
  return img;
}

Image read(const std::string& path, const ReadOptions& options) {
  // GDCM prints warnings about every odd file it meets; problems reach the caller as exceptions.
  gdcm::Trace::WarningOff();
  gdcm::Trace::DebugOff();
  WarningScope scope;
  Image img =
      is_directory(path) ? read_dicom_series(path, options) : read_file(path, family_of(path), options);
  img.warnings = scope.take();
  return img;
}

std::string base_name(const std::string& p) { return p.substr(p.find_last_of('/') + 1); }
std::string dir_name(const std::string& p) {
  auto slash = p.find_last_of('/');
  return slash == std::string::npos ? std::string() : p.substr(0, slash + 1);
}
/// "name" for "dir/name.ext".
std::string stem(const std::string& p, const std::string& ext) {
  std::string b = base_name(p);
  return b.substr(0, b.size() - ext.size() - 1);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Bytes in `file`, decompressed when `gz`; -1 when the gzip stream is cut short or corrupt.
double written_bytes(const std::string& file, bool gz) {
  if (!gz) {
    struct stat st {};
    return ::stat(file.c_str(), &st) == 0 ? static_cast<double>(st.st_size) : -1;
  }
  gzFile z = gzopen(file.c_str(), "rb");
  if (!z) return -1;
  std::vector<char> buf(std::size_t{1} << 20);
  double total = 0;
  int k;
  while ((k = gzread(z, buf.data(), static_cast<unsigned>(buf.size()))) > 0) total += k;
  int err = Z_OK;
  gzerror(z, &err);
  gzclose(z);
  return k < 0 || err != Z_OK ? -1 : total;
}

/// ITK's NIfTI writer (niftilib) reports a short write only on stderr and returns normally, so a
/// full disk would leave a truncated file to be renamed into place. Every written file is therefore
/// measured; when it is short, one more write to it shows the reason (ENOSPC, EFBIG) the writer
/// met and did not report.
void check_complete(const std::string& path, const std::string& file, bool gz, double want,
                    const char* what) {
  const double got = written_bytes(file, gz);
  if (got >= want) return;
  std::string reason = "the writer reported no error";
  const int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd >= 0) {
    static const char zeros[65536] = {};
    if (::write(fd, zeros, sizeof zeros) < 0) reason = std::strerror(errno);
    ::close(fd);
  }
  throw io_error(path,
                 std::string("cannot write ") + what + ": " +
                     (got < 0 ? std::string("the compressed stream is incomplete")
                              : "only " + count_text(got) + " of " + count_text(want) + " bytes written") +
                     " (" + reason + ")");
}

/// Writes the source's NIfTI codes into the header of the NIfTI-1 file ITK wrote (host byte order).
void patch_nifti_header(const std::string& path, const std::string& file, const VolumeMetadata& m) {
  std::FILE* fp = std::fopen(file.c_str(), "r+b");
  if (!fp) throw io_error(path, "cannot reopen the written NIfTI file to set its header codes");
  unsigned char h[348];
  const bool ok_read = std::fread(h, 1, sizeof h, fp) == sizeof h;
  std::int32_t size = 0;
  std::memcpy(&size, h, 4);
  if (!ok_read || size != 348) {
    std::fclose(fp);
    throw io_error(path, "internal: ITK did not write a NIfTI-1 header in host byte order");
  }
  auto put16 = [&](int at, int v) {
    const auto x = static_cast<std::int16_t>(v);
    std::memcpy(h + at, &x, 2);
  };
  if (m.xyzt_units >= 0) h[123] = static_cast<unsigned char>(m.xyzt_units & 0xff);
  if (m.qform_code >= 0) put16(252, m.qform_code);
  if (m.sform_code >= 0) put16(254, m.sform_code);
  const bool ok = std::fseek(fp, 0, SEEK_SET) == 0 && std::fwrite(h, 1, sizeof h, fp) == sizeof h;
  const bool closed = std::fclose(fp) == 0;
  if (!ok || !closed)
    throw io_error(path, std::string("cannot write the NIfTI header: ") + std::strerror(errno));
}

/// Compresses `from` into the gzip file `to` (zlib's default level, as niftilib's .nii.gz writer).
void gzip_file(const std::string& path, const std::string& from, const std::string& to) {
  std::FILE* in = std::fopen(from.c_str(), "rb");
  if (!in) throw io_error(path, "cannot reopen the written NIfTI file to compress it");
  gzFile out = gzopen(to.c_str(), "wb");
  if (!out) {
    std::fclose(in);
    throw io_error(path, "cannot create '" + to + "'");
  }
  std::vector<char> buf(std::size_t{1} << 20);
  bool ok = true;
  std::size_t got;
  while (ok && (got = std::fread(buf.data(), 1, buf.size(), in)) > 0)
    ok = gzwrite(out, buf.data(), static_cast<unsigned>(got)) == static_cast<int>(got);
  ok = ok && !std::ferror(in);
  std::fclose(in);
  const int err = errno;
  if (gzclose(out) != Z_OK || !ok)
    throw io_error(path, std::string("cannot write the compressed NIfTI: ") + std::strerror(err ? err : EIO));
}

void write(const std::string& path, const std::string& tmp_path, const Image& image, const WriteOptions&) {
  Family f = family_of(path);
  std::string ext = lower_extension(path);
  if (image.rgb)
    throw io_error(path, std::string("RGB display maps cannot be written as ") + family_title(f) +
                             "; write PNG, JPEG or TIFF, or the gray map");
  Array pixels = image.pixels.dtype() == DType::float16 ? astype(image.pixels, DType::float32) : image.pixels;
  const int rank = pixels.rank();
  const Geometry g =
      image.geometry.spacing.empty() ? default_geometry(rank - image.series_axes) : image.geometry;
  const std::size_t spatial = g.spacing.size();
  if (rank < 1 || static_cast<std::size_t>(rank) < spatial || rank > 7)
    throw io_error(path, "cannot write an array of shape " + shape_string(pixels.shape()) + " with " +
                             std::to_string(spatial) + "-d geometry");

  // A 2-D image that is one plane of a 3-D world (a DICOM slice) is written as a volume of one
  // slice, so that its position and orientation survive: NIfTI's own form for a slice (x, y, 1)
  // and for 2-D + time (x, y, 1, t).
  const VolumeMetadata& meta = image.metadata;
  const bool has_plane =
      meta.plane.spacing.size() == 3 && meta.plane.origin.size() == 3 && meta.plane.direction.size() == 9;
  // A time series of 2-D images gets that axis of one slice too, so that time is NIfTI's 4th
  // dimension (x, y, 1, t) rather than a z axis.
  const bool time_of_planes = image.series_axes > 0 && meta.series_kind == SeriesKind::time;
  const bool as_plane = spatial == 2 && (has_plane || time_of_planes);
  Geometry place = g;
  if (as_plane) {
    if (has_plane) {
      place = meta.plane;
    } else {
      place = default_geometry(3, g.unit);
      place.origin = {0.0, g.origin[0], g.origin[1]};
      for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t j = 0; j < 2; ++j) place.direction[(i + 1) * 3 + (j + 1)] = g.direction[i * 2 + j];
    }
    place.spacing[1] = g.spacing[0];
    place.spacing[2] = g.spacing[1];
  }
  const std::size_t sp = place.spacing.size();  // spatial ITK axes written
  const auto n = static_cast<unsigned>(rank + (as_plane ? 1 : 0));
  if (n > 7)
    throw io_error(path, "cannot write an array of " + std::to_string(n) + " dimensions (at most 7)");

  itk::ImageIOBase::Pointer io = make_io(f);
  io->SetNumberOfDimensions(n);
  // ITK axis j < sp is spatial axis sp-1-j of `place`; the axes after them are the series axes,
  // last numpy series axis first, with the spacing the source stated for them (e.g. a TR) or 1.
  for (unsigned j = 0; j < n; ++j) {
    std::vector<double> axis(n, 0.0);
    if (j < sp) {
      const bool extra = as_plane && j == 2;
      io->SetDimensions(
          j, extra ? 1 : static_cast<itk::SizeValueType>(pixels.extent(rank - 1 - static_cast<int>(j))));
      io->SetSpacing(j, place.spacing[sp - 1 - j]);
      io->SetOrigin(j, place.origin[sp - 1 - j]);
      for (std::size_t i = 0; i < sp; ++i) axis[i] = place.direction[(sp - 1 - i) * sp + (sp - 1 - j)];
    } else {
      const int numpy_axis = rank - 1 - static_cast<int>(j - (as_plane ? 1 : 0));
      io->SetDimensions(j, static_cast<itk::SizeValueType>(pixels.extent(numpy_axis)));
      const auto k = static_cast<std::size_t>(numpy_axis);
      io->SetSpacing(
          j, k < meta.series_spacing.size() && meta.series_spacing[k] > 0 ? meta.series_spacing[k] : 1.0);
      io->SetOrigin(j, 0.0);
      axis[j] = 1.0;
    }
    io->SetDirection(j, axis);
  }
  io->SetComponentType(component_of(pixels.dtype()));
  io->SetPixelType(itk::IOPixelEnum::SCALAR);
  io->SetNumberOfComponents(1);
  io->SetUseCompression(false);  // .nii.gz is compressed because of its name
  itk::ImageIORegion region(n);
  for (unsigned j = 0; j < n; ++j) {
    region.SetIndex(j, 0);
    region.SetSize(j, io->GetDimensions(j));
  }
  io->SetIORegion(region);

  // ITK's NIfTI writer always writes qform_code = sform_code = 1 (scanner) and its own xyzt_units;
  // a source that said otherwise gets its codes back by a patch of the written header, done on an
  // uncompressed file that is then compressed here for .nii.gz.
  // A source that is not NIfTI but states its series' time unit (DICOM FrameTime in ms) gets it in
  // xyzt_units, with millimetres for space.
  VolumeMetadata nifti_meta = meta;
  if (nifti_meta.xyzt_units < 0 && image.series_axes > 0 && meta.series_kind == SeriesKind::time) {
    const int t = meta.series_unit == "s"    ? 8
                  : meta.series_unit == "ms" ? 16
                  : meta.series_unit == "us" ? 24
                                             : 0;
    if (t) nifti_meta.xyzt_units = 2 | t;
  }
  const bool patch_nifti = f == Family::nifti && (nifti_meta.qform_code >= 0 || nifti_meta.sform_code >= 0 ||
                                                  nifti_meta.xyzt_units >= 0);
  const std::string itk_ext = patch_nifti ? "nii" : ext;
  // ITK picks compression (.nii.gz) and detached data file names from the file name. When the
  // temporary's name does not end in the target's extension, ITK writes next to it under one that
  // does, and that file then becomes the temporary, which write_atomically renames into place.
  const bool tmp_has_ext = lower_extension(tmp_path) == ext && itk_ext == ext;
  std::string itk_path = tmp_has_ext ? tmp_path : tmp_path + "." + itk_ext;
  if (patch_nifti && ext == "nii.gz") {
    // niftilib compresses any name holding ".nii.gz", even "x.nii.gz.nii": the uncompressed
    // temporary gets a name without it.
    itk_path = tmp_path;
    if (lower_extension(itk_path) == "nii.gz") itk_path.resize(itk_path.size() - 7);
    itk_path += ".unzipped.nii";
  }
  const bool detached = ext == "nhdr" || ext == "mhd";
  const std::string itk_raw = dir_name(itk_path) + stem(itk_path, itk_ext) + ".raw";
  auto cleanup = [&] {
    if (!tmp_has_ext) std::remove(itk_path.c_str());
    if (detached) std::remove(itk_raw.c_str());
  };
  try {
    io->SetFileName(itk_path);
    io->Write(pixels.data());
    // At least the samples (NIfTI: after its 348-byte header); detached data alone in its file.
    const double data = static_cast<double>(pixels.nbytes());
    if (detached) {
      check_complete(path, itk_raw, false, data, family_title(f));
    } else {
      check_complete(path, itk_path, itk_ext == "nii.gz", data + (f == Family::nifti ? 348 : 0),
                     family_title(f));
    }
    if (patch_nifti) {
      patch_nifti_header(path, itk_path, nifti_meta);
      if (ext == "nii.gz") {
        gzip_file(path, itk_path, tmp_path);
        check_complete(path, tmp_path, true, data + 348, family_title(f));
        std::remove(itk_path.c_str());
        return;
      }
    }
  } catch (const itk::ExceptionObject& e) {
    cleanup();
    throw io_error(path, std::string("cannot write ") + family_title(f) + ": " + itk_reason(e));
  } catch (...) {
    cleanup();
    throw;
  }
  if (detached) {
    // The header names its data file; give that file its final name (stem of `path` + .raw) and
    // patch the reference, so the pair stays consistent after the header is renamed into place.
    const std::string raw_name = stem(path, ext) + ".raw";
    std::string header = slurp(itk_path);
    std::string old_name = base_name(itk_raw);
    auto at = header.find(old_name);
    if (at == std::string::npos) {
      cleanup();
      throw io_error(path, "internal: the written header does not name its data file '" + old_name + "'");
    }
    header.replace(at, old_name.size(), raw_name);
    if (std::rename(itk_raw.c_str(), (dir_name(path) + raw_name).c_str()) != 0) {
      cleanup();
      throw io_error(path, "cannot move the data file into place as '" + dir_name(path) + raw_name + "'");
    }
    std::ofstream out(tmp_path, std::ios::binary | std::ios::trunc);
    out << header;
    out.close();
    if (!tmp_has_ext) std::remove(itk_path.c_str());
    if (!out) throw io_error(path, "cannot write the header to '" + tmp_path + "'");
    return;
  }
  if (!tmp_has_ext && std::rename(itk_path.c_str(), tmp_path.c_str()) != 0) {
    cleanup();
    throw io_error(path, "cannot rename '" + itk_path + "' to '" + tmp_path + "'");
  }
}

}  // namespace

const Backend& itk_backend() {
  static const Backend b{"itk", read, write};
  return b;
}

}  // namespace gradmap::detail

// The entry point of the gradmap_itk.so module the CLI loads on demand (core/module.hpp), and of
// the linked library (io.cpp finds it through a weak reference); null for another gradmap version.
extern "C" __attribute__((visibility("default"))) const gradmap::detail::Backend* gradmap_itk_backend_v1(
    const char* version);

const gradmap::detail::Backend* gradmap_itk_backend_v1(const char* version) {
  return std::strcmp(version, GRADMAP_VERSION_STRING) == 0 ? &gradmap::detail::itk_backend() : nullptr;
}
