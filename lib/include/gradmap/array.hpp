// SPDX-License-Identifier: MIT
// The two array types of gradmap: a non-owning strided N-d view (ArrayView<T>) and an owning,
// runtime-typed array (Array). Vocabulary follows std::mdspan: extents, strides (in elements),
// rank. Axis 0 is the slowest-varying one (numpy's C order); a 3-D volume is (z, y, x).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "gradmap/error.hpp"
#include "gradmap/export.hpp"

namespace gradmap {

using index_t = std::ptrdiff_t;
using Shape = std::vector<index_t>;

/// Element types gradmap reads, computes and writes. Names follow numpy (`dtype.name`).
enum class DType { int8, int16, int32, int64, uint8, uint16, uint32, uint64, float16, float32, float64 };

/// IEEE 754 binary16 storage type (numpy's float16). Arithmetic is done by gradmap's kernels the way
/// numpy does it: widen to float, compute, round back to half after every operation.
struct GRADMAP_CORE_EXPORT float16_t {
  std::uint16_t bits = 0;
};

/// Size of one element in bytes.
GRADMAP_CORE_EXPORT std::size_t dtype_size(DType t);
/// numpy's name of the type, e.g. "float32".
GRADMAP_CORE_EXPORT const char* dtype_name(DType t);
/// Parses a numpy dtype name ("uint8", "float32", ...); throws InvalidArgument for anything else.
GRADMAP_CORE_EXPORT DType dtype_from_name(const std::string& name);
GRADMAP_CORE_EXPORT bool is_integer(DType t);
GRADMAP_CORE_EXPORT bool is_floating(DType t);

template <class T>
struct dtype_of;
template <>
struct dtype_of<std::int8_t> {
  static constexpr DType value = DType::int8;
};
template <>
struct dtype_of<std::int16_t> {
  static constexpr DType value = DType::int16;
};
template <>
struct dtype_of<std::int32_t> {
  static constexpr DType value = DType::int32;
};
template <>
struct dtype_of<std::int64_t> {
  static constexpr DType value = DType::int64;
};
template <>
struct dtype_of<std::uint8_t> {
  static constexpr DType value = DType::uint8;
};
template <>
struct dtype_of<std::uint16_t> {
  static constexpr DType value = DType::uint16;
};
template <>
struct dtype_of<std::uint32_t> {
  static constexpr DType value = DType::uint32;
};
template <>
struct dtype_of<std::uint64_t> {
  static constexpr DType value = DType::uint64;
};
template <>
struct dtype_of<float16_t> {
  static constexpr DType value = DType::float16;
};
template <>
struct dtype_of<float> {
  static constexpr DType value = DType::float32;
};
template <>
struct dtype_of<double> {
  static constexpr DType value = DType::float64;
};
template <class T>
struct dtype_of<const T> : dtype_of<T> {};
template <class T>
inline constexpr DType dtype_of_v = dtype_of<T>::value;

/// Calls `fn(T{})` with the C++ type T of `t` (a value-initialized tag), e.g.
/// `visit_dtype(a.dtype(), [&](auto tag) { using T = decltype(tag); ... })`.
template <class Fn>
decltype(auto) visit_dtype(DType t, Fn&& fn) {
  switch (t) {
    case DType::int8:
      return fn(std::int8_t{});
    case DType::int16:
      return fn(std::int16_t{});
    case DType::int32:
      return fn(std::int32_t{});
    case DType::int64:
      return fn(std::int64_t{});
    case DType::uint8:
      return fn(std::uint8_t{});
    case DType::uint16:
      return fn(std::uint16_t{});
    case DType::uint32:
      return fn(std::uint32_t{});
    case DType::uint64:
      return fn(std::uint64_t{});
    case DType::float16:
      return fn(float16_t{});
    case DType::float32:
      return fn(float{});
    case DType::float64:
      return fn(double{});
  }
  throw InvalidArgument("unknown dtype");
}

/// C-order (row-major) element strides for `extents`.
GRADMAP_CORE_EXPORT Shape c_strides(const Shape& extents);
/// Product of extents (1 for rank 0).
GRADMAP_CORE_EXPORT index_t shape_size(const Shape& extents);
/// "(3, 4, 5)" — numpy's way of printing a shape, used in error messages.
GRADMAP_CORE_EXPORT std::string shape_string(const Shape& extents);

/// Non-owning strided N-d view. Strides are in elements and may be negative or zero (broadcast).
/// T may be const-qualified; ConstArrayView<T> is ArrayView<const T>.
template <class T>
class ArrayView {
 public:
  using element_type = T;

  ArrayView() = default;
  /// A view with explicit element strides.
  ArrayView(T* data, Shape extents, Shape strides)
      : data_(data), extents_(std::move(extents)), strides_(std::move(strides)) {
    if (extents_.size() != strides_.size())
      throw InvalidArgument("ArrayView: " + std::to_string(extents_.size()) + " extents but " +
                            std::to_string(strides_.size()) + " strides");
  }
  /// A C-contiguous view.
  ArrayView(T* data, Shape extents)
      : data_(data), extents_(std::move(extents)), strides_(c_strides(extents_)) {}
  /// Mutable → const conversion.
  template <class U, class = std::enable_if_t<std::is_same_v<const U, T> && !std::is_same_v<U, T>>>
  ArrayView(const ArrayView<U>& other)  // NOLINT(google-explicit-constructor)
      : data_(other.data()), extents_(other.extents()), strides_(other.strides()) {}

  T* data() const { return data_; }
  int rank() const { return static_cast<int>(extents_.size()); }
  index_t extent(int d) const { return extents_[static_cast<std::size_t>(d)]; }
  index_t stride(int d) const { return strides_[static_cast<std::size_t>(d)]; }
  const Shape& extents() const { return extents_; }
  const Shape& strides() const { return strides_; }
  index_t size() const { return shape_size(extents_); }
  /// True when the elements are laid out in C order without gaps.
  bool is_contiguous() const {
    index_t expect = 1;
    for (int d = rank() - 1; d >= 0; --d) {
      if (extent(d) != 1 && stride(d) != expect) return false;
      expect *= extent(d);
    }
    return true;
  }
  /// Element at a multi-index (no bounds check; for tests and small code paths, not kernels).
  /// (add_lvalue_reference keeps ArrayView<void> a valid type, so overload resolution against
  /// view-taking templates with T = void fails softly.)
  template <class U = T>
  std::add_lvalue_reference_t<U> operator()(std::initializer_list<index_t> idx) const {
    index_t off = 0;
    int d = 0;
    for (index_t i : idx) off += i * stride(d++);
    return data_[off];
  }

 private:
  T* data_ = nullptr;
  Shape extents_;
  Shape strides_;
};

template <class T>
using ConstArrayView = ArrayView<const T>;

namespace detail {
/// Byte addresses [lo, hi) that a view's elements can touch: the bounding box of its strided
/// extent (negative strides included). {0, 0} when the view has no elements.
template <class T>
std::pair<std::uintptr_t, std::uintptr_t> byte_span(const ArrayView<T>& v) {
  if (v.size() == 0) return {0, 0};
  index_t lo = 0, hi = 0;
  for (int d = 0; d < v.rank(); ++d) {
    const index_t reach = (v.extent(d) - 1) * v.stride(d);
    (reach < 0 ? lo : hi) += reach;
  }
  const auto base = reinterpret_cast<std::uintptr_t>(v.data());
  const auto esz = static_cast<index_t>(sizeof(T));
  return {base + static_cast<std::uintptr_t>(lo * esz), base + static_cast<std::uintptr_t>((hi + 1) * esz)};
}

/// Throws InvalidArgument when a view with elements has a null data pointer.
template <class T>
void check_view_data(const ArrayView<T>& v, const std::string& who, const std::string& name) {
  if (v.data() == nullptr && v.size() != 0)
    throw InvalidArgument(who + ": " + name + " has a null data pointer but shape " +
                          shape_string(v.extents()) + "; give it memory or an extent of 0");
}

/// True when `a` and `b` have one layout (element size, extents, strides) whose strides nest (each
/// larger |stride| at least the next smaller one times its extent) and their start addresses
/// differ by at least one element but less than the smallest stride minus one element: then
/// every pair of their elements is at least one element apart (the planes of an interleaved
/// vector or multi-channel buffer).
template <class A, class B>
bool interleaved_apart(const ArrayView<A>& a, const ArrayView<B>& b) {
  if (sizeof(A) != sizeof(B) || a.extents() != b.extents() || a.strides() != b.strides()) return false;
  const auto esz = static_cast<index_t>(sizeof(A));
  std::vector<std::pair<index_t, index_t>> dims;  // (|stride| in bytes, extent), extents > 1 only
  for (int d = 0; d < a.rank(); ++d)
    if (a.extent(d) > 1) dims.emplace_back((a.stride(d) < 0 ? -a.stride(d) : a.stride(d)) * esz, a.extent(d));
  std::sort(dims.begin(), dims.end());
  for (std::size_t k = 1; k < dims.size(); ++k)
    if (dims[k].first < dims[k - 1].first * dims[k - 1].second) return false;
  const auto pa = reinterpret_cast<std::uintptr_t>(a.data()), pb = reinterpret_cast<std::uintptr_t>(b.data());
  const auto gap = static_cast<index_t>(pa > pb ? pa - pb : pb - pa);
  return gap >= esz && (dims.empty() || gap + esz <= dims.front().first);
}

/// Throws InvalidArgument naming both views when they may share bytes: their byte spans (the
/// bounding boxes of their strided extents) intersect, unless they are interleaved_apart (the
/// interleaved planes of one buffer, e.g. the components of an itk::CovariantVector image).
/// Other interleavings that share no element (every other column each) are refused too: give
/// such outputs separate buffers.
template <class A, class B>
void check_disjoint(const ArrayView<A>& a, const std::string& a_name, const ArrayView<B>& b,
                    const std::string& b_name, const std::string& who) {
  const auto sa = byte_span(a), sb = byte_span(b);
  if (sa.first < sb.second && sb.first < sa.second && !interleaved_apart(a, b))
    throw InvalidArgument(who + ": " + a_name + " and " + b_name +
                          " overlap in memory (their strided extents share bytes); an output written while "
                          "it is read or written through another view would be garbage. Give each output "
                          "its own buffer, apart from the input");
}
}  // namespace detail

/// Owning C-contiguous N-d array whose element type is chosen at run time. Copies share the buffer
/// (like a numpy array reference); use clone() for a deep copy.
class GRADMAP_CORE_EXPORT Array {
 public:
  Array() = default;
  /// Zero-initialized array.
  Array(DType dtype, Shape extents);
  /// An array whose contents are unspecified (like np.empty): for outputs that are overwritten
  /// in full, where zeroing would be a wasted pass over memory.
  static Array uninitialized(DType dtype, Shape extents);

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return extents_; }
  int rank() const { return static_cast<int>(extents_.size()); }
  index_t extent(int d) const { return extents_[static_cast<std::size_t>(d)]; }
  /// Number of elements; 0 for a default-constructed (empty) Array.
  index_t size() const { return buffer_ ? shape_size(extents_) : 0; }
  std::size_t nbytes() const { return static_cast<std::size_t>(size()) * dtype_size(dtype_); }
  bool empty() const { return !buffer_; }
  void* data() { return buffer_.get(); }
  const void* data() const { return buffer_.get(); }

  /// Typed views; throw InvalidArgument when T is not the array's dtype.
  template <class T>
  ArrayView<T> view() {
    check_type(dtype_of_v<T>);
    return ArrayView<T>(static_cast<T*>(data()), extents_);
  }
  template <class T>
  ConstArrayView<T> view() const {
    check_type(dtype_of_v<T>);
    return ConstArrayView<T>(static_cast<const T*>(data()), extents_);
  }

  /// Deep copy.
  Array clone() const;
  /// Same data, new shape with the same number of elements.
  Array reshaped(Shape extents) const;

 private:
  void check_type(DType t) const;
  DType dtype_ = DType::float64;
  Shape extents_;
  std::shared_ptr<unsigned char[]> buffer_;
};

/// Copies a strided view into a new C-contiguous Array of the same dtype.
template <class T>
GRADMAP_CORE_EXPORT Array to_array(ConstArrayView<T> v);

/// Element-wise conversion to another dtype with C++ conversion rules for floating → floating and
/// integer → floating (numpy's `astype` for those pairs; float → integer truncates toward zero and
/// is only used by display code after clipping).
GRADMAP_CORE_EXPORT Array astype(const Array& a, DType to);

}  // namespace gradmap
