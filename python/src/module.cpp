// SPDX-License-Identifier: MIT
// gradmap._gradmap: thin bindings over the library's gradient() and edges(). numpy's argument
// rules (axis normalization, *varargs forms, exception types) live in python/gradmap/__init__.py;
// this file only turns the resolved arguments into GradientOptions and arrays into views.
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "convert.hpp"
#include "gradmap/edges.hpp"
#include "gradmap/error.hpp"
#include "gradmap/gradient.hpp"
#include "gradmap/operators.hpp"

namespace gradmap::python {

void bind_io(py::module_& m);  // io.cpp

namespace {

/// spacing: one (step, coords or None, dtype name) tuple per selected axis, as __init__.py resolves
/// numpy's *varargs (coords: 1-D float64 holding exact values of `dtype`).
/// op / boundary: the CLI's --operator and --boundary texts (gradmap/operators.hpp parses them).
GradientOptions gradient_options(const std::vector<int>& axes, const py::list& spacing, int edge_order,
                                 const std::optional<std::string>& dtype, const std::string& op,
                                 const std::optional<std::string>& boundary, double truncate) {
  GradientOptions o;
  parse_operator(op, o);
  if (boundary) parse_boundary(*boundary, o);
  o.truncate = truncate;
  o.axes = axes;
  o.edge_order = edge_order;
  if (dtype) o.dtype = dtype_from_name(*dtype);
  for (const auto& item : spacing) {
    auto t = item.cast<py::tuple>();
    AxisSpacing s;
    s.step = t[0].cast<double>();
    s.dtype = dtype_from_name(t[2].cast<std::string>());
    if (!t[1].is_none()) s.coords = t[1].cast<std::vector<double>>();
    o.spacing.push_back(std::move(s));
  }
  return o;
}

template <class Out>
void gradient_into_views(const py::array& f, const std::vector<py::array>& out, const GradientOptions& o,
                         int threads) {
  std::vector<ArrayView<Out>> views;
  for (const auto& a : out) views.push_back(view_of<Out>(a));
  visit_array(f, [&](auto tag) {
    using T = decltype(tag);
    const ConstArrayView<T> in = view_of<T>(f);
    run_without_gil(threads, [&] { gradient_into<T, Out>(in, views, o); });
  });
}

py::list gradient_binding(const py::array& f, const std::vector<int>& axes, const py::list& spacing,
                          int edge_order, const std::optional<std::string>& dtype,
                          const std::optional<std::vector<py::array>>& out, int threads,
                          const std::string& op, const std::optional<std::string>& boundary,
                          double truncate) {
  const GradientOptions o = gradient_options(axes, spacing, edge_order, dtype, op, boundary, truncate);
  py::list result;
  if (out) {
    switch (dtype_of_array(out->front())) {
      case DType::float16:
        gradient_into_views<float16_t>(f, *out, o, threads);
        break;
      case DType::float32:
        gradient_into_views<float>(f, *out, o, threads);
        break;
      case DType::float64:
        gradient_into_views<double>(f, *out, o, threads);
        break;
      default:
        throw InvalidArgument("gradient: out= arrays must be float16, float32 or float64");
    }
    for (const auto& a : *out) result.append(a);
    return result;
  }
  std::vector<Array> components;
  visit_array(f, [&](auto tag) {
    using T = decltype(tag);
    const ConstArrayView<T> in = view_of<T>(f);
    run_without_gil(threads, [&] { components = gradient<T>(in, o); });
  });
  for (const auto& c : components) result.append(to_numpy(c));
  return result;
}

AngleOptions angle_options(const std::string& units, const std::string& angle_range, bool y_up,
                           bool orientation, bool compass) {
  AngleOptions a;
  if (units == "rad")
    a.units = AngleUnits::radians;
  else if (units == "deg")
    a.units = AngleUnits::degrees;
  else
    throw InvalidArgument("edges: units must be 'rad' or 'deg', got '" + units + "'");
  if (angle_range == "signed")
    a.range = AngleRange::signed_range;
  else if (angle_range == "unsigned")
    a.range = AngleRange::unsigned_range;
  else
    throw InvalidArgument("edges: angle_range must be 'signed' or 'unsigned', got '" + angle_range + "'");
  a.y_up = y_up;
  a.orientation = orientation;
  a.compass = compass;
  return a;
}

/// (magnitude, direction or azimuth or None, elevation or None)
py::tuple edges_binding(const py::array& f, const std::vector<int>& axes, const py::list& spacing,
                        int edge_order, const std::optional<std::string>& dtype, bool direction,
                        const std::string& units, const std::string& angle_range, bool y_up, bool orientation,
                        bool compass, int threads, const std::string& op,
                        const std::optional<std::string>& boundary, double truncate) {
  EdgeOptions o;
  o.gradient = gradient_options(axes, spacing, edge_order, dtype, op, boundary, truncate);
  o.angle = angle_options(units, angle_range, y_up, orientation, compass);
  o.direction = direction;
  EdgeMaps maps;
  visit_array(f, [&](auto tag) {
    using T = decltype(tag);
    const ConstArrayView<T> in = view_of<T>(f);
    run_without_gil(threads, [&] { maps = edges<T>(in, o); });
  });
  auto maybe = [](const Array& a) -> py::object {
    if (a.empty()) return py::none();
    return to_numpy(a);
  };
  return py::make_tuple(to_numpy(maps.magnitude), maybe(maps.direction), maybe(maps.elevation));
}

}  // namespace
}  // namespace gradmap::python

PYBIND11_MODULE(_gradmap, m) {
  namespace gp = gradmap::python;
  using gp::py::arg;
  m.doc() = "gradmap's C++ bindings; use the gradmap package, which checks arguments the way numpy does.";

  // Python exception types: numpy raises ValueError for what gradmap calls InvalidArgument and
  // ShapeError, so both derive from it; IoError is an OSError.
  static gp::py::exception<gradmap::Error> error(m, "Error", PyExc_Exception);
  static gp::py::exception<gradmap::InvalidArgument> invalid(m, "InvalidArgument", PyExc_ValueError);
  static gp::py::exception<gradmap::ShapeError> shape(m, "ShapeError", PyExc_ValueError);
  static gp::py::exception<gradmap::IoError> io(m, "IoError", PyExc_OSError);
  gp::py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const gradmap::InvalidArgument& e) {
      invalid(e.what());
    } catch (const gradmap::ShapeError& e) {
      shape(e.what());
    } catch (const gradmap::IoError& e) {
      io(e.what());
    } catch (const gradmap::Error& e) {
      error(e.what());
    }
  });

  m.def("gradient", &gp::gradient_binding, arg("f"), arg("axes"), arg("spacing"), arg("edge_order"),
        arg("dtype"), arg("out"), arg("threads"), arg("operator") = "central",
        arg("boundary") = gp::py::none(), arg("truncate") = 4.0);
  m.def("edges", &gp::edges_binding, arg("f"), arg("axes"), arg("spacing"), arg("edge_order"), arg("dtype"),
        arg("direction"), arg("units"), arg("angle_range"), arg("y_up"), arg("orientation"), arg("compass"),
        arg("threads"), arg("operator") = "central", arg("boundary") = gp::py::none(), arg("truncate") = 4.0);
  m.def("gradient_dtype", [](const std::string& in, const std::optional<std::string>& dtype) {
    gradmap::GradientOptions o;
    if (dtype) o.dtype = gradmap::dtype_from_name(*dtype);
    return std::string(gradmap::dtype_name(gradmap::gradient_dtype(gradmap::dtype_from_name(in), o)));
  });
  m.def("set_num_threads", &gp::set_num_threads, arg("n"));
  m.def("get_num_threads", &gp::get_num_threads);
  gp::bind_io(m);
}
