// SPDX-License-Identifier: MIT
#include "gradmap/array.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include "core/numeric.hpp"

namespace gradmap {

std::size_t dtype_size(DType t) {
  switch (t) {
    case DType::int8:
    case DType::uint8:
      return 1;
    case DType::int16:
    case DType::uint16:
    case DType::float16:
      return 2;
    case DType::int32:
    case DType::uint32:
    case DType::float32:
      return 4;
    case DType::int64:
    case DType::uint64:
    case DType::float64:
      return 8;
  }
  return 0;
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::int8:
      return "int8";
    case DType::int16:
      return "int16";
    case DType::int32:
      return "int32";
    case DType::int64:
      return "int64";
    case DType::uint8:
      return "uint8";
    case DType::uint16:
      return "uint16";
    case DType::uint32:
      return "uint32";
    case DType::uint64:
      return "uint64";
    case DType::float16:
      return "float16";
    case DType::float32:
      return "float32";
    case DType::float64:
      return "float64";
  }
  return "?";
}

DType dtype_from_name(const std::string& name) {
  for (DType t : {DType::int8, DType::int16, DType::int32, DType::int64, DType::uint8, DType::uint16,
                  DType::uint32, DType::uint64, DType::float16, DType::float32, DType::float64})
    if (name == dtype_name(t)) return t;
  throw InvalidArgument("unknown dtype '" + name +
                        "' (expected int8..int64, uint8..uint64, float16, float32 or float64)");
}

bool is_integer(DType t) { return !is_floating(t); }
bool is_floating(DType t) { return t == DType::float16 || t == DType::float32 || t == DType::float64; }

Shape c_strides(const Shape& extents) {
  Shape s(extents.size());
  index_t acc = 1;
  for (std::size_t d = extents.size(); d-- > 0;) {
    s[d] = acc;
    acc *= extents[d];
  }
  return s;
}

index_t shape_size(const Shape& extents) {
  // A zero extent anywhere makes the product 0, even where a partial product would overflow.
  for (index_t e : extents)
    if (e == 0) return 0;
  index_t n = 1;
  for (index_t e : extents)
    if (e < 0 || __builtin_mul_overflow(n, e, &n))
      throw ShapeError("shape " + shape_string(extents) + " has a negative extent or too many elements");
  return n;
}

std::string shape_string(const Shape& extents) {
  std::string s = "(";
  for (std::size_t i = 0; i < extents.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(extents[i]);
  }
  if (extents.size() == 1) s += ",";
  return s + ")";
}

namespace {

/// Large buffers are 2 MiB-aligned and advised to use transparent huge pages (as numpy does), and
/// a few freed ones are kept for reuse. Measured on a 4096² float32 edge map: a fresh 64 MiB output
/// costs the kernel zeroing its pages on first touch, more than half the run time; a program that
/// computes maps image after image (a batch, a video, a benchmark loop) then pays it once. The
/// cache holds at most kCacheBytes and only exact sizes are reused.
constexpr std::size_t kHuge = std::size_t{1} << 21;
constexpr std::size_t kCacheBytes = std::size_t{1} << 30;

class BufferCache {
 public:
  void* take(std::size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = free_.begin(); it != free_.end(); ++it)
      if (it->first == bytes) {
        void* p = it->second;
        cached_ -= bytes;
        free_.erase(it);
        return p;
      }
    return nullptr;
  }
  void give(void* p, std::size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (cached_ + bytes <= kCacheBytes) {
        free_.emplace_back(bytes, p);
        cached_ += bytes;
        return;
      }
    }
    std::free(p);
  }

 private:
  std::mutex mutex_;
  std::vector<std::pair<std::size_t, void*>> free_;
  std::size_t cached_ = 0;
};

// Never destroyed: an Array in a static object (a cache of inputs, a global frame) may be released
// at exit after a function-local static cache would be gone. The buffers it holds then go back to
// the system with the process.
BufferCache& buffer_cache() {
  static BufferCache* const cache = new BufferCache;
  return *cache;
}

std::shared_ptr<unsigned char[]> allocate(std::size_t bytes, bool zero) {
  if (bytes < kHuge / 2) {
    auto* p = zero ? new unsigned char[std::max<std::size_t>(bytes, 1)]()
                   : new unsigned char[std::max<std::size_t>(bytes, 1)];
    return std::shared_ptr<unsigned char[]>(p);
  }
  const std::size_t rounded = (bytes + kHuge - 1) / kHuge * kHuge;
  void* p = buffer_cache().take(rounded);
  if (!p) {
    p = std::aligned_alloc(kHuge, rounded);
    if (!p) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    madvise(p, rounded, MADV_HUGEPAGE);
#endif
  }
  if (zero) std::memset(p, 0, bytes);
  return std::shared_ptr<unsigned char[]>(static_cast<unsigned char*>(p),
                                          [rounded](unsigned char* q) { buffer_cache().give(q, rounded); });
}

}  // namespace

Array::Array(DType dtype, Shape extents) : dtype_(dtype), extents_(std::move(extents)) {
  for (index_t e : extents_)
    if (e < 0) throw ShapeError("Array: negative extent in shape " + shape_string(extents_));
  buffer_ = allocate(static_cast<std::size_t>(shape_size(extents_)) * dtype_size(dtype_), /*zero=*/true);
}

Array Array::uninitialized(DType dtype, Shape extents) {
  for (index_t e : extents)
    if (e < 0) throw ShapeError("Array: negative extent in shape " + shape_string(extents));
  Array a;
  a.dtype_ = dtype;
  a.extents_ = std::move(extents);
  a.buffer_ = allocate(static_cast<std::size_t>(shape_size(a.extents_)) * dtype_size(dtype), /*zero=*/false);
  return a;
}

void Array::check_type(DType t) const {
  if (t != dtype_)
    throw InvalidArgument(std::string("Array holds ") + dtype_name(dtype_) + ", not " + dtype_name(t));
}

Array Array::clone() const {
  Array a = uninitialized(dtype_, extents_);
  if (nbytes()) std::memcpy(a.data(), data(), nbytes());
  return a;
}

Array Array::reshaped(Shape extents) const {
  if (shape_size(extents) != size())
    throw ShapeError("cannot reshape array of shape " + shape_string(extents_) + " into " +
                     shape_string(extents));
  Array a = *this;
  a.extents_ = std::move(extents);
  return a;
}

template <class T>
Array to_array(ConstArrayView<T> v) {
  using U = std::remove_const_t<T>;
  Array a = Array::uninitialized(dtype_of_v<U>, v.extents());  // every element is written below
  U* out = static_cast<U*>(a.data());
  const int r = v.rank();
  std::vector<index_t> idx(static_cast<std::size_t>(r), 0);
  const index_t n = v.size();
  for (index_t k = 0; k < n; ++k) {
    index_t off = 0;
    for (int d = 0; d < r; ++d) off += idx[static_cast<std::size_t>(d)] * v.stride(d);
    out[k] = v.data()[off];
    for (int d = r - 1; d >= 0; --d) {
      if (++idx[static_cast<std::size_t>(d)] < v.extent(d)) break;
      idx[static_cast<std::size_t>(d)] = 0;
    }
  }
  return a;
}

Array astype(const Array& a, DType to) {
  if (a.dtype() == to) return a.clone();
  Array r(to, a.shape());
  visit_dtype(a.dtype(), [&](auto from_tag) {
    using From = decltype(from_tag);
    visit_dtype(to, [&](auto to_tag) {
      using To = decltype(to_tag);
      const From* src = static_cast<const From*>(a.data());
      To* dst = static_cast<To*>(r.data());
      const index_t n = a.size();
      for (index_t i = 0; i < n; ++i) {
        if constexpr (std::is_same_v<From, float16_t> || std::is_same_v<To, float16_t>)
          dst[i] = detail::cvt<To>(detail::cvt<double>(src[i]));
        else
          dst[i] = static_cast<To>(src[i]);
      }
    });
  });
  return r;
}

#define GRADMAP_INSTANTIATE(T) template Array to_array<T>(ConstArrayView<T>);
GRADMAP_FOR_EACH_DTYPE(GRADMAP_INSTANTIATE)
#undef GRADMAP_INSTANTIATE

}  // namespace gradmap
