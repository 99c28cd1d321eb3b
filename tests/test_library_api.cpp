// SPDX-License-Identifier: MIT
// The library as vision code uses it (issue #13): views that cannot silently corrupt (overlap,
// null pointers), edges_into on views, cv::Mat and itk::Image with caller-owned outputs that a loop
// reuses without allocating, and the ergonomics (mutable views, braced output lists, ddepth, the
// cartToPolar angle preset, a thread count, ITK axis names in errors).
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "gradmap/array.hpp"
#include "gradmap/edges.hpp"
#include "gradmap/error.hpp"
#include "gradmap/gradient.hpp"

#ifdef GRADMAP_HAVE_OPENCV
#include <opencv2/core.hpp>

#include "gradmap/opencv.hpp"
#endif
#ifdef GRADMAP_HAVE_ITK
#include "gradmap/itk.hpp"
#endif

// Every operator new of the test executable is counted here (bytes and calls), so a test can show
// that a call allocates nothing of the size of a map. (cv::Mat uses cv::fastMalloc, not operator
// new: the Mat tests check the data pointers and the page faults too.)
namespace {
std::atomic<long long> g_new_bytes{0};
std::atomic<long long> g_new_calls{0};
}  // namespace

// The whole unaligned family is replaced: a sanitizer's runtime supplies the forms left out, and
// memory from its nothrow new freed by our delete is an alloc-dealloc mismatch.
void* operator new(std::size_t n) {
  g_new_bytes += static_cast<long long>(n);
  ++g_new_calls;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return operator new(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
// GCC 12 inlines these into delete-expressions and then sees free() paired with `new`: its
// -Wmismatched-new-delete does not know that operator new above is malloc.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace {

using namespace gradmap;

// Under ASan or TSan freed memory sits in a quarantine and every first touch also faults in shadow
// memory, so page faults say nothing about the code's own allocations there.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kFaultsAreMeaningful = false;
#else
constexpr bool kFaultsAreMeaningful = true;
#endif

long long minor_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

/// Allocation (operator new bytes) and minor page faults of one call.
struct Cost {
  long long bytes = 0, faults = 0;
};
template <class Fn>
Cost cost_of(Fn&& fn) {
  const long long b0 = g_new_bytes.load(), f0 = minor_faults();
  fn();
  return Cost{g_new_bytes.load() - b0, minor_faults() - f0};
}

Array random_array(DType t, const Shape& shape, unsigned seed) {
  Array a(DType::float64, shape);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-100.0, 100.0);
  auto* p = static_cast<double*>(a.data());
  for (index_t i = 0; i < a.size(); ++i) p[i] = std::round(u(rng) * 8) / 8;
  return astype(a, t);
}

void expect_same_bits(const void* a, const void* b, std::size_t bytes, const std::string& what) {
  EXPECT_EQ(std::memcmp(a, b, bytes), 0) << what;
}

template <class T>
void expect_view_equals(const ConstArrayView<T>& got, const Array& want, const std::string& what) {
  ASSERT_EQ(got.extents(), want.shape()) << what;
  const T* w = static_cast<const T*>(want.data());
  const Shape& e = got.extents();
  std::vector<index_t> idx(e.size(), 0);
  for (index_t flat = 0; flat < want.size(); ++flat) {
    index_t off = 0, rest = flat;
    for (int d = static_cast<int>(e.size()) - 1; d >= 0; --d) {
      off += (rest % e[static_cast<std::size_t>(d)]) * got.stride(d);
      rest /= e[static_cast<std::size_t>(d)];
    }
    if (std::memcmp(&got.data()[off], &w[flat], sizeof(T)) != 0) {
      ADD_FAILURE() << what << ": first difference at flat index " << flat;
      return;
    }
  }
}

std::string message_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no exception)";
}

// ---- views that cannot silently corrupt ----

// A large Array held by a static object is released at exit, possibly after the library's own
// statics: it must not touch a destroyed buffer cache (this crashed with "double free" at exit).
// The threadsafe style runs the statement in a fresh process, so the library's cache is first
// created by the allocation below, after `kept`, and is destroyed first if it is destructible.
TEST(LibraryApi, LargeArraysInStaticObjectsAreReleasedCleanlyAtExit) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        static std::vector<gradmap::Array> kept;
        kept.emplace_back(gradmap::DType::float32, gradmap::Shape{1024, 1024});  // 4 MiB: the cached kind
        kept.emplace_back(gradmap::DType::float32, gradmap::Shape{1024, 1024});
        kept.pop_back();  // one buffer back in the cache, one still held at exit
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(LibraryApi, GradientIntoRefusesAnOutputOverlappingTheInput) {
  std::vector<double> buf(60);
  for (std::size_t i = 0; i < buf.size(); ++i) buf[i] = double(i * i % 17);
  const ConstArrayView<double> f(buf.data(), {5, 6});
  ArrayView<double> inside(buf.data() + 15, {5, 6});  // starts inside f (f is buf[0, 30))
  std::vector<double> other(30);
  ArrayView<double> gx(other.data(), {5, 6});
  const std::string m = message_of([&] { gradient_into(f, {inside, gx}); });
  EXPECT_NE(m.find("output 0 and the input overlap"), std::string::npos) << m;

  // In-place (output == input) is refused as well.
  std::vector<double> copy(buf.begin(), buf.begin() + 30);
  ArrayView<double> same(copy.data(), {5, 6});
  std::vector<double> o2(30);
  EXPECT_THROW(gradient_into(ConstArrayView<double>(same), {ArrayView<double>(o2.data(), {5, 6}), same}),
               InvalidArgument);
}

TEST(LibraryApi, GradientIntoRefusesTwoOverlappingOutputs) {
  const Array f = random_array(DType::float32, {4, 7}, 3);
  std::vector<float> out(4 * 7 + 3);
  ArrayView<float> a(out.data(), {4, 7}), b(out.data() + 3, {4, 7});
  const std::string m = message_of([&] { gradient_into(f.view<float>(), {a, b}); });
  EXPECT_NE(m.find("output 0 and output 1 overlap"), std::string::npos) << m;
  // Disjoint halves of one buffer are fine.
  std::vector<float> two(2 * 4 * 7);
  EXPECT_NO_THROW(gradient_into(
      f.view<float>(), {ArrayView<float>(two.data(), {4, 7}), ArrayView<float>(two.data() + 28, {4, 7})}));
}

TEST(LibraryApi, InterleavedPlanesOfOneBufferAreAcceptedOtherInterleavingsNot) {
  const Array f = random_array(DType::float64, {5, 6}, 8);
  // (gy, gx) interleaved per sample, as in a vector image: they share no byte.
  std::vector<double> vec(2 * 30);
  ArrayView<double> gy(vec.data(), {5, 6}, {12, 2}), gx(vec.data() + 1, {5, 6}, {12, 2});
  gradient_into(f.view<double>(), {gy, gx});
  const std::vector<Array> want = gradmap::gradient(f);
  expect_view_equals<double>(gy, want[0], "interleaved gy");
  expect_view_equals<double>(gx, want[1], "interleaved gx");
  // Planes two elements apart with a stride of 2 would collide: refused.
  std::vector<double> bad(2 * 30 + 2);
  EXPECT_THROW(gradient_into(f.view<double>(), {ArrayView<double>(bad.data(), {5, 6}, {12, 2}),
                                                ArrayView<double>(bad.data() + 2, {5, 6}, {12, 2})}),
               InvalidArgument);
}

TEST(LibraryApi, NegativeStridesCountTowardTheOverlap) {
  std::vector<double> buf(40, 1.0);
  const ConstArrayView<double> f(buf.data(), {4, 5});
  // A view starting past f (buf[0, 20)) whose rows run backwards into it: it spans buf[6, 26).
  ArrayView<double> back(buf.data() + 25, {4, 5}, {-5, -1});
  std::vector<double> other(20);
  EXPECT_THROW(gradient_into(f, {back, ArrayView<double>(other.data(), {4, 5})}), InvalidArgument);
}

TEST(LibraryApi, NullDataWithElementsIsRefusedNotDereferenced) {
  const ConstArrayView<float> null_in(nullptr, {3, 4});
  std::vector<float> a(12), b(12);
  const std::string m = message_of([&] { gradmap::gradient(null_in); });
  EXPECT_NE(m.find("the input has a null data pointer"), std::string::npos) << m;
  EXPECT_THROW(
      gradient_into(null_in, {ArrayView<float>(a.data(), {3, 4}), ArrayView<float>(b.data(), {3, 4})}),
      InvalidArgument);
  EXPECT_THROW(gradmap::edges(null_in), InvalidArgument);

  std::vector<float> in(12, 2.0f);
  const ConstArrayView<float> f(in.data(), {3, 4});
  const std::string o = message_of([&] {
    gradient_into(f, {ArrayView<float>(nullptr, {3, 4}), ArrayView<float>(b.data(), {3, 4})});
  });
  EXPECT_NE(o.find("output 0 has a null data pointer"), std::string::npos) << o;
  EdgeViews<float> v;
  v.magnitude = ArrayView<float>(nullptr, {3, 4});
  EXPECT_THROW(edges_into(f, v), InvalidArgument);
}

// ---- edges_into on views ----

TEST(LibraryApi, EdgesIntoEqualsEdgesBitForBitForEverySubset) {
  for (DType t : {DType::uint8, DType::int16, DType::float32, DType::float64}) {
    const Array f2 = random_array(t, {37, 53}, 11);
    const Array f3 = random_array(t, {9, 13, 11}, 12);
    for (const Array* f : {&f2, &f3}) {
      EdgeOptions all;
      all.normals = true;
      all.tile_rows = 4;  // several tiles
      const EdgeMaps want = edges(*f, all);
      visit_dtype(want.magnitude.dtype(), [&](auto out_tag) {
        using Out = decltype(out_tag);
        if constexpr (std::is_same_v<Out, float> || std::is_same_v<Out, double>) {
          const int n = f->rank();
          // Subsets: magnitude only, direction only, elevation only (3-D), normals only, all.
          for (int subset = 0; subset < 5; ++subset) {
            if (subset == 2 && n != 3) continue;
            std::vector<Array> store;
            auto fresh = [&] {
              store.push_back(Array(want.magnitude.dtype(), f->shape()));
              return store.back().view<Out>();
            };
            EdgeViews<Out> v;
            if (subset == 0 || subset == 4) v.magnitude = fresh();
            if (subset == 1 || subset == 4) v.direction = fresh();
            if ((subset == 2 || subset == 4) && n == 3) v.elevation = fresh();
            if (subset == 3 || subset == 4)
              for (int k = 0; k < n; ++k) v.normals.push_back(fresh());
            visit_dtype(f->dtype(), [&](auto in_tag) {
              using In = decltype(in_tag);
              edges_into(f->view<In>(), v, all);
            });
            const std::string what = std::string(dtype_name(t)) + " rank " + std::to_string(n) + " subset " +
                                     std::to_string(subset);
            if (v.magnitude.data()) expect_view_equals<Out>(v.magnitude, want.magnitude, what + " magnitude");
            if (v.direction.data()) expect_view_equals<Out>(v.direction, want.direction, what + " direction");
            if (v.elevation.data()) expect_view_equals<Out>(v.elevation, want.elevation, what + " elevation");
            for (std::size_t k = 0; k < v.normals.size(); ++k)
              expect_view_equals<Out>(v.normals[k], want.normals[k], what + " normal");
          }
        }
      });
    }
  }
}

TEST(LibraryApi, EdgesIntoWritesThroughStridedAndReversedViews) {
  const Array f = random_array(DType::float32, {21, 17}, 5);
  const EdgeMaps want = edges(f);
  // Magnitude into every other column of a wider buffer (inner stride 2), direction into a view
  // whose rows run backwards; the padding around them must stay untouched.
  std::vector<float> wide(21 * 40, -7.0f), rev(21 * 17, -7.0f);
  EdgeViews<float> v;
  v.magnitude = ArrayView<float>(wide.data() + 1, {21, 17}, {40, 2});
  v.direction = ArrayView<float>(rev.data() + 20 * 17, {21, 17}, {-17, 1});
  edges_into(f.view<float>(), v);
  expect_view_equals<float>(v.magnitude, want.magnitude, "inner stride 2");
  expect_view_equals<float>(v.direction, want.direction, "reversed rows");
  for (index_t r = 0; r < 21; ++r) {
    EXPECT_EQ(wide[static_cast<std::size_t>(r * 40)], -7.0f);
    EXPECT_EQ(wide[static_cast<std::size_t>(r * 40 + 36)], -7.0f);
  }
}

TEST(LibraryApi, EdgesIntoRefusesOverlapsAndBadRequests) {
  const Array f = random_array(DType::float64, {8, 9}, 2);
  std::vector<double> buf(2 * 72);
  EdgeViews<double> v;
  v.magnitude = ArrayView<double>(buf.data(), {8, 9});
  v.direction = ArrayView<double>(buf.data() + 10, {8, 9});
  std::string m = message_of([&] { edges_into(f.view<double>(), v); });
  EXPECT_NE(m.find("the magnitude view and the direction view overlap"), std::string::npos) << m;

  EdgeViews<double> into_input;
  into_input.magnitude = ArrayView<double>(const_cast<double*>(f.view<double>().data()), {8, 9});
  m = message_of([&] { edges_into(f.view<double>(), into_input); });
  EXPECT_NE(m.find("the magnitude view and the input overlap"), std::string::npos) << m;

  EdgeViews<double> elev;
  elev.elevation = ArrayView<double>(buf.data(), {8, 9});
  m = message_of([&] { edges_into(f.view<double>(), elev); });
  EXPECT_NE(m.find("an elevation needs 3 selected axes"), std::string::npos) << m;

  EdgeViews<double> mag;
  mag.magnitude = ArrayView<double>(buf.data(), {8, 9});
  EdgeOptions comps;
  comps.components = true;
  EXPECT_THROW(edges_into(f.view<double>(), mag, comps), InvalidArgument);
  EdgeOptions f32;
  f32.gradient.dtype = DType::float32;
  EXPECT_THROW(edges_into(f.view<double>(), mag, f32), InvalidArgument);
  EdgeViews<double> wrong;
  wrong.magnitude = ArrayView<double>(buf.data(), {9, 8});
  EXPECT_THROW(edges_into(f.view<double>(), wrong), ShapeError);
}

TEST(LibraryApi, EdgesIntoAllocatesNoMapOnTheSecondCall) {
  const Array f = random_array(DType::float32, {1024, 1024}, 9);
  Array mag = Array::uninitialized(DType::float32, f.shape()),
        dir = Array::uninitialized(DType::float32, f.shape());
  EdgeViews<float> v{mag.view<float>(), dir.view<float>(), {}, {}};
  edges_into(f.view<float>(), v);  // first call: pages of the outputs and the scratch
  const Cost c = cost_of([&] { edges_into(f.view<float>(), v); });
  const long long map_bytes = static_cast<long long>(mag.nbytes());
  // What remains is the per-thread tile of components (at most 512 KiB each) and a few small
  // vectors; one map is 4 MiB.
  EXPECT_LT(c.bytes, map_bytes / 4) << c.bytes << " bytes allocated";
  if (kFaultsAreMeaningful) {
    EXPECT_LT(c.faults, map_bytes / 4096 / 8) << c.faults << " page faults";
  }
}

// ---- ergonomics ----

TEST(LibraryApi, MutableViewsAndBracedOutputListsCompile) {
  std::vector<float> buf(6 * 5);
  for (std::size_t i = 0; i < buf.size(); ++i) buf[i] = float(i % 7) * 0.5f;
  ArrayView<float> f(buf.data(), {6, 5});  // mutable
  const std::vector<Array> g = gradmap::gradient(f);
  static_assert(std::is_same_v<decltype(gradmap::gradient(f)), std::vector<Array>>);
  std::vector<float> a(30), b(30);
  ArrayView<float> gy(a.data(), {6, 5}), gx(b.data(), {6, 5});
  gradient_into(f, {gy, gx});                         // Out deduced from the braced list
  gradient_into(ConstArrayView<float>(f), {gy, gx});  // const input too
  expect_view_equals<float>(gy, g[0], "gy");
  expect_view_equals<float>(gx, g[1], "gx");
  static_assert(std::is_same_v<decltype(gradmap::edges(f)), EdgeMaps>);
  EdgeViews<float> v;
  v.magnitude = gy;
  edges_into(f, v);
  expect_view_equals<float>(gy, gradmap::edges(f).magnitude, "magnitude");
}

TEST(LibraryApi, ThreadCountGivesTheSameBitsAndRefusesNegatives) {
  const Array f = random_array(DType::float32, {300, 200}, 4);
  EdgeOptions one, two, dflt;
  one.gradient.threads = 1;
  two.gradient.threads = 2;
  one.tile_rows = two.tile_rows = dflt.tile_rows = 7;
  const EdgeMaps a = edges(f, one), b = edges(f, two), c = edges(f, dflt);
  expect_same_bits(a.direction.data(), c.direction.data(), a.direction.nbytes(), "1 thread");
  expect_same_bits(b.magnitude.data(), c.magnitude.data(), b.magnitude.nbytes(), "2 threads");
  GradientOptions neg;
  neg.threads = -1;
  const std::string m = message_of([&] { gradmap::gradient(f, neg); });
  EXPECT_NE(m.find("threads is -1"), std::string::npos) << m;
}

#ifdef GRADMAP_HAVE_OPENCV

cv::Mat random_mat(int rows, int cols, int type, unsigned seed) {
  cv::Mat m(rows, cols, type);
  cv::RNG rng(seed);
  if (CV_MAT_DEPTH(type) == CV_8U)
    rng.fill(m, cv::RNG::UNIFORM, 0, 256);
  else
    rng.fill(m, cv::RNG::UNIFORM, -100.0, 100.0);
  return m;
}

TEST(LibraryApiOpenCv, EdgesIntoCreatesOnceAndReusesInALoop) {
  const cv::Mat a = random_mat(512, 768, CV_32FC1, 1), b = random_mat(512, 768, CV_32FC1, 2);
  MatEdgeMaps maps;
  edges_into(a, maps);  // creates magnitude and direction
  ASSERT_EQ(maps.magnitude.type(), CV_32FC1);
  ASSERT_EQ(maps.direction.size(), a.size());
  const uchar* mag_data = maps.magnitude.data;
  const uchar* dir_data = maps.direction.data;
  const Cost c = cost_of([&] { edges_into(b, maps); });
  EXPECT_EQ(maps.magnitude.data, mag_data);  // not re-created
  EXPECT_EQ(maps.direction.data, dir_data);
  const long long map_bytes = 512LL * 768 * 4;
  EXPECT_LT(c.bytes, map_bytes / 4) << c.bytes << " bytes allocated";
  if (kFaultsAreMeaningful) {
    EXPECT_LT(c.faults, map_bytes / 4096 / 8) << c.faults << " page faults";
  }
  // And the values are edges()'s.
  const EdgeMaps want = edges(to_array(b));
  expect_view_equals<float>(view_of<float>(maps.magnitude), want.magnitude, "magnitude");
  expect_view_equals<float>(view_of<float>(maps.direction), want.direction, "direction");
}

TEST(LibraryApiOpenCv, EdgesIntoRecreatesMisSizedMatsAndWritesIntoRois) {
  const cv::Mat img = random_mat(40, 30, CV_8UC1, 3);
  MatEdgeMaps maps;
  maps.magnitude = cv::Mat(5, 5, CV_32FC1);  // wrong size and depth: re-created as CV_64F
  cv::Mat canvas(40, 70, CV_64FC1, cv::Scalar(-1));
  maps.direction = canvas(cv::Rect(35, 0, 30, 40));  // right size and type: written in place
  edges_into(img, maps);
  EXPECT_EQ(maps.magnitude.type(), CV_64FC1);
  EXPECT_EQ(maps.magnitude.size(), img.size());
  EXPECT_EQ(maps.direction.data, canvas.ptr(0) + 35 * sizeof(double));
  const EdgeMaps want = edges(to_array(img));
  expect_view_equals<double>(view_of<double>(maps.direction), want.direction, "ROI direction");
  EXPECT_EQ(canvas.at<double>(3, 0), -1.0);
  EXPECT_EQ(canvas.at<double>(3, 69), -1.0);
}

TEST(LibraryApiOpenCv, EdgesIntoRefusesAnOutputOverlappingTheInput) {
  cv::Mat img = random_mat(20, 20, CV_32FC1, 4);
  MatEdgeMaps maps;
  maps.magnitude = img;  // same Mat: create() keeps it, and writing would read garbage
  const std::string m = message_of([&] { edges_into(img, maps); });
  EXPECT_NE(m.find("the magnitude view and the input overlap"), std::string::npos) << m;
  std::vector<cv::Mat> g{img, cv::Mat(20, 20, CV_32FC1)};
  EXPECT_THROW(gradmap::gradient_into(img, g), InvalidArgument);
}

TEST(LibraryApiOpenCv, AllocatingEdgesWrapsTheMapsWithoutCopies) {
  const cv::Mat img = random_mat(64, 48, CV_8UC3, 5);
  EdgeOptions o;
  o.components = true;
  const MatEdgeMaps m = gradmap::edges(img, o);
  ASSERT_EQ(m.components.size(), 2u);
  EXPECT_EQ(m.magnitude.type(), CV_64FC3);
  const EdgeMaps want = edges(to_array(img), [] {
    EdgeOptions w;
    w.components = true;
    w.gradient.axes = std::vector<int>{0, 1};
    return w;
  }());
  expect_view_equals<double>(view_of<double>(m.magnitude), want.magnitude, "magnitude");
  expect_view_equals<double>(view_of<double>(m.components[1]), want.components[1], "gx");
}

TEST(LibraryApiOpenCv, DdepthAsksForFloat32FromEightBitInput) {
  const cv::Mat img = random_mat(16, 12, CV_8UC1, 6);
  EXPECT_EQ(gradmap::gradient(img, CV_32F)[0].type(), CV_32FC1);
  EXPECT_EQ(gradmap::edges(img, CV_32F).magnitude.type(), CV_32FC1);
  MatEdgeMaps maps;
  edges_into(img, maps, CV_32F);
  EXPECT_EQ(maps.direction.type(), CV_32FC1);
  // `{}` still means default options (numpy's float64), not a depth.
  EXPECT_EQ(gradmap::gradient(img, {})[0].type(), CV_64FC1);
  EXPECT_THROW(gradmap::edges(img, CV_8U), InvalidArgument);
  EdgeOptions f64;
  f64.gradient.dtype = DType::float64;
  EXPECT_THROW(gradmap::edges(img, CV_32F, f64), InvalidArgument);
}

TEST(LibraryApiOpenCv, CartToPolarPresetMatchesOpenCvsRangeAndUnits) {
  const cv::Mat img = random_mat(64, 64, CV_32FC1, 7);
  std::vector<cv::Mat> g = gradmap::gradient(img);  // {gy, gx}
  for (bool degrees : {false, true}) {
    cv::Mat mag, ang;
    cv::cartToPolar(g[1], g[0], mag, ang, degrees);
    EdgeOptions o;
    o.angle = AngleOptions::cart_to_polar(degrees);
    const MatEdgeMaps ours = gradmap::edges(img, o);
    const double full = degrees ? 360.0 : 2 * M_PI;
    double lo = 0, hi = 0;
    cv::minMaxLoc(ours.direction, &lo, &hi);
    EXPECT_GE(lo, 0.0);
    EXPECT_LT(hi, full);
    // OpenCV's own angle is a polynomial approximation (measured within 0.0096° on 4.6): compare
    // on the circle with a 0.02° bound.
    const double tol = degrees ? 0.02 : 0.02 * M_PI / 180;
    int bad = 0;
    for (int r = 0; r < img.rows; ++r)
      for (int c = 0; c < img.cols; ++c) {
        double d = std::fabs(ours.direction.at<float>(r, c) - ang.at<float>(r, c));
        d = std::min(d, full - d);
        if (d > tol) ++bad;
      }
    EXPECT_EQ(bad, 0) << (degrees ? "degrees" : "radians");
  }
}

#endif  // GRADMAP_HAVE_OPENCV

#ifdef GRADMAP_HAVE_ITK

using Volume = itk::Image<float, 3>;

Volume::Pointer make_volume(unsigned nx, unsigned ny, unsigned nz) {
  auto v = Volume::New();
  Volume::SizeType size = {{nx, ny, nz}};
  v->SetRegions(Volume::RegionType(size));
  const double spacing[3] = {0.5, 1.25, 2.0};
  v->SetSpacing(spacing);
  v->Allocate();
  float* p = v->GetBufferPointer();
  for (std::size_t i = 0; i < std::size_t(nx) * ny * nz; ++i) p[i] = float((i * 37) % 101) * 0.25f;
  return v;
}

TEST(LibraryApiItk, EdgesIntoAllocatesOnceAndEqualsEdges) {
  const auto a = make_volume(40, 30, 20), b = make_volume(40, 30, 20);
  ItkEdgeMaps<float, 3> maps;
  edges_into(*a, maps);
  ASSERT_TRUE(maps.magnitude && maps.direction && maps.elevation);
  const float* mag = maps.magnitude->GetBufferPointer();
  const Cost c = cost_of([&] { edges_into(*b, maps); });
  EXPECT_EQ(maps.magnitude->GetBufferPointer(), mag);
  EXPECT_LT(c.bytes, 40LL * 30 * 20 * 4 / 4) << c.bytes << " bytes allocated";
  const auto want = gradmap::edges(*b);
  expect_same_bits(maps.elevation->GetBufferPointer(), want.elevation->GetBufferPointer(), 40 * 30 * 20 * 4,
                   "elevation");
  EXPECT_EQ(maps.magnitude->GetSpacing(), b->GetSpacing());

  // A map of another region is allocated again, with the input's geometry.
  const auto small = make_volume(10, 9, 8);
  edges_into(*small, maps);
  EXPECT_EQ(maps.magnitude->GetBufferedRegion(), small->GetBufferedRegion());
}

TEST(LibraryApiItk, ErrorsNameAxesAsItkUsersReadThem) {
  const auto flat = make_volume(12, 10, 1);  // one slice: nothing to differentiate along z
  std::string m = message_of([&] { gradmap::gradient(*flat); });
  EXPECT_NE(m.find("1 voxel(s) along z"), std::string::npos) << m;
  EXPECT_EQ(m.find("axis 0"), std::string::npos) << m;
  GradientOptions bad_axis;
  bad_axis.axes = std::vector<int>{3};
  EdgeOptions bad_axis_edges;
  bad_axis_edges.gradient = bad_axis;
  m = message_of([&] { gradmap::edges(*make_volume(4, 4, 4), bad_axis_edges); });
  EXPECT_NE(m.find("0 = z, 1 = y, 2 = x"), std::string::npos) << m;
  // (ITK itself refuses a zero spacing and aborts on a NaN one: no spacing check is needed here.)
}

#endif  // GRADMAP_HAVE_ITK

}  // namespace
