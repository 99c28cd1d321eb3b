// SPDX-License-Identifier: MIT
// gradmap.read / gradmap.write and the Image type: the library's read_image / write_image with the
// pixels shared with numpy (read: no copy) and the geometry as Python values.
#include "gradmap/io.hpp"

#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "convert.hpp"

namespace gradmap::python {

namespace {

const char* frame_name(WorldFrame f) { return f == WorldFrame::lps ? "LPS" : nullptr; }

/// The image `like` describes, holding `pixels`: its geometry applies to the last spatial axes, so
/// the array may have other leading (series) axes than `like` has.
Image image_like(Array pixels, const Image* like) {
  Image img;
  if (like) {
    const int spatial = static_cast<int>(like->geometry.spacing.size());
    if (pixels.rank() < spatial)
      throw InvalidArgument("write: the array has " + std::to_string(pixels.rank()) +
                            " dimensions but like= has " + std::to_string(spatial) +
                            " spatial axes; pass an array with at least that many");
    img.geometry = like->geometry;
    img.metadata = like->metadata;
    img.series_axes = pixels.rank() - spatial;
    img.format = like->format;
  } else {
    const int spatial = pixels.rank() < 3 ? pixels.rank() : 3;
    img.geometry = default_geometry(spatial);
    img.series_axes = pixels.rank() - spatial;
  }
  img.pixels = std::move(pixels);
  return img;
}

}  // namespace

void bind_io(py::module_& m) {
  using py::arg;
  py::class_<Image>(m, "Image", "An image or volume read by gradmap.read: pixels plus geometry.")
      .def_property_readonly(
          "array", [](const Image& i) { return to_numpy(i.pixels); },
          "The pixels, numpy order ((z, y, x) for a volume), sharing the image's memory (no copy).")
      .def_property_readonly(
          "spacing", [](const Image& i) { return py::tuple(py::cast(i.geometry.spacing)); },
          "Sample distance per spatial axis, numpy order, in `unit`.")
      .def_property_readonly(
          "origin", [](const Image& i) { return py::tuple(py::cast(i.geometry.origin)); },
          "World position of the first sample per spatial axis, numpy order.")
      .def_property_readonly(
          "direction",
          [](const Image& i) {
            const auto n = static_cast<py::ssize_t>(i.geometry.spacing.size());
            py::array_t<double> d({n, n});
            std::copy(i.geometry.direction.begin(), i.geometry.direction.end(), d.mutable_data());
            return d;
          },
          "Direction cosines (n x n, numpy order): direction[i, j] is the world-axis-i component of index "
          "axis j.")
      .def_property_readonly(
          "frame",
          [](const Image& i) -> py::object {
            const char* f = frame_name(i.geometry.frame);
            return f ? py::object(py::str(f)) : py::object(py::none());
          },
          "World frame of origin and direction: 'LPS' (ITK, DICOM) or None (rasters, .npy: index space).")
      .def_property_readonly(
          "unit", [](const Image& i) { return i.geometry.unit; }, "'mm' or 'px'.")
      .def_property_readonly("format", [](const Image& i) { return i.format; })
      .def_property_readonly(
          "series_axes", [](const Image& i) { return i.series_axes; },
          "Leading axes that are not spatial (channels, time).")
      .def_property_readonly("warnings", [](const Image& i) { return i.warnings; })
      .def("__repr__", [](const Image& i) {
        return "<gradmap.Image " + std::string(i.format) + " " + std::string(dtype_name(i.pixels.dtype())) +
               " " + shape_string(i.pixels.shape()) + ">";
      });

  m.def(
      "read",
      [](const std::string& path, const std::string& color) {
        ReadOptions o;
        if (color == "gray")
          o.color = ColorMode::gray;
        else if (color == "channels")
          o.color = ColorMode::channels;
        else
          throw InvalidArgument("read: color must be 'gray' or 'channels', got '" + color + "'");
        py::gil_scoped_release release;
        return read_image(path, o);
      },
      arg("path"), arg("color") = "gray");
  m.def(
      "write",
      [](const std::string& path, const py::array& array, const Image* like, int png_compression) {
        Image img = image_like(copy_to_array(array), like);
        WriteOptions o;
        o.png_compression = png_compression;
        py::gil_scoped_release release;
        write_image(path, img, o);
      },
      arg("path"), arg("array"), arg("like") = nullptr, arg("png_compression") = -1);
}

}  // namespace gradmap::python
