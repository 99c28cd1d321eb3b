// SPDX-License-Identifier: MIT
#include "convert.hpp"

#include <tbb/task_arena.h>

#include <atomic>
#include <cstring>

namespace gradmap::python {

DType dtype_of_array(const py::array& a) { return dtype_from_name(py::str(a.dtype().attr("name"))); }

py::array to_numpy(const Array& a) {
  const auto dtype = py::dtype(dtype_name(a.dtype()));
  std::vector<py::ssize_t> shape(a.shape().begin(), a.shape().end());
  if (a.size() == 0) return py::array(dtype, shape);
  // The capsule owns a reference to the buffer (Array copies share it), so numpy never copies.
  auto* owner = new Array(a);
  py::capsule base(owner, [](void* p) { delete static_cast<Array*>(p); });
  std::vector<py::ssize_t> strides;
  for (index_t s : c_strides(a.shape())) strides.push_back(static_cast<py::ssize_t>(s) * dtype.itemsize());
  return py::array(dtype, shape, strides, owner->data(), base);
}

Array copy_to_array(const py::array& a) {
  Shape shape(a.shape(), a.shape() + a.ndim());
  Array out = Array::uninitialized(dtype_of_array(a), shape);
  if (out.size() == 0) return out;
  // numpy does the strided copy (any layout) into the Array's C-contiguous buffer.
  py::module_::import("numpy").attr("copyto")(to_numpy(out), a, py::arg("casting") = "no");
  return out;
}

namespace {
std::atomic<int> module_threads{0};
}

void set_num_threads(int threads) { module_threads = threads; }
int get_num_threads() { return module_threads; }

void run_without_gil(int threads, const std::function<void()>& fn) {
  const int n = threads > 0 ? threads : module_threads.load();
  py::gil_scoped_release release;
  if (n > 0) {
    // The library runs on the calling thread's arena, so this bounds its threads (issue #15 adds a
    // GradientOptions thread count in parallel; until it is merged the binding owns the arena).
    tbb::task_arena arena(n);
    arena.execute(fn);
  } else {
    fn();
  }
}

}  // namespace gradmap::python
