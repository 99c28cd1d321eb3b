// SPDX-License-Identifier: MIT
// The operators beyond numpy (gradmap/operators.hpp) against scipy.ndimage, run from the test: every
// operator × padded boundary × rank 1-3 × dtype × anisotropic spacing, the exact ramp property of the
// finite-difference operators, and the refusals.
#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "gradmap/edges.hpp"
#include "gradmap/gradient.hpp"
#include "gradmap/npy.hpp"
#include "gradmap/operators.hpp"
#include "test_arrays.hpp"
#include "test_util.hpp"

using namespace gradmap;
using namespace gradmap_test;

namespace {

/// The expected results: scipy.ndimage on the float64 input, divided as operators.hpp documents.
/// One line per case in manifest.txt: input operator boundary spacing... expected (rank × shape).
const char* kScipyCases = R"(
import scipy.ndimage as nd
def smooth_all(g, k, w):
    for j in range(g.ndim):
        if j != k: g = nd.correlate1d(g, w, axis=j, mode=mode, cval=cval)
    return g
def expected(f, op, k, h):
    n = f.ndim
    g = f.astype(np.float64)
    if op == 'central': return nd.correlate1d(g, [-1, 0, 1], axis=k, mode=mode, cval=cval) / (2 * h[k])
    if op == 'central4': return nd.correlate1d(g, [1, -8, 0, 8, -1], axis=k, mode=mode, cval=cval) / (12 * h[k])
    if op == 'sobel': return nd.sobel(g, axis=k, mode=mode, cval=cval) / (2 * 4 ** (n - 1)) / h[k]
    if op == 'prewitt': return nd.prewitt(g, axis=k, mode=mode, cval=cval) / (2 * 3 ** (n - 1)) / h[k]
    if op == 'scharr':
        d1 = nd.correlate1d(g, [-1, 0, 1], axis=k, mode=mode, cval=cval)
        return smooth_all(d1, k, [3, 10, 3]) / (2 * 16 ** (n - 1)) / h[k]
    sigma = float(op.split(':')[1])
    return nd.gaussian_filter(g, sigma=[sigma / hj for hj in h], order=[int(j == k) for j in range(n)],
                              mode=mode, cval=cval, truncate=4.0) / h[k]
shapes = {1: [(11,), (2,)], 2: [(7, 9), (1, 6)], 3: [(5, 6, 7)]}
spacing = [0.7, 1.3, 2.0]
ops = ['central', 'central4', 'sobel', 'prewitt', 'scharr', 'gaussian:1.5']
modes = ['reflect', 'mirror', 'nearest', 'wrap', 'constant:0.5']
lines = []
case = 0
for rank, rank_shapes in shapes.items():
    h = spacing[-rank:]
    for shape in rank_shapes:
        for dt in ['uint8', 'int16', 'float32', 'float64']:
            if dt == 'uint8': f = rng.integers(0, 256, shape).astype(dt)
            elif dt == 'int16': f = rng.integers(-3000, 3000, shape).astype(dt)
            else: f = (rng.standard_normal(shape) * 50).astype(dt)
            src = f'{d}/in{case}.npy'
            np.save(src, f)
            for op in ops:
                for b in modes:
                    mode, cval = (b.split(':')[0], float(b.split(':')[1])) if ':' in b else (b, 0.0)
                    e = np.stack([expected(f, op, k, h) for k in range(rank)])
                    out = f'{d}/exp{case}.npy'
                    np.save(out, e)
                    lines.append(f'{src} {op} {b} {" ".join(map(str, h))} {out}')
                    case += 1
open(f'{d}/manifest.txt', 'w').write('\n'.join(lines) + '\n')
)";

double max_abs(const Array& a) {
  const Array d = astype(a, DType::float64);
  const auto* p = static_cast<const double*>(d.data());
  double m = 0;
  for (index_t i = 0; i < d.size(); ++i) m = std::max(m, std::fabs(p[i]));
  return m;
}

/// Largest |a - b| over the elements, both converted to float64.
double max_diff(const Array& a, const Array& b) {
  const Array x = astype(a, DType::float64), y = astype(b, DType::float64);
  const auto* p = static_cast<const double*>(x.data());
  const auto* q = static_cast<const double*>(y.data());
  double m = 0;
  for (index_t i = 0; i < x.size(); ++i) m = std::max(m, std::fabs(p[i] - q[i]));
  return m;
}

/// expected[k] of a stacked (rank × shape) float64 array, as its own array.
Array plane(const Array& stacked, index_t k) {
  Shape s(stacked.shape().begin() + 1, stacked.shape().end());
  Array a = Array::uninitialized(DType::float64, s);
  const index_t n = a.size();
  const auto* src = static_cast<const double*>(stacked.data()) + k * n;
  std::copy(src, src + n, static_cast<double*>(a.data()));
  return a;
}

GradientOptions options_for(const std::string& op, const std::string& boundary,
                            const std::vector<double>& h) {
  GradientOptions o;
  parse_operator(op, o);
  parse_boundary(boundary, o);
  for (double s : h) o.spacing.push_back(AxisSpacing::uniform(s));
  return o;
}

}  // namespace

TEST(Operators, MatchScipyForEveryOperatorBoundaryRankAndDtype) {
  TempDir d;
  python_in(kScipyCases, d.path().string(), 14);
  std::ifstream manifest(d / "manifest.txt");
  std::string line;
  int cases = 0;
  while (std::getline(manifest, line)) {
    std::istringstream in(line);
    std::string src, op, boundary, out;
    in >> src >> op >> boundary;
    std::vector<double> h;
    std::string tok;
    while (in >> tok) {
      if (tok.size() > 4 && tok.substr(tok.size() - 4) == ".npy") {
        out = tok;
        break;
      }
      h.push_back(std::stod(tok));
    }
    SCOPED_TRACE(line);
    const Array f = read_npy(src);
    const Array expected = read_npy(out);
    const auto got = gradient(f, options_for(op, boundary, h));
    ASSERT_EQ(got.size(), h.size());
    // numpy's result types: float64 for integers, the input's float type otherwise.
    const bool single = f.dtype() == DType::float32;
    for (std::size_t k = 0; k < got.size(); ++k) {
      EXPECT_EQ(got[k].dtype(), single ? DType::float32 : DType::float64);
      const Array e = plane(expected, static_cast<index_t>(k));
      // Relative to the largest value of the data or the result (a result of zeros, e.g. along an
      // axis of one sample, is compared with the data's scale).
      const double scale = std::max({max_abs(e), max_abs(f), 1e-300});
      EXPECT_LE(max_diff(got[k], e) / scale, single ? 1e-5 : 1e-12) << "component " << k;
    }
    ++cases;
  }
  EXPECT_EQ(cases, 5 * 4 * 6 * 5);  // shapes × dtypes × operators × boundaries
}

// sobel, prewitt and scharr of a 3-D array with a padding that remaps indices run as one fused
// stencil (operators.cpp, Stencil3dJob) whose sums are ordered unlike scipy's: against scipy for
// every such padding, in float64 and float32, on axes of 1, 2 and 3 samples (the padding reaching
// past the whole axis) and on a volume of several strips of rows and tasks of planes (their
// joins); there, any thread count gives the same bits, and so does asking for fewer components.
TEST(Operators, Fused3dStencilMatchesScipyOnShortAxesAndAcrossStrips) {
  TempDir d;
  python_in(R"(
import scipy.ndimage as nd
shapes = [(1, 2, 3), (3, 1, 2), (2, 3, 1), (1, 1, 1), (3, 3, 3), (40, 130, 33)]
h = [0.7, 1.3, 2.0]
smooth = {'sobel': [1, 2, 1], 'prewitt': [1, 1, 1], 'scharr': [3, 10, 3]}
lines = []
for i, shape in enumerate(shapes):
    f = rng.standard_normal(shape) * 50
    np.save(f'{d}/in{i}.npy', f)
    for op, w in smooth.items():
        for mode in ['reflect', 'mirror', 'nearest', 'wrap']:
            e = []
            for k in range(3):
                g = nd.correlate1d(f, [-1, 0, 1], axis=k, mode=mode)
                for j in range(3):
                    if j != k: g = nd.correlate1d(g, w, axis=j, mode=mode)
                e.append(g / (2 * sum(w) ** 2 * h[k]))
            np.save(f'{d}/exp{i}_{op}_{mode}.npy', np.stack(e))
            lines.append(f'{i} {op} {mode}')
open(f'{d}/manifest.txt', 'w').write('\n'.join(lines) + '\n')
)",
            d.path().string());
  std::ifstream manifest(d / "manifest.txt");
  std::string line;
  int cases = 0;
  while (std::getline(manifest, line)) {
    SCOPED_TRACE(line);
    std::istringstream in(line);
    std::string i, op, mode;
    in >> i >> op >> mode;
    const Array f = read_npy(d / ("in" + i + ".npy"));
    const Array expected = read_npy(d / ("exp" + i + "_" + op + "_" + mode + ".npy"));
    const GradientOptions o = options_for(op, mode, {0.7, 1.3, 2.0});
    const Array f32 = astype(f, DType::float32);
    const auto got = gradient(f, o), got32 = gradient(f32, o);
    ASSERT_EQ(got.size(), 3u);
    for (std::size_t k = 0; k < 3; ++k) {
      const Array e = plane(expected, static_cast<index_t>(k));
      const double scale = std::max(max_abs(e), max_abs(f));
      EXPECT_LE(max_diff(got[k], e) / scale, 1e-12) << "component " << k;
      EXPECT_LE(max_diff(got32[k], e) / scale, 1e-5) << "float32, component " << k;
    }
    if (f.shape()[0] > 3) {  // the volume of several strips and tasks
      std::vector<Array> one;
      tbb::task_arena(1).execute([&] { one = gradient(f32, o); });
      GradientOptions some = o;
      some.axes = std::vector<int>{0, 2};
      some.spacing = {AxisSpacing::uniform(0.7), AxisSpacing::uniform(2.0)};
      const auto two = gradient(f32, some);
      for (std::size_t k = 0; k < 3; ++k) EXPECT_TRUE(same_bits(one[k], got32[k])) << "component " << k;
      EXPECT_TRUE(same_bits(two.at(0), got32[0]));
      EXPECT_TRUE(same_bits(two.at(1), got32[2]));
    }
    ++cases;
  }
  EXPECT_EQ(cases, 6 * 3 * 4);  // shapes × operators × paddings
}

TEST(Operators, RampGivesItsSlopeExactly) {
  // f = a·x along axis k at step h: every finite-difference operator gives a, bit for bit, wherever
  // its stencil stays inside the array along k (the padding along the other axes sees constants).
  const double a = 3.0, h = 0.5;
  for (const char* op : {"central", "central4", "sobel", "prewitt", "scharr"}) {
    for (int rank = 1; rank <= 3; ++rank) {
      for (int k = 0; k < rank; ++k) {
        Shape shape(static_cast<std::size_t>(rank), 7);
        Array f = Array::uninitialized(DType::float64, shape);
        auto v = f.view<double>();
        const index_t n = f.size();
        Shape strides = v.strides();
        for (index_t i = 0; i < n; ++i)
          static_cast<double*>(f.data())[i] = a * h * static_cast<double>((i / strides[k]) % 7);
        GradientOptions o;
        parse_operator(op, o);
        o.boundary = Boundary::reflect;
        o.axes = std::vector<int>{k};
        o.spacing = {AxisSpacing::uniform(h)};
        const Array g = gradient(f, o).at(0);
        const auto* p = static_cast<const double*>(g.data());
        for (index_t i = 0; i < n; ++i) {
          const index_t x = (i / strides[k]) % 7;
          if (x < 2 || x > 4) continue;
          ASSERT_EQ(p[i], a) << op << " rank " << rank << " axis " << k << " sample " << i;
        }
      }
    }
  }
}

TEST(Operators, SmoothOnlyAlongSpatialAxes) {
  // A colour image (channels first): sobel must not blur across channels — each channel equals
  // scipy's 2-D sobel of that channel.
  TempDir d;
  python_in(R"(
import scipy.ndimage as nd
f = rng.random((3, 8, 9)) * 255
np.save(d + '/f.npy', f)
np.save(d + '/gy.npy', np.stack([nd.sobel(c, axis=0) / 8 for c in f]))
np.save(d + '/gx.npy', np.stack([nd.sobel(c, axis=1) / 8 for c in f]))
)",
            d.path().string());
  GradientOptions o;
  o.op = Operator::sobel;
  o.axes = std::vector<int>{1, 2};
  o.spatial_axes = std::vector<int>{1, 2};
  const auto g = gradient(read_npy(d / "f.npy"), o);
  EXPECT_LE(max_diff(g[0], read_npy(d / "gy.npy")), 1e-12 * 255);
  EXPECT_LE(max_diff(g[1], read_npy(d / "gx.npy")), 1e-12 * 255);
}

TEST(Operators, RawKernelIsScipysSobel) {
  TempDir d;
  python_in(R"(
import scipy.ndimage as nd
f = rng.integers(0, 256, (6, 7, 8)).astype(np.uint8)
np.save(d + '/f.npy', f)
np.save(d + '/e.npy', np.stack([nd.sobel(f.astype(float), axis=k) for k in range(3)]))
)",
            d.path().string());
  GradientOptions o;
  o.op = Operator::sobel;
  o.raw_kernel = true;
  o.spacing = {AxisSpacing::uniform(0.25)};  // ignored by the raw values
  const auto g = gradient(read_npy(d / "f.npy"), o);
  const Array e = read_npy(d / "e.npy");
  for (index_t k = 0; k < 3; ++k) EXPECT_EQ(max_diff(g[static_cast<std::size_t>(k)], plane(e, k)), 0.0);
}

TEST(Operators, ResultsDoNotDependOnThreads) {
  Array f = Array::uninitialized(DType::float32, {40, 33, 17});
  auto* p = static_cast<float*>(f.data());
  for (index_t i = 0; i < f.size(); ++i) p[i] = static_cast<float>(std::sin(0.37 * static_cast<double>(i)));
  GradientOptions o;
  parse_operator("gaussian:1.2", o);
  o.boundary = Boundary::wrap;
  std::vector<Array> one, many;
  tbb::task_arena(1).execute([&] { one = gradient(f, o); });
  many = gradient(f, o);
  for (std::size_t k = 0; k < 3; ++k) EXPECT_EQ(max_diff(one[k], many[k]), 0.0);
}

TEST(Operators, FusedMapsEqualTheComponentsMaps) {
  Array f = Array::uninitialized(DType::float64, {12, 15});
  auto* p = static_cast<double*>(f.data());
  for (index_t i = 0; i < f.size(); ++i) p[i] = std::cos(0.11 * static_cast<double>(i * i % 97));
  EdgeOptions e;
  parse_operator("scharr", e.gradient);
  e.components = true;
  const EdgeMaps m = edges(f, e);
  const auto g = gradient(f, e.gradient);
  const auto* gy = static_cast<const double*>(g[0].data());
  const auto* gx = static_cast<const double*>(g[1].data());
  const auto* mag = static_cast<const double*>(m.magnitude.data());
  const auto* dir = static_cast<const double*>(m.direction.data());
  for (index_t i = 0; i < f.size(); ++i) {
    EXPECT_EQ(mag[i], std::hypot(gx[i], gy[i]));
    EXPECT_NEAR(dir[i], std::atan2(gy[i], gx[i]), 1e-15);
  }
  EXPECT_EQ(max_diff(m.components.at(0), g[0]), 0.0);
}

// edges() and edges_into() with a padded operator compute blocks of axis-0 rows (their halo rows
// read from the whole input) rather than full-size components; the maps must equal those of the
// full components bit for bit, with several blocks, for every boundary (wrap's halo of the first
// and last blocks comes from the opposite end) and rank (a 1-D array's magnitude too).
TEST(Operators, BlockwiseMapsEqualTheMapsOfTheFullComponents) {
  const Shape shapes[] = {{500}, {230, 70}, {190, 11, 9}};
  const char* ops[] = {"central4", "sobel", "scharr", "gaussian:1.5", "gaussian:0.7,4,2"};
  const char* bounds[] = {"reflect", "mirror", "nearest", "constant:0.5", "wrap"};
  for (const Shape& shape : shapes) {
    Array f = Array::uninitialized(DType::float32, shape);
    auto* p = static_cast<float*>(f.data());
    for (index_t i = 0; i < f.size(); ++i)
      p[i] = static_cast<float>(std::sin(0.013 * static_cast<double>(i % 7919)) * 100.0 +
                                static_cast<double>(i % 13));
    for (const char* op : ops) {
      if (shape.size() != 3 && std::string(op).find(',') != std::string::npos) continue;
      for (const char* b : bounds) {
        SCOPED_TRACE(std::string(op) + " " + b + " " + shape_string(shape));
        EdgeOptions e;
        parse_operator(op, e.gradient);
        parse_boundary(b, e.gradient);
        e.tile_rows = 7;  // several blocks (at least 8 halos of rows each), the last one short
        e.direction = shape.size() >= 2;
        const std::vector<Array> comps = gradient(f, e.gradient);
        std::vector<int> axes;
        for (int a = 0; a < static_cast<int>(shape.size()); ++a) axes.push_back(a);
        const EdgeMaps want = edges_from_components(comps, axes, e);
        const EdgeMaps got = edges(f, e);
        EXPECT_EQ(max_diff(got.magnitude, want.magnitude), 0.0);
        if (e.direction) {
          EXPECT_EQ(max_diff(got.direction, want.direction), 0.0);
        }
        if (shape.size() == 3) {
          EXPECT_EQ(max_diff(got.elevation, want.elevation), 0.0);
        }
        Array mag = Array::uninitialized(DType::float32, shape);
        Array dir = Array::uninitialized(DType::float32, shape);
        Array elev = Array::uninitialized(DType::float32, shape);
        EdgeViews<float> v{mag.view<float>(),
                           e.direction ? dir.view<float>() : ArrayView<float>(),
                           shape.size() == 3 ? elev.view<float>() : ArrayView<float>(),
                           {}};
        edges_into(f.view<float>(), v, e);
        EXPECT_EQ(max_diff(mag, want.magnitude), 0.0);
        if (e.direction) {
          EXPECT_EQ(max_diff(dir, want.direction), 0.0);
        }
        if (shape.size() == 3) {
          EXPECT_EQ(max_diff(elev, want.elevation), 0.0);
        }
      }
    }
  }
}

TEST(Operators, RefusalsSayWhatToDo) {
  Array f = Array::uninitialized(DType::float64, {5, 6});
  auto expect_refused = [&](GradientOptions o, const std::string& needle) {
    try {
      gradient(f, o);
      ADD_FAILURE() << "accepted: " << needle;
    } catch (const InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  GradientOptions o;
  o.op = Operator::sobel;
  o.boundary = Boundary::numpy;
  expect_refused(o, "central operator only");
  o = {};
  o.op = Operator::prewitt;
  o.axes = std::vector<int>{1};
  o.spacing = {AxisSpacing::coordinates({0, 1, 2, 4, 5, 6})};
  expect_refused(o, "coordinate arrays");
  o.spacing = {AxisSpacing::coordinates({0, 1, 2, 3, 4, 5})};  // even uniform ones: say it with a step
  expect_refused(o, "coordinate arrays");
  o = {};
  o.op = Operator::gaussian;
  expect_refused(o, "needs a sigma");
  o.sigma = {1, 2, 3};
  expect_refused(o, "3 sigma values for 2 spatial axes");
  o = {};
  o.op = Operator::sobel;
  o.edge_order = 2;
  expect_refused(o, "edge_order 2");
  o = {};
  o.op = Operator::central4;
  o.raw_kernel = true;
  expect_refused(o, "raw_kernel");
  EXPECT_THROW(parse_operator("laplace", o), InvalidArgument);
  EXPECT_THROW(parse_boundary("reflect:2", o), InvalidArgument);
  // A sigma below one sample is allowed, with a warning.
  o = {};
  parse_operator("gaussian:1", o);
  o.spacing = {AxisSpacing::uniform(2.0), AxisSpacing::uniform(1.0)};
  const auto w = operator_warnings(f.shape(), o);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("axis 0 is 0.5 samples"), std::string::npos) << w[0];
}

#ifdef GRADMAP_CLI
TEST(Operators, CliGivesScipysValuesAndRefusesBadFlags) {
  TempDir d;
  python_in(R"(
import scipy.ndimage as nd
f = rng.random((20, 30)).astype(np.float32) * 100
np.save(d + '/f.npy', f)
g = f.astype(np.float64)
gy = nd.gaussian_filter(g, sigma=[1.5 / 0.5, 1.5 / 0.25], order=[1, 0], mode='wrap') / 0.5
gx = nd.gaussian_filter(g, sigma=[1.5 / 0.5, 1.5 / 0.25], order=[0, 1], mode='wrap') / 0.25
np.save(d + '/mag.npy', np.hypot(gx, gy))
np.save(d + '/gx.npy', gx)
)",
            d.path().string());
  const std::string flags = " --operator gaussian:1.5 --boundary wrap --spacing y=0.5,x=0.25";
  auto r = run_cli("edges " + shell_quote(d / "f.npy") + " -o " + shell_quote(d / "e") + flags);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LE(max_diff(read_npy(d / "e/f_mag.npy"), read_npy(d / "mag.npy")),
            1e-5 * max_abs(read_npy(d / "mag.npy")));
  r = run_cli("gradient " + shell_quote(d / "f.npy") + " -o " + shell_quote(d / "g") + flags);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LE(max_diff(read_npy(d / "g/f_gx.npy"), read_npy(d / "gx.npy")),
            1e-5 * max_abs(read_npy(d / "gx.npy")));

  for (const char* bad :
       {"--operator laplace", "--operator sobel --boundary numpy", "--boundary sideways",
        "--operator gaussian", "--operator sobel --edge-order 2", "--raw-kernel --operator central4"}) {
    r = run_cli("gradient " + shell_quote(d / "f.npy") + " -o " + shell_quote(d / "bad") + " " + bad);
    EXPECT_EQ(r.exit_code, 2) << bad << "\n" << r.err;
    EXPECT_FALSE(fs::exists(d / "bad")) << bad;
  }
  // Below one sample of sigma: computed, with one warning naming the file.
  r = run_cli("gradient " + shell_quote(d / "f.npy") + " -o " + shell_quote(d / "w") +
              " --operator gaussian:0.5");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("f.npy"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("below one sample"), std::string::npos) << r.err;
}
#endif

TEST(Operators, TilesAlongAxisZeroMatchScipy) {
  // Arrays large enough for several tiles (about 256 KiB of rows each) and, for gaussian, several
  // column strips of the axis-0 pass (the last one partial): the halo rows, the padding
  // at both ends and the passes after the axis-0 pass must join up exactly as one scipy call.
  TempDir d;
  python_in(R"(
import scipy.ndimage as nd
f2 = rng.standard_normal((700, 500))
f3 = rng.standard_normal((40, 70, 60))
np.save(d + '/f2.npy', f2); np.save(d + '/f3.npy', f3)
for name, f in (('f2', f2), ('f3', f3)):
    n = f.ndim
    np.save(d + f'/{name}_sobel.npy', np.stack([nd.sobel(f, axis=k, mode='constant', cval=0.5) / (2 * 4 ** (n - 1)) for k in range(n)]))
    np.save(d + f'/{name}_gauss.npy', np.stack([nd.gaussian_filter(f, 6.0, order=[int(j == k) for j in range(n)], mode='mirror') for k in range(n)]))
)",
            d.path().string());
  for (const char* name : {"f2", "f3"}) {
    const Array f = read_npy(d / (std::string(name) + ".npy"));
    for (const char* op : {"sobel", "gaussian"}) {
      GradientOptions o;
      if (std::string(op) == "sobel") {
        o.op = Operator::sobel;
        parse_boundary("constant:0.5", o);
      } else {
        parse_operator("gaussian:6", o);
        o.boundary = Boundary::mirror;
      }
      const auto g = gradient(f, o);
      const Array e =
          read_npy(d / (std::string(name) + (o.op == Operator::sobel ? "_sobel" : "_gauss") + ".npy"));
      for (std::size_t k = 0; k < g.size(); ++k)
        EXPECT_LE(max_diff(g[k], plane(e, static_cast<index_t>(k))), 1e-12 * max_abs(f))
            << name << " " << op << " " << k;
    }
  }
}

// Contiguous rows take fast paths (whole-row conversion, line passes fused with loading and
// storing); strided and reversed views take the general one. Both must give the same bits for
// every operator and boundary, in 2-D and 3-D.
TEST(Operators, StridedAndReversedViewsGiveTheBitsOfContiguousArrays) {
  for (const Shape& shape : {Shape{13, 21}, Shape{7, 9, 11}}) {
    const index_t n = shape_size(shape), last = shape.back();
    std::vector<float> base(static_cast<std::size_t>(2 * n));
    for (std::size_t i = 0; i < base.size(); ++i)
      base[i] = static_cast<float>(std::sin(0.7 * static_cast<double>(i * i % 101)));
    Array contiguous(DType::float32, shape);
    auto* c = static_cast<float*>(contiguous.data());
    for (index_t i = 0; i < n; ++i) c[i] = base[static_cast<std::size_t>(2 * i)];
    Shape strides = c_strides(shape);
    for (auto& s : strides) s *= 2;  // every other float of `base`: inner stride 2
    const ConstArrayView<float> strided(base.data(), shape, strides);
    for (const char* op : {"central", "central4", "sobel", "scharr", "gaussian:1.3"})
      for (const char* boundary : {"reflect", "mirror", "nearest", "wrap", "constant:0.5"}) {
        GradientOptions o;
        parse_operator(op, o);
        parse_boundary(boundary, o);
        const auto want = gradient(contiguous, o);
        // Output 0 with reversed rows along axis 0, the others with inner stride 2.
        std::vector<std::vector<float>> bufs;
        std::vector<ArrayView<float>> views;
        for (std::size_t k = 0; k < shape.size(); ++k) {
          if (k == 0) {
            bufs.emplace_back(static_cast<std::size_t>(n));
            Shape rs = c_strides(shape);
            rs[0] = -rs[0];
            views.emplace_back(bufs.back().data() + (shape[0] - 1) * c_strides(shape)[0], shape, rs);
          } else {
            bufs.emplace_back(static_cast<std::size_t>(2 * n));
            Shape ws = c_strides(shape);
            for (auto& s : ws) s *= 2;
            views.emplace_back(bufs.back().data(), shape, ws);
          }
        }
        gradient_into(strided, views, o);
        const std::string what = std::string(op) + " " + boundary + " rank " + std::to_string(shape.size());
        for (std::size_t k = 0; k < shape.size(); ++k) {
          const auto* w = static_cast<const float*>(want[k].data());
          index_t mismatches = 0;
          for (index_t i = 0; i < n; ++i) {
            index_t off = 0, rest = i;
            for (std::size_t d = shape.size(); d-- > 0;) {
              off += (rest % shape[d]) * views[k].strides()[d];
              rest /= shape[d];
            }
            float got = views[k].data()[off];
            mismatches += std::memcmp(&got, &w[i], sizeof got) != 0;
          }
          EXPECT_EQ(mismatches, 0) << what << " component " << k << " (last axis " << last << ")";
        }
      }
  }
}

// A float32 input is read and converted inside the passes (its rows taken directly by the axis-0
// pass, blocks of samples accumulated in registers); it must give exactly what the same values
// given as float64 give (the float64 path is the one compared with scipy). Rows wide enough for
// the register blocks and several column strips.
TEST(Operators, Float32InputGivesTheBitsOfTheSameValuesInFloat64) {
  for (const Shape& shape : {Shape{90, 333}, Shape{40, 37, 150}}) {
    const Array f32 = gradmap_test::random_array<float>(DType::float32, shape, 10.0, 7);
    Array f64(DType::float64, shape);
    for (index_t i = 0; i < f32.size(); ++i)
      static_cast<double*>(f64.data())[i] = static_cast<const float*>(f32.data())[i];
    for (const char* op : {"central4", "sobel", "gaussian:2.5", "gaussian:9"})
      for (const char* boundary : {"reflect", "wrap", "constant:1.5"}) {
        GradientOptions o;
        parse_operator(op, o);
        parse_boundary(boundary, o);
        o.dtype = DType::float32;
        const auto a = gradient(f32, o), b = gradient(f64, o);
        for (std::size_t k = 0; k < a.size(); ++k)
          EXPECT_TRUE(gradmap_test::same_bits(a[k], b[k])) << op << " " << boundary << " component " << k;
      }
  }
}
