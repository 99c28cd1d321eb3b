// SPDX-License-Identifier: MIT
// Differential test: gradmap::gradient against numpy.gradient (numpy 1.24, the oracle interpreter
// GRADMAP_PYTHON), compared bit for bit on seeded random cases written by
// tests/numpy_oracle/gen_gradient_cases.py (see its docstring for the manifest and the case mix).
//
// Expectations per case:
//   ok           same output dtype and the same bits as numpy (NaN payloads may differ, NaN-ness
//                and the sign of zero may not);
//   numpy_error  numpy raises, so gradmap must throw (ShapeError or InvalidArgument as named);
//   departure    gradmap's documented departures (zero / non-finite steps, edge_order not 1 or 2)
//                throw InvalidArgument where numpy returns Inf/NaN.
#include <gtest/gtest.h>
#include <tbb/task_arena.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "gradmap/array.hpp"
#include "gradmap/error.hpp"
#include "gradmap/gradient.hpp"
#include "gradmap/io.hpp"
#include "test_util.hpp"

namespace {

using gradmap::Array;
using gradmap::AxisSpacing;
using gradmap::DType;
using gradmap::GradientOptions;
using gradmap::index_t;
using gradmap::Shape;
using gradmap_test::shell_quote;
using gradmap_test::TempDir;
using json = nlohmann::json;

// ------------------------------------------------------------------------------------------------
// The oracle. ctest runs every TEST in its own process, so the generated cases are cached next to
// the test binary (build tree), keyed by a hash of the generator and the interpreter: generated
// into a private staging directory, then renamed into place atomically, so concurrent test
// processes either reuse a complete set or publish their own.

namespace fs = std::filesystem;

struct Oracle {
  std::string dir;
  json manifest;
  std::string error;  // non-empty when the generator failed
  std::string file(const std::string& name) const { return dir + "/" + name; }
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

fs::path oracle_cache_root() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::temp_directory_path() / ("gradmap-numpy-oracle-" + std::to_string(getuid()))
            : exe.parent_path() / "numpy_oracle_cases";
}

const Oracle& oracle() {
  static const std::unique_ptr<Oracle> instance = [] {
    auto o = std::make_unique<Oracle>();
    const std::string gen = std::string(GRADMAP_TESTS_DIR) + "/numpy_oracle/gen_gradient_cases.py";
    const std::string source = read_text(gen);
    if (source.empty()) {
      o->error = "cannot read " + gen;
      return o;
    }
    char key[32];
    std::snprintf(key, sizeof key, "%016llx",
                  static_cast<unsigned long long>(fnv1a(source + "\n" + GRADMAP_PYTHON)));
    const fs::path root = oracle_cache_root();
    const fs::path final_dir = root / (std::string("cases-") + key);
    std::error_code ec;
    if (!fs::exists(final_dir / "manifest.json", ec)) {
      fs::create_directories(root, ec);
      const fs::path staging = root / ("staging-" + std::to_string(getpid()));
      fs::remove_all(staging, ec);
      fs::create_directories(staging, ec);
      const auto r = gradmap_test::run_command(std::string(GRADMAP_PYTHON) + " " + shell_quote(gen) + " " +
                                               shell_quote(staging.string()));
      if (r.exit_code != 0) {
        fs::remove_all(staging, ec);
        o->error = "generator exited with " + std::to_string(r.exit_code) + ":\n" + r.out + r.err;
        return o;
      }
      fs::rename(staging, final_dir, ec);
      if (ec) fs::remove_all(staging, ec);  // another process published the same cases first
      // Cases of older generator versions are stale.
      for (const auto& entry : fs::directory_iterator(root, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("cases-", 0) == 0 && entry.path() != final_dir) fs::remove_all(entry.path(), ec);
      }
    }
    o->dir = final_dir.string();
    try {
      std::ifstream in(o->file("manifest.json"));
      o->manifest = json::parse(in);
    } catch (const std::exception& e) {
      o->error = "cannot parse " + o->file("manifest.json") + ": " + e.what();
    }
    return o;
  }();
  return *instance;
}

// ------------------------------------------------------------------------------------------------
// Bits, ULPs and printing of float16/32/64 elements.

double half_to_double(std::uint16_t h) {
  const int sign = (h >> 15) & 1;
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  double v;
  if (exponent == 0)
    v = std::ldexp(mantissa, -24);
  else if (exponent == 31)
    v = mantissa ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  else
    v = std::ldexp(mantissa + 1024, exponent - 25);
  return sign ? -v : v;
}

/// One element of a float array, by its bits.
struct Element {
  std::uint64_t bits = 0;
  int width = 64;  // bits per element
  bool nan = false;
  double value = 0.0;

  /// Position on the monotone integer line of the type (adjacent floats differ by 1).
  std::int64_t ordered() const {
    const std::uint64_t sign = std::uint64_t{1} << (width - 1);
    const auto magnitude = static_cast<std::int64_t>(bits & (sign - 1));
    return (bits & sign) ? -magnitude : magnitude;
  }
};

Element element(const Array& a, index_t i) {
  Element e;
  const auto* p = static_cast<const unsigned char*>(a.data());
  switch (a.dtype()) {
    case DType::float16: {
      std::uint16_t b;
      std::memcpy(&b, p + 2 * i, 2);
      e.bits = b;
      e.width = 16;
      e.nan = (b & 0x7c00) == 0x7c00 && (b & 0x3ff) != 0;
      e.value = half_to_double(b);
      break;
    }
    case DType::float32: {
      std::uint32_t b;
      float f;
      std::memcpy(&b, p + 4 * i, 4);
      std::memcpy(&f, p + 4 * i, 4);
      e.bits = b;
      e.width = 32;
      e.nan = std::isnan(f);
      e.value = f;
      break;
    }
    case DType::float64: {
      double d;
      std::memcpy(&e.bits, p + 8 * i, 8);
      std::memcpy(&d, p + 8 * i, 8);
      e.nan = std::isnan(d);
      e.value = d;
      break;
    }
    default:
      throw std::runtime_error(std::string("not a float array: ") + gradmap::dtype_name(a.dtype()));
  }
  return e;
}

bool same(const Element& a, const Element& b) { return (a.nan && b.nan) || a.bits == b.bits; }

constexpr std::uint64_t kNanMismatch = std::numeric_limits<std::uint64_t>::max();

/// ULP distance; kNanMismatch when exactly one is NaN.
std::uint64_t ulps(const Element& a, const Element& b) {
  if (a.nan || b.nan) return a.nan && b.nan ? 0 : kNanMismatch;
  const __int128 d = static_cast<__int128>(a.ordered()) - static_cast<__int128>(b.ordered());
  return static_cast<std::uint64_t>(d < 0 ? -d : d);
}

std::string describe(const Element& e) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.17g (0x%0*" PRIx64 ")", e.value, e.width / 4, e.bits);
  return buf;
}

std::string ulp_text(std::uint64_t u) { return u == kNanMismatch ? "NaN vs number" : std::to_string(u); }

std::string index_text(const Shape& shape, index_t flat) {
  std::vector<index_t> idx(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    idx[d] = shape[d] ? flat % shape[d] : 0;
    flat = shape[d] ? flat / shape[d] : 0;
  }
  std::string s = "[";
  for (std::size_t d = 0; d < idx.size(); ++d) s += (d ? ", " : "") + std::to_string(idx[d]);
  return s + "]";
}

// ------------------------------------------------------------------------------------------------
// Manifest → GradientOptions.

/// Coordinates as float64 values, for failure messages (any rank, flattened).
std::vector<double> coords_of(const Array& a) {
  std::vector<double> x(static_cast<std::size_t>(a.size()));
  gradmap::visit_dtype(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, gradmap::float16_t>) {
      const auto* p = static_cast<const gradmap::float16_t*>(a.data());
      for (std::size_t i = 0; i < x.size(); ++i) x[i] = half_to_double(p[i].bits);
    } else {
      const auto* p = static_cast<const T*>(a.data());
      for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(p[i]);
    }
  });
  return x;
}

GradientOptions options_of(const json& c, const Oracle& o) {
  GradientOptions opt;
  for (const auto& s : c.at("spacing")) {
    if (s.at("kind") == "scalar") {
      const std::string v = s.at("value").get<std::string>();
      opt.spacing.push_back(AxisSpacing::uniform(std::strtod(v.c_str(), nullptr)));
    } else {
      // The array as numpy gets it: its dtype decides the arithmetic.
      opt.spacing.push_back(AxisSpacing::coordinates(gradmap::read_npy(o.file(s.at("file")))));
    }
  }
  const json& axis = c.at("axis");
  if (axis.is_number_integer())
    opt.axes = std::vector<int>{axis.get<int>()};
  else if (axis.is_array())
    opt.axes = axis.get<std::vector<int>>();
  opt.edge_order = c.at("edge_order").get<int>();
  if (!c.at("dtype_request").is_null()) opt.dtype = gradmap::dtype_from_name(c.at("dtype_request"));
  return opt;
}

/// "case 17 (why): np.gradient(...) on float32 (3, 4); x1 = [...]" for failure messages.
std::string case_text(const json& c, const Oracle& o) {
  std::ostringstream s;
  s << "case " << c.at("id") << " (" << c.at("why").get<std::string>()
    << "): " << c.at("call").get<std::string>() << " on " << c.at("dtype").get<std::string>() << " "
    << c.at("shape").dump();
  if (!c.at("dtype_request").is_null()) s << ", dtype=" << c.at("dtype_request").get<std::string>();
  int k = 0;
  for (const auto& sp : c.at("spacing")) {
    if (sp.at("kind") == "coords") {
      try {
        const auto x = coords_of(gradmap::read_npy(o.file(sp.at("file"))));
        s << "; x" << k << " (" << sp.at("dtype").get<std::string>() << ") = [";
        for (std::size_t i = 0; i < x.size() && i < 12; ++i) {
          char buf[32];
          std::snprintf(buf, sizeof buf, "%.17g", x[i]);
          s << (i ? ", " : "") << buf;
        }
        s << (x.size() > 12 ? ", ...]" : "]");
      } catch (const std::exception&) {
      }
    }
    ++k;
  }
  return s.str();
}

/// " coords" (float64), " float32 coords", " float16 coords" or " int coords" (any integer dtype,
/// which numpy converts to float64).
std::string coords_kind(const json& spacing_item) {
  const std::string d = spacing_item.at("dtype");
  if (d == "float64") return " coords";
  if (d == "float32" || d == "float16") return " " + d + " coords";
  return " int coords";
}

std::vector<const json*> cases_with(const Oracle& o, const std::string& expect) {
  std::vector<const json*> out;
  for (const auto& c : o.manifest.at("cases"))
    if (c.at("expect") == expect) out.push_back(&c);
  return out;
}

/// Compares `got` with numpy's `want` element by element. Returns "" when bit-identical, else the
/// first difference; `max_ulp` is raised to the largest distance seen.
std::string compare(const Array& got, const Array& want, std::uint64_t& max_ulp, index_t* n_diff = nullptr) {
  if (got.dtype() != want.dtype())
    return std::string("dtype ") + gradmap::dtype_name(got.dtype()) + ", numpy " +
           gradmap::dtype_name(want.dtype());
  if (got.shape() != want.shape())
    return "shape " + gradmap::shape_string(got.shape()) + ", numpy " + gradmap::shape_string(want.shape());
  std::string first;
  index_t diffs = 0;
  for (index_t i = 0; i < want.size(); ++i) {
    const Element g = element(got, i), w = element(want, i);
    if (same(g, w)) continue;
    ++diffs;
    const std::uint64_t u = ulps(g, w);
    max_ulp = std::max(max_ulp, u);
    if (first.empty())
      first = "first difference at " + index_text(want.shape(), i) + ": gradmap " + describe(g) + ", numpy " +
              describe(w) + " (" + ulp_text(u) + " ulp)";
  }
  if (n_diff) *n_diff = diffs;
  if (!first.empty())
    first += "; " + std::to_string(diffs) + " of " + std::to_string(want.size()) + " elements differ";
  return first;
}

struct DtypeStats {
  int cases = 0;
  int failing = 0;
  long long elements = 0;
  std::uint64_t max_ulp = 0;
};

std::string join_first(const std::vector<std::string>& v, std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < v.size() && i < n; ++i) s += "  " + v[i] + "\n";
  if (v.size() > n) s += "  ... and " + std::to_string(v.size() - n) + " more\n";
  return s;
}

// ------------------------------------------------------------------------------------------------

TEST(NumpyGradient, GeneratorCoversEveryDtypeSpacingFormAndOutcome) {
  const Oracle& o = oracle();
  ASSERT_TRUE(o.error.empty()) << o.error;
  std::map<std::string, int> dtypes, ranks, forms, edge;
  for (const auto* c : cases_with(o, "ok")) {
    ++dtypes[(*c)["dtype"].get<std::string>()];
    ++ranks[std::to_string((*c)["shape"].size())];
    ++edge[std::to_string((*c)["edge_order"].get<int>())];
    if ((*c)["spacing"].empty()) ++forms["none"];
    for (const auto& s : (*c)["spacing"]) {
      if (s["kind"] == "scalar")
        ++forms[s["python"] == "int" ? "int scalar" : "float scalar"];
      else
        ++forms[std::string(s.value("collapses", false) ? "uniform" : "non-uniform") + coords_kind(s)];
    }
    const json& axis = (*c)["axis"];
    ++forms[axis.is_null() ? "axis None" : axis.is_number() ? "axis int" : "axis tuple"];
  }
  for (const char* t : {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16",
                        "float32", "float64"})
    EXPECT_GE(dtypes[t], 30) << t;
  for (const char* r : {"1", "2", "3", "4"}) EXPECT_GE(ranks[r], 30) << "rank " << r;
  for (const char* e : {"1", "2"}) EXPECT_GE(edge[e], 100) << "edge_order " << e;
  for (const char* f :
       {"none", "float scalar", "int scalar", "uniform coords", "non-uniform coords",
        "non-uniform int coords", "non-uniform float32 coords", "non-uniform float16 coords",
        "uniform float32 coords", "uniform float16 coords", "axis None", "axis int", "axis tuple"})
    EXPECT_GE(forms[f], 10) << f;
  EXPECT_GE(cases_with(o, "ok").size(), 600u);
  EXPECT_GE(cases_with(o, "numpy_error").size(), 40u);
  EXPECT_GE(cases_with(o, "departure").size(), 40u);
}

// numpy computes np.diff(coords) and the weights in the coordinate array's dtype, so each pairing of
// a coordinate dtype with a data dtype is its own arithmetic: every pair must be among the cases
// MatchesNumpyBitForBit compares, with non-uniform coordinates and with both edge orders.
TEST(NumpyGradient, CoordinateArraysOfEveryDtypeMeetEveryDataDtype) {
  const Oracle& o = oracle();
  ASSERT_TRUE(o.error.empty()) << o.error;
  std::map<std::string, int> pairs;
  for (const auto* c : cases_with(o, "ok"))
    for (const auto& s : (*c)["spacing"])
      if (s["kind"] == "coords" && !s.value("collapses", false))
        ++pairs[(*c)["dtype"].get<std::string>() + coords_kind(s) + " edge_order " +
                std::to_string((*c)["edge_order"].get<int>())];
  for (const char* t : {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16",
                        "float32", "float64"})
    for (const char* k : {" float16 coords", " float32 coords", " coords", " int coords"})
      for (const char* e : {" edge_order 1", " edge_order 2"}) {
        const std::string key = std::string(t) + k + e;
        EXPECT_GE(pairs[key], 2) << key;
      }
}

TEST(NumpyGradient, MatchesNumpyBitForBit) {
  const Oracle& o = oracle();
  ASSERT_TRUE(o.error.empty()) << o.error;
  std::map<std::string, DtypeStats> stats;
  std::vector<std::string> failures;
  int n = 0;
  for (const json* cp : cases_with(o, "ok")) {
    const json& c = *cp;
    ++n;
    DtypeStats& st = stats[c.at("dtype").get<std::string>()];
    ++st.cases;
    std::vector<Array> got;
    GradientOptions opt;
    Array f;
    try {
      f = gradmap::read_npy(o.file(c.at("input")));
      opt = options_of(c, o);
    } catch (const std::exception& e) {
      ++st.failing;
      failures.push_back(case_text(c, o) + ": cannot load the case: " + e.what());
      continue;
    }
    try {
      got = gradmap::gradient(f, opt);
    } catch (const std::exception& e) {
      ++st.failing;
      failures.push_back(case_text(c, o) + ": numpy returns, gradmap threw: " + e.what());
      continue;
    }
    const auto& outputs = c.at("outputs");
    if (got.size() != outputs.size()) {
      ++st.failing;
      failures.push_back(case_text(c, o) + ": " + std::to_string(got.size()) + " components, numpy " +
                         std::to_string(outputs.size()));
      continue;
    }
    bool ok = true;
    for (std::size_t k = 0; k < outputs.size(); ++k) {
      const Array want = gradmap::read_npy(o.file(outputs[k]));
      if (std::string(gradmap::dtype_name(want.dtype())) != c.at("out_dtype")) {
        failures.push_back(case_text(c, o) + ": oracle output has an unexpected dtype");
        ok = false;
        continue;
      }
      st.elements += want.size();
      const std::string diff = compare(got[k], want, st.max_ulp);
      if (!diff.empty()) {
        ok = false;
        failures.push_back(case_text(c, o) + ": component " + std::to_string(k) + ": " + diff);
      }
    }
    if (!ok) ++st.failing;
  }

  std::ostringstream summary;
  int failing = 0;
  summary << "numpy.gradient differential test: " << n << " cases (numpy " << o.manifest.value("numpy", "?")
          << ", seed " << o.manifest.value("seed", 0) << ")\n";
  summary << "  input dtype  cases  differ  elements  max ulp\n";
  for (const auto& [name, st] : stats) {
    char line[128];
    std::snprintf(line, sizeof line, "  %-11s %6d %7d %9lld  %s\n", name.c_str(), st.cases, st.failing,
                  st.elements, ulp_text(st.max_ulp).c_str());
    summary << line;
    failing += st.failing;
    ::testing::Test::RecordProperty("max_ulp_" + name, ulp_text(st.max_ulp));
  }
  ::testing::Test::RecordProperty("cases", n);
  ::testing::Test::RecordProperty("cases_differing", failing);
  std::printf("%s", summary.str().c_str());
  EXPECT_TRUE(failures.empty()) << failing << " of " << n << " cases differ from numpy:\n"
                                << join_first(failures, 40);
}

/// Runs the cases whose `expect` is `kind` and checks that gradmap throws the named exception.
void expect_throws(const std::string& kind) {
  const Oracle& o = oracle();
  ASSERT_TRUE(o.error.empty()) << o.error;
  std::vector<std::string> failures;
  const auto cases = cases_with(o, kind);
  for (const json* cp : cases) {
    const json& c = *cp;
    const std::string want = c.at("gradmap_error");
    const std::string numpy = c.at("numpy_said");
    Array f;
    GradientOptions opt;
    try {
      f = gradmap::read_npy(o.file(c.at("input")));
    } catch (const std::exception& e) {
      failures.push_back(case_text(c, o) + ": cannot load the case: " + e.what());
      continue;
    }
    std::string got_type, message;
    try {
      // AxisSpacing::coordinates(Array) is where a 2-D coordinate array is refused.
      opt = options_of(c, o);
      const auto r = gradmap::gradient(f, opt);
      failures.push_back(case_text(c, o) + ": numpy said \"" + numpy + "\"; gradmap returned " +
                         std::to_string(r.size()) + " components instead of throwing " + want);
      continue;
    } catch (const gradmap::ShapeError& e) {
      got_type = "ShapeError", message = e.what();
    } catch (const gradmap::InvalidArgument& e) {
      got_type = "InvalidArgument", message = e.what();
    } catch (const gradmap::Error& e) {
      got_type = "gradmap::Error", message = e.what();
    } catch (const std::exception& e) {
      got_type = "std::exception (not a gradmap::Error)", message = e.what();
    }
    if (got_type != want) {
      failures.push_back(case_text(c, o) + ": numpy said \"" + numpy + "\"; expected " + want + ", got " +
                         got_type + ": " + message);
    } else if (numpy.find("Shape of array too small") != std::string::npos &&
               message.find("edge_order + 1") == std::string::npos) {
      failures.push_back(case_text(c, o) +
                         ": message should use numpy's wording (\"at least (edge_order + 1) "
                         "elements are required\"), got: " +
                         message);
    } else if (message.empty()) {
      failures.push_back(case_text(c, o) + ": empty exception message");
    }
  }
  ::testing::Test::RecordProperty("cases", static_cast<int>(cases.size()));
  std::printf("%zu %s cases, %zu wrong\n", cases.size(), kind.c_str(), failures.size());
  EXPECT_TRUE(failures.empty()) << failures.size() << " of " << cases.size() << " " << kind
                                << " cases wrong:\n"
                                << join_first(failures, 40);
}

TEST(NumpyGradient, ThrowsWhereNumpyRaises) { expect_throws("numpy_error"); }

TEST(NumpyGradient, ZeroOrNonFiniteSpacingAndEdgeOrderOtherThan1Or2ThrowInvalidArgument) {
  expect_throws("departure");
}

// ------------------------------------------------------------------------------------------------
// Thread-count independence on the large cases of the manifest.

TEST(NumpyGradient, ResultsDoNotDependOnThreadCount) {
  const Oracle& o = oracle();
  ASSERT_TRUE(o.error.empty()) << o.error;
  int checked = 0;
  for (const json* cp : cases_with(o, "ok")) {
    const json& c = *cp;
    if (c.value("tag", json()) != "large") continue;
    SCOPED_TRACE(case_text(c, o));
    const Array f = gradmap::read_npy(o.file(c.at("input")));
    const GradientOptions opt = options_of(c, o);
    std::vector<Array> one, two, all;
    tbb::task_arena arena1(1), arena2(2);
    arena1.execute([&] { one = gradmap::gradient(f, opt); });
    arena2.execute([&] { two = gradmap::gradient(f, opt); });
    all = gradmap::gradient(f, opt);
    ASSERT_EQ(one.size(), c.at("outputs").size());
    ASSERT_EQ(two.size(), one.size());
    ASSERT_EQ(all.size(), one.size());
    for (std::size_t k = 0; k < one.size(); ++k) {
      ASSERT_EQ(one[k].nbytes(), two[k].nbytes());
      ASSERT_EQ(one[k].nbytes(), all[k].nbytes());
      EXPECT_EQ(std::memcmp(one[k].data(), two[k].data(), one[k].nbytes()), 0)
          << "1 vs 2 threads, component " << k;
      EXPECT_EQ(std::memcmp(one[k].data(), all[k].data(), one[k].nbytes()), 0)
          << "1 thread vs default arena, component " << k;
      std::uint64_t u = 0;
      EXPECT_EQ(compare(one[k], gradmap::read_npy(o.file(c.at("outputs")[k])), u), "")
          << "1 thread vs numpy, component " << k;
    }
    ++checked;
  }
  EXPECT_GE(checked, 5);
}

// ------------------------------------------------------------------------------------------------
// gradient_into with strided outputs, and gradient on non-contiguous input views.

/// Writes, for each scenario, a 1-D base buffer, the numpy view of it (offset, shape and strides
/// in elements; transposed, sliced, reversed, Fortran-order), and numpy's gradient of that view.
const char* const kStridedScript = R"PY(
import json, sys
import numpy as np
out = sys.argv[1]
rng = np.random.default_rng(11)
scen = []

def data(dt, n):
    if np.dtype(dt).kind in "iu":
        info = np.iinfo(dt)
        return rng.integers(info.min, info.max, size=n, dtype=dt, endpoint=True)
    x = rng.standard_normal(n) * 10.0
    x[rng.integers(0, n, 2)] = np.nan
    return x.astype(dt)

def add(name, base, v, axis, spacing, edge, out_dtype=None):
    assert np.shares_memory(base, v) and base.ndim == 1 and base.flags.c_contiguous
    k = len(scen)
    np.save("%s/s%d_base.npy" % (out, k), base)
    with np.errstate(all="ignore"):
        res = np.gradient(v, *spacing, axis=axis, edge_order=edge)
    res = res if isinstance(res, list) else [res]
    natural = str(res[0].dtype)
    files = []
    for j, r in enumerate(res):
        if out_dtype:
            r = r.astype(out_dtype)
        files.append("s%d_out%d.npy" % (k, j))
        np.save("%s/%s" % (out, files[-1]), np.ascontiguousarray(r))
    isz = base.itemsize
    off = (v.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // isz
    sp = [{"step": s} if np.ndim(s) == 0 else {"coords": [float(t) for t in s]} for s in spacing]
    scen.append({"name": name, "base": "s%d_base.npy" % k, "offset": int(off), "shape": list(v.shape),
                 "strides": [s // isz for s in v.strides],
                 "axis": list(axis) if isinstance(axis, tuple) else axis, "spacing": sp, "edge_order": edge,
                 "outputs": files, "natural_dtype": natural, "out_dtype": out_dtype or natural})

b = data("float32", 40 * 60)
add("transposed float32", b, b.reshape(40, 60).T, None, [0.5, np.cumsum(rng.uniform(0.5, 2, 40))], 2)
b = data("float64", 30 * 50)
add("sliced float64", b, b.reshape(30, 50)[1:-1:2, 3::3], None, [], 1)
b = data("float64", 20 * 30)
add("reversed float64", b, b.reshape(20, 30)[::-1, ::-2], None, [np.cumsum(rng.uniform(0.5, 2, 20)), 0.3], 2)
fx = np.asfortranarray(data("float32", 6 * 7 * 8).reshape(6, 7, 8))
add("Fortran-order float32", fx.ravel(order="K"), fx, None, [1.0, 2.0, np.cumsum(rng.uniform(0.5, 2, 8))], 1)
b = data("uint8", 5 * 6 * 7)
add("transposed uint8 to float32", b, b.reshape(5, 6, 7).transpose(2, 0, 1), (2, 0),
    [0.7, np.cumsum(rng.uniform(0.5, 2, 7))], 2, "float32")
b = data("float16", 12 * 10)
add("sliced float16", b, b.reshape(12, 10)[::2, 1:], None, [0.25], 2)
b = data("float32", 16 * 9)
add("sliced float32 to float64", b, b.reshape(16, 9)[2:, ::4], -1, [np.array([0.0, 1.0, 3.0])], 1, "float64")
b = data("int16", 100)
add("strided int16 1-D", b, b[::3], None, [np.cumsum(rng.uniform(0.5, 2, 34))], 2)
b = data("float64", 4 * 300)
add("long rows float64", b, b.reshape(4, 300)[:, ::-1], None, [0.1, 0.2], 2)
b = data("float64", 7)
add("broadcast (zero stride) float64", b, np.broadcast_to(b, (5, 7)), None, [0.5, 2.0], 2)
# Narrowing to float16 must round numpy's result once (float64 -> float16 directly; going through
# float32 would round twice and differ on ~1 value in 8000).
b = data("float64", 200 * 300)
add("float64 to float16", b, b.reshape(200, 300)[:, ::-1], None, [0.3, np.cumsum(rng.uniform(0.5, 2, 300))],
    2, "float16")
b = data("float32", 100 * 120)
add("float32 to float16", b, b.reshape(100, 120).T, None, [], 1, "float16")
b = data("uint16", 150 * 160)
add("uint16 to float16", b, b.reshape(150, 160)[::2], None, [1e-3, 0.25], 2, "float16")
with open(out + "/strided.json", "w") as fh:
    json.dump(scen, fh)
)PY";

template <class T, class Out>
void check_strided_scenario(const json& s, const TempDir& dir) {
  const Array base = gradmap::read_npy(dir / s.at("base").get<std::string>());
  const T* origin = static_cast<const T*>(base.data()) + s.at("offset").get<index_t>();
  const gradmap::ConstArrayView<T> in(origin, s.at("shape").get<Shape>(), s.at("strides").get<Shape>());

  GradientOptions opt;
  for (const auto& sp : s.at("spacing"))
    opt.spacing.push_back(sp.contains("step")
                              ? AxisSpacing::uniform(sp.at("step").get<double>())
                              : AxisSpacing::coordinates(sp.at("coords").get<std::vector<double>>()));
  if (s.at("axis").is_number_integer())
    opt.axes = std::vector<int>{s.at("axis").get<int>()};
  else if (s.at("axis").is_array())
    opt.axes = s.at("axis").get<std::vector<int>>();
  opt.edge_order = s.at("edge_order").get<int>();

  // Every other element of a buffer twice as large (every other column of each row), with a
  // sentinel in the gaps that must survive.
  const std::size_t n_out = s.at("outputs").size();
  const Shape extents = in.extents();
  Shape strides = gradmap::c_strides(extents);
  for (auto& st : strides) st *= 2;
  const index_t count = gradmap::shape_size(extents);
  std::vector<std::vector<Out>> buffers(n_out);
  std::vector<gradmap::ArrayView<Out>> views;
  Out sentinel;
  std::memset(static_cast<void*>(&sentinel), 0x5a, sizeof sentinel);
  for (auto& b : buffers) {
    b.assign(static_cast<std::size_t>(2 * count + 1), sentinel);
    views.emplace_back(b.data(), extents, strides);
  }
  gradmap::gradient_into<T, Out>(in, views, opt);

  for (std::size_t k = 0; k < n_out; ++k) {
    const Array want = gradmap::read_npy(dir / s.at("outputs")[k].get<std::string>());
    ASSERT_EQ(gradmap::dtype_of_v<Out>, want.dtype()) << "component " << k;
    Array got(want.dtype(), extents);
    auto* g = static_cast<Out*>(got.data());
    for (index_t i = 0; i < count; ++i) {
      g[i] = buffers[k][static_cast<std::size_t>(2 * i)];
      EXPECT_EQ(std::memcmp(&buffers[k][static_cast<std::size_t>(2 * i + 1)], &sentinel, sizeof sentinel), 0)
          << "component " << k << " wrote into the gap after element " << i;
    }
    std::uint64_t u = 0;
    EXPECT_EQ(compare(got, want, u), "") << "gradient_into, component " << k;
  }

  // gradient() on the same non-contiguous view, numpy's output dtype unless the scenario asks.
  if (s.at("out_dtype") != s.at("natural_dtype")) opt.dtype = gradmap::dtype_from_name(s.at("out_dtype"));
  const std::vector<Array> got = gradmap::gradient(in, opt);
  ASSERT_EQ(got.size(), n_out);
  for (std::size_t k = 0; k < n_out; ++k) {
    std::uint64_t u = 0;
    EXPECT_EQ(compare(got[k], gradmap::read_npy(dir / s.at("outputs")[k].get<std::string>()), u), "")
        << "gradient(view), component " << k;
  }
}

TEST(NumpyGradient, GradientIntoStridedOutputsFromNonContiguousInputsMatchesNumpy) {
  TempDir dir;
  const auto r = gradmap_test::run_python(kStridedScript, shell_quote(dir.path().string()));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  std::ifstream in(dir / "strided.json");
  const json scenarios = json::parse(in);
  ASSERT_GE(scenarios.size(), 8u);
  for (const auto& s : scenarios) {
    SCOPED_TRACE(s.at("name").get<std::string>());
    const DType in_type = gradmap::read_npy(dir / s.at("base").get<std::string>()).dtype();
    const DType out_type = gradmap::dtype_from_name(s.at("out_dtype"));
    gradmap::visit_dtype(in_type, [&](auto in_tag) {
      using T = decltype(in_tag);
      switch (out_type) {
        case DType::float16:
          check_strided_scenario<T, gradmap::float16_t>(s, dir);
          break;
        case DType::float32:
          check_strided_scenario<T, float>(s, dir);
          break;
        case DType::float64:
          check_strided_scenario<T, double>(s, dir);
          break;
        default:
          FAIL() << "unexpected output dtype";
      }
    });
  }
}

TEST(NumpyGradient, GradientIntoRejectsOutputsOfTheWrongShapeOrCount) {
  std::vector<float> in(12, 1.0f), a(12), b(12), c(16);
  const gradmap::ConstArrayView<float> f(in.data(), Shape{3, 4});
  const gradmap::ArrayView<float> va(a.data(), Shape{3, 4}), vb(b.data(), Shape{3, 4}),
      vc(c.data(), Shape{4, 4});
  using Outs = std::vector<gradmap::ArrayView<float>>;
  const auto run = [&](const Outs& outs) { gradmap::gradient_into<float, float>(f, outs); };
  EXPECT_THROW(run(Outs{va, vc}), gradmap::ShapeError);
  EXPECT_THROW(run(Outs{va}), gradmap::Error);
  EXPECT_THROW(run(Outs{va, vb, va}), gradmap::Error);
  EXPECT_NO_THROW(run(Outs{va, vb}));
  EXPECT_EQ(a[5], 0.0f);
}

}  // namespace
