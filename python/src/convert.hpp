// SPDX-License-Identifier: MIT
// numpy arrays <-> gradmap views and arrays, without copies, for the Python module's bindings.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <functional>
#include <string>

#include "gradmap/array.hpp"

namespace gradmap::python {

namespace py = pybind11;

/// gradmap's dtype of a numpy array whose dtype the Python layer has checked (native byte order,
/// one of gradmap's element types).
DType dtype_of_array(const py::array& a);

/// A view of a numpy array's memory. The Python layer guarantees byte strides that are multiples of
/// the item size (it copies other arrays once), so the element strides are exact.
template <class T>
ArrayView<T> view_of(const py::array& a) {
  Shape extents(static_cast<std::size_t>(a.ndim()));
  Shape strides(extents.size());
  const auto item = static_cast<index_t>(a.itemsize());
  for (std::size_t d = 0; d < extents.size(); ++d) {
    extents[d] = static_cast<index_t>(a.shape(static_cast<py::ssize_t>(d)));
    strides[d] = static_cast<index_t>(a.strides(static_cast<py::ssize_t>(d))) / item;
  }
  auto* data = static_cast<T*>(const_cast<void*>(a.data()));
  return ArrayView<T>(data, std::move(extents), std::move(strides));
}

/// A numpy array that shares the Array's buffer (the Array's reference keeps it alive).
py::array to_numpy(const Array& a);

/// A C-contiguous Array holding a copy of a numpy array (for writers, which need an owning Array).
Array copy_to_array(const py::array& a);

/// Calls `fn(T{})` with T the C++ element type of a numpy array (float16 as gradmap::float16_t).
template <class Fn>
decltype(auto) visit_array(const py::array& a, Fn&& fn) {
  return visit_dtype(dtype_of_array(a), std::forward<Fn>(fn));
}

/// Runs `fn` without the GIL, in a oneTBB arena of `threads` threads (0: the module's setting from
/// set_num_threads, and when that is 0 too, the library's default arena: every core).
void run_without_gil(int threads, const std::function<void()>& fn);
void set_num_threads(int threads);
int get_num_threads();

}  // namespace gradmap::python
