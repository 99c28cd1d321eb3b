// SPDX-License-Identifier: MIT
// gradmap::read_npy / write_npy against files written and read by numpy itself (the oracle
// interpreter GRADMAP_PYTHON): every dtype, format versions 1.0/2.0/3.0, big-endian, Fortran order,
// rank 0 and empty arrays, round trips, and malformed files that must give an IoError naming the
// file before anything data-sized is allocated.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <typeinfo>
#include <vector>

#include "gradmap/array.hpp"
#include "gradmap/error.hpp"
#include "gradmap/io.hpp"
#include "test_util.hpp"

namespace {

using gradmap::Array;
using gradmap::DType;
using gradmap::Shape;
using gradmap_test::shell_quote;
using gradmap_test::TempDir;
using json = nlohmann::json;
namespace fs = std::filesystem;

/// Writes the fixtures. Readable files get `<name>.npy` plus `<name>.raw`, the values numpy holds,
/// as little-endian C-order bytes, and an entry {dtype, shape} in fixtures.json; malformed files
/// get `bad_<name>.npy` only.
const char* const kFixtureScript = R"PY(
import io, json, pickle, sys
import numpy as np
from numpy.lib import format as fmt

out = sys.argv[1]
man = {}
INTS = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
FLOATS = ["float16", "float32", "float64"]

def values(dt, shape=(3, 4)):
    dt = np.dtype(dt)
    n = int(np.prod(shape))
    if dt.kind in "iu":
        info = np.iinfo(dt)
        pool = [int(info.min), int(info.max), 0, 1, int(info.max) // 3, int(info.min) // 3, 42,
                int(info.max) - 1, 7, int(info.min) + 1, 100, 5]
    else:
        fi = np.finfo(dt)
        pool = [0.0, -0.0, 1.5, -2.25, float(fi.max), -float(fi.max), float(fi.tiny),
                float(fi.smallest_subnormal), np.inf, -np.inf, np.nan, 1.0 / 3.0]
    v = np.array([pool[i % len(pool)] for i in range(n)], dtype=object)
    with np.errstate(all="ignore"):
        return np.array(list(v), dtype=dt).reshape(shape)

def good(name, written, version=None):
    with open("%s/%s.npy" % (out, name), "wb") as f:
        if version is None:
            np.save(f, written, allow_pickle=False)
        else:
            fmt.write_array(f, written, version=version, allow_pickle=False)
    want = written.astype(written.dtype.newbyteorder("<"), order="C")  # keeps rank 0
    with open("%s/%s.raw" % (out, name), "wb") as f:
        f.write(want.tobytes(order="C"))
    man[name] = {"dtype": want.dtype.name, "shape": list(want.shape)}

def raw_npy(name, header, data=b"", version=(1, 0), magic=b"\x93NUMPY"):
    """A hand-made file: magic, version, header text padded to 64 bytes, data."""
    h = header.encode("latin1")
    plen = 10 if version[0] == 1 else 12
    pad = (64 - (plen + len(h) + 1) % 64) % 64
    h = h + b" " * pad + b"\n"
    ln = len(h).to_bytes(2 if version[0] == 1 else 4, "little")
    with open("%s/bad_%s.npy" % (out, name), "wb") as f:
        f.write(magic + bytes(version) + ln + h + data)

for dt in INTS + FLOATS:
    good("v1_" + dt, values(dt))
    good("v2_" + dt, values(dt, (2, 3, 2)), version=(2, 0))
    good("v3_" + dt, values(dt, (12,)), version=(3, 0))
for dt in ["i2", "u2", "i4", "u4", "i8", "u8", "f2", "f4", "f8", "i1", "u1"]:
    good("be_" + dt, values(">" + dt if dt[1] != "1" else "|" + dt))
for dt in ["float32", "int16", "float64", "uint8", "float16"]:
    good("fortran2_" + dt, np.asfortranarray(values(dt, (3, 5))))
    good("fortran3_" + dt, np.asfortranarray(values(dt, (2, 3, 4))))
good("fortran_be_f8", np.asfortranarray(values(">f8", (4, 3))))
good("fortran_be_i4_v2", np.asfortranarray(values(">i4", (2, 5, 3))), version=(2, 0))
good("rank0_float64", np.array(3.25))
good("rank0_int16", np.array(-7, dtype=np.int16))
good("empty_float32", np.zeros((0, 3), np.float32))
good("rank5_uint16", values("uint16", (2, 1, 3, 1, 2)))
good("long_1d_float32", np.arange(100000, dtype=np.float32) * np.float32(0.37))

# Malformed or unsupported files.
np.save(out + "/bad_object.npy", np.array([1, "a", None], dtype=object), allow_pickle=True)
with open(out + "/bad_pickle.npy", "wb") as f:
    pickle.dump(np.arange(4.0), f)
np.save(out + "/bad_structured.npy", np.zeros(3, dtype=[("a", "<f4"), ("b", "<i4")]))
np.save(out + "/bad_bool.npy", np.array([True, False, True]))
np.save(out + "/bad_complex64.npy", np.arange(3, dtype=np.complex64))
np.save(out + "/bad_complex128.npy", np.arange(3, dtype=np.complex128))
np.save(out + "/bad_unicode.npy", np.array(["ab", "c"]))
np.save(out + "/bad_datetime.npy", np.array(["2024-01-01"], dtype="datetime64[D]"))
b = io.BytesIO(); np.save(b, np.arange(100, dtype=np.float64)); full = b.getvalue()
with open(out + "/bad_truncated_data.npy", "wb") as f:
    f.write(full[:-8])
with open(out + "/bad_truncated_header.npy", "wb") as f:
    f.write(full[:40])
with open(out + "/bad_trailing_bytes.npy", "wb") as f:
    f.write(full + b"\0\0\0\0")
with open(out + "/bad_empty_file.npy", "wb") as f:
    pass
with open(out + "/bad_magic.npy", "wb") as f:
    f.write(b"\x93NUMPX" + full[6:])
with open(out + "/bad_version_4_0.npy", "wb") as f:
    f.write(full[:6] + bytes([4, 0]) + full[8:])
with open(out + "/bad_version_1_1.npy", "wb") as f:
    f.write(full[:6] + bytes([1, 1]) + full[8:])
with open(out + "/bad_header_len.npy", "wb") as f:
    f.write(full[:8] + (60000).to_bytes(2, "little") + full[10:200])
d16 = b"\0" * 16
raw_npy("huge_shape", "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }", d16)
raw_npy("huge_shape_v2", "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100), }", d16, (2, 0))
raw_npy("overflowing_shape", "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4611686018427387904), }", d16)
raw_npy("overflowing_bytes", "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904,), }", d16)
raw_npy("negative_shape", "{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }", d16)
raw_npy("header_not_a_dict", "hello world", d16)
raw_npy("header_unclosed_shape", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,}", b"\0" * 12)
raw_npy("header_no_shape", "{'descr': '<f4', 'fortran_order': False, }", b"\0" * 12)
raw_npy("header_no_descr", "{'fortran_order': False, 'shape': (3,), }", b"\0" * 12)
raw_npy("header_bad_fortran", "{'descr': '<f4', 'fortran_order': maybe, 'shape': (3,), }", b"\0" * 12)
raw_npy("header_bad_descr", "{'descr': '<x4', 'fortran_order': False, 'shape': (3,), }", b"\0" * 12)
raw_npy("header_shape_text", "{'descr': '<f4', 'fortran_order': False, 'shape': 'three', }", b"\0" * 12)

with open(out + "/fixtures.json", "w") as f:
    json.dump(man, f)
)PY";

struct Fixtures {
  TempDir dir;
  json manifest;
  std::string error;
  std::string path(const std::string& name) const { return dir / (name + ".npy"); }
};

const Fixtures& fixtures() {
  static const std::unique_ptr<Fixtures> instance = [] {
    auto f = std::make_unique<Fixtures>();
    const auto r = gradmap_test::run_python(kFixtureScript, shell_quote(f->dir.path().string()));
    if (r.exit_code != 0) {
      f->error = "fixture script failed:\n" + r.out + r.err;
      return f;
    }
    std::ifstream in(f->dir / "fixtures.json");
    f->manifest = json::parse(in);
    return f;
  }();
  return *instance;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Reads fixture `name` and checks dtype, shape and the bytes of every value against numpy's.
void expect_reads_like_numpy(const std::string& name) {
  SCOPED_TRACE(name);
  const Fixtures& fx = fixtures();
  ASSERT_TRUE(fx.error.empty()) << fx.error;
  ASSERT_TRUE(fx.manifest.contains(name)) << "no fixture " << name;
  const json& want = fx.manifest.at(name);
  Array a;
  try {
    a = gradmap::read_npy(fx.path(name));
  } catch (const std::exception& e) {
    FAIL() << "read_npy threw: " << e.what();
  }
  EXPECT_EQ(gradmap::dtype_name(a.dtype()), want.at("dtype").get<std::string>());
  EXPECT_EQ(a.shape(), want.at("shape").get<Shape>());
  const std::string raw = slurp(fx.dir / (name + ".raw"));
  ASSERT_EQ(a.nbytes(), raw.size());
  if (!raw.empty()) {
    const auto* got = static_cast<const unsigned char*>(a.data());
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (got[i] != static_cast<unsigned char>(raw[i])) {
        ADD_FAILURE() << "byte " << i << " (element " << i / gradmap::dtype_size(a.dtype()) << ") differs";
        break;
      }
    }
  }
}

const char* const kAllDtypes[] = {"int8",   "int16",  "int32",   "int64",   "uint8",  "uint16",
                                  "uint32", "uint64", "float16", "float32", "float64"};

TEST(Npy, ReadsEveryDtypeWrittenByNumpy) {
  for (const char* t : kAllDtypes) expect_reads_like_numpy(std::string("v1_") + t);
}

TEST(Npy, ExtremeIntegerAndSpecialFloatValuesSurviveExactly) {
  // The v1 fixtures hold min/max integers, +-0, +-max, tiny, subnormal, +-Inf and NaN; spot-check
  // a few by value on top of the byte comparison.
  const Fixtures& fx = fixtures();
  ASSERT_TRUE(fx.error.empty()) << fx.error;
  const Array i64 = gradmap::read_npy(fx.path("v1_int64"));
  EXPECT_EQ(i64.view<std::int64_t>()({0, 0}), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(i64.view<std::int64_t>()({0, 1}), std::numeric_limits<std::int64_t>::max());
  const Array u64 = gradmap::read_npy(fx.path("v1_uint64"));
  EXPECT_EQ(u64.view<std::uint64_t>()({0, 1}), std::numeric_limits<std::uint64_t>::max());
  const Array f32 = gradmap::read_npy(fx.path("v1_float32"));
  const auto v = f32.view<float>();
  EXPECT_EQ(v({0, 2}), 1.5f);
  EXPECT_TRUE(std::signbit(v({0, 1})) && v({0, 1}) == 0.0f);
  EXPECT_EQ(v({1, 0}), std::numeric_limits<float>::max());
  EXPECT_EQ(v({2, 0}), std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(v({2, 2})));
  EXPECT_EQ(v({1, 3}), std::numeric_limits<float>::denorm_min());
}

TEST(Npy, ReadsFormatVersion2) {
  for (const char* t : kAllDtypes) expect_reads_like_numpy(std::string("v2_") + t);
}

TEST(Npy, ReadsFormatVersion3) {
  for (const char* t : kAllDtypes) expect_reads_like_numpy(std::string("v3_") + t);
}

TEST(Npy, BigEndianFloat32IsByteSwapped) {
  expect_reads_like_numpy("be_f4");
  const Array a = gradmap::read_npy(fixtures().path("be_f4"));
  ASSERT_EQ(a.dtype(), DType::float32);
  EXPECT_EQ(a.view<float>()({0, 2}), 1.5f);
  EXPECT_EQ(a.view<float>()({0, 3}), -2.25f);
}

TEST(Npy, BigEndianIntegersAndOtherFloatsAreByteSwapped) {
  for (const char* t :
       {"be_i2", "be_u2", "be_i4", "be_u4", "be_i8", "be_u8", "be_f2", "be_f8", "be_i1", "be_u1"})
    expect_reads_like_numpy(t);
  const Array a = gradmap::read_npy(fixtures().path("be_i2"));
  EXPECT_EQ(a.view<std::int16_t>()({0, 0}), -32768);
  EXPECT_EQ(a.view<std::int16_t>()({0, 1}), 32767);
}

TEST(Npy, FortranOrderComesOutInCOrder) {
  for (const char* t : {"float32", "int16", "float64", "uint8", "float16"}) {
    expect_reads_like_numpy(std::string("fortran2_") + t);
    expect_reads_like_numpy(std::string("fortran3_") + t);
  }
  // values(…, (3, 5)) is the pool in C order: element [1, 0] is pool[5], i.e. -max.
  const Array a = gradmap::read_npy(fixtures().path("fortran2_float64"));
  EXPECT_EQ(a.view<double>()({0, 2}), 1.5);
  EXPECT_EQ(a.view<double>()({1, 0}), -std::numeric_limits<double>::max());
}

TEST(Npy, BigEndianFortranOrderIsSwappedAndReordered) {
  expect_reads_like_numpy("fortran_be_f8");
  expect_reads_like_numpy("fortran_be_i4_v2");
}

TEST(Npy, RankZeroReadsAsOneElementArray) {
  // Documented by behaviour: read_npy keeps numpy's shape (), an Array of rank 0 and size 1.
  expect_reads_like_numpy("rank0_float64");
  expect_reads_like_numpy("rank0_int16");
  const Array a = gradmap::read_npy(fixtures().path("rank0_float64"));
  EXPECT_EQ(a.rank(), 0);
  EXPECT_EQ(a.size(), 1);
  EXPECT_EQ(*static_cast<const double*>(a.data()), 3.25);
}

TEST(Npy, EmptyHighRankAndLongArraysRead) {
  expect_reads_like_numpy("empty_float32");
  expect_reads_like_numpy("rank5_uint16");
  expect_reads_like_numpy("long_1d_float32");
}

// ------------------------------------------------------------------------------------------------
// Round trip: gradmap writes, numpy loads.

/// Loads every file of `paths` with numpy (allow_pickle=False) and returns, per path, {"name",
/// "shape", "fortran", "offset"} and the values as little-endian C-order bytes in `path`.raw.
json numpy_load(const std::vector<std::string>& paths) {
  const char* script = R"PY(
import json, sys
import numpy as np
res = {}
for p in sys.argv[1:]:
    a = np.load(p, allow_pickle=False)
    with open(p, "rb") as f:
        version = np.lib.format.read_magic(f)
        np.lib.format._read_array_header(f, version)
        offset = f.tell()
    with open(p + ".raw", "wb") as f:
        f.write(a.astype(a.dtype.newbyteorder("<"), order="C").tobytes())
    res[p] = {"descr": a.dtype.str, "name": a.dtype.name, "shape": list(a.shape),
              "fortran": bool(np.isfortran(a)), "offset": offset, "version": list(version)}
print(json.dumps(res))
)PY";
  std::string args;
  for (const auto& p : paths) args += " " + shell_quote(p);
  const auto r = gradmap_test::run_python(script, args);
  if (r.exit_code != 0) throw std::runtime_error("numpy could not load the files:\n" + r.err);
  return json::parse(r.out);
}

Array random_array(DType t, const Shape& shape, unsigned seed) {
  Array a(t, shape);
  std::mt19937 rng(seed);
  auto* p = static_cast<unsigned char*>(a.data());
  for (std::size_t i = 0; i < a.nbytes(); ++i) p[i] = static_cast<unsigned char>(rng() & 0xff);
  return a;
}

TEST(Npy, WrittenFilesLoadInNumpyBitForBit) {
  TempDir dir;
  unsigned seed = 1;
  std::vector<std::pair<std::string, Array>> written;
  for (const char* t : kAllDtypes) {
    for (const Shape& shape :
         {Shape{7}, Shape{3, 5}, Shape{2, 3, 4}, Shape{2, 1, 3, 2}, Shape{}, Shape{0, 4}}) {
      // Random bytes: every pattern is a valid integer or float, NaN payloads included.
      const Array a = random_array(gradmap::dtype_from_name(t), shape, seed++);
      const std::string path = dir / (std::string(t) + "_" + std::to_string(seed) + ".npy");
      gradmap::write_npy(path, a);
      written.emplace_back(path, a);
    }
  }
  std::vector<std::string> paths;
  for (const auto& w : written) paths.push_back(w.first);
  const json loaded = numpy_load(paths);
  for (const auto& [path, a] : written) {
    SCOPED_TRACE(std::string(gradmap::dtype_name(a.dtype())) + " " + gradmap::shape_string(a.shape()));
    const json& info = loaded.at(path);
    EXPECT_EQ(info.at("name").get<std::string>(), gradmap::dtype_name(a.dtype()));
    EXPECT_EQ(info.at("shape").get<Shape>(), a.shape());
    EXPECT_FALSE(info.at("fortran").get<bool>() && a.rank() > 1);
    EXPECT_EQ(info.at("offset").get<int>() % 64, 0) << "numpy pads the header to a multiple of 64 bytes";
    const std::string raw = slurp(path + ".raw");
    ASSERT_EQ(raw.size(), a.nbytes());
    EXPECT_TRUE(a.nbytes() == 0 || std::memcmp(raw.data(), a.data(), a.nbytes()) == 0) << "values differ";
    // And gradmap reads its own file back unchanged.
    const Array b = gradmap::read_npy(path);
    EXPECT_EQ(b.dtype(), a.dtype());
    EXPECT_EQ(b.shape(), a.shape());
    EXPECT_TRUE(a.nbytes() == 0 || std::memcmp(b.data(), a.data(), a.nbytes()) == 0);
  }
}

TEST(Npy, WriteIntoMissingDirectoryThrowsIoErrorNamingThePath) {
  TempDir dir;
  const std::string path = dir / "no/such/dir/out.npy";
  try {
    gradmap::write_npy(path, Array(DType::float32, {2, 2}));
    FAIL() << "write_npy into a missing directory succeeded";
  } catch (const gradmap::IoError& e) {
    EXPECT_NE(std::string(e.what()).find("out.npy"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST(Npy, OverwritingKeepsNoTemporaryFiles) {
  TempDir dir;
  const std::string path = dir / "a.npy";
  gradmap::write_npy(path, random_array(DType::float64, {4, 4}, 3));
  gradmap::write_npy(path, random_array(DType::uint8, {5}, 4));
  EXPECT_EQ(gradmap::read_npy(path).dtype(), DType::uint8);
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);
}

// ------------------------------------------------------------------------------------------------
// Malformed and unsupported files: IoError naming the file and the reason.

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

/// read_npy(path) must throw IoError whose message names the file and contains one of `reasons`
/// (case-insensitive).
void expect_io_error(const std::string& path, std::initializer_list<const char*> reasons) {
  SCOPED_TRACE(path);
  try {
    const Array a = gradmap::read_npy(path);
    ADD_FAILURE() << "read_npy accepted it: " << gradmap::dtype_name(a.dtype()) << " "
                  << gradmap::shape_string(a.shape());
  } catch (const gradmap::IoError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(fs::path(path).filename().string()), std::string::npos)
        << "message must name the file: " << msg;
    bool found = false;
    for (const char* r : reasons) found = found || lower(msg).find(lower(r)) != std::string::npos;
    EXPECT_TRUE(found) << "message does not say why: " << msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected gradmap::IoError, got " << typeid(e).name() << ": " << e.what();
  }
}

std::string bad(const std::string& name) {
  const Fixtures& fx = fixtures();
  EXPECT_TRUE(fx.error.empty()) << fx.error;
  return fx.path("bad_" + name);
}

TEST(Npy, ObjectArraysAreRefusedWithoutUnpickling) { expect_io_error(bad("object"), {"object", "pickle"}); }

TEST(Npy, PickleFileIsNotAnNpyFile) { expect_io_error(bad("pickle"), {"magic", "not an npy"}); }

TEST(Npy, StructuredArraysAreRefused) { expect_io_error(bad("structured"), {"structured", "record"}); }

TEST(Npy, BoolArraysAreRefused) {
  // gradmap's DType has no bool; reading refuses it (gradient of bool is numpy's error too).
  expect_io_error(bad("bool"), {"bool"});
}

TEST(Npy, ComplexArraysAreRefused) {
  expect_io_error(bad("complex64"), {"complex"});
  expect_io_error(bad("complex128"), {"complex"});
}

TEST(Npy, StringAndDatetimeArraysAreRefused) {
  expect_io_error(bad("unicode"), {"unsupported dtype"});
  expect_io_error(bad("datetime"), {"unsupported dtype"});
}

TEST(Npy, TruncatedDataIsAnError) { expect_io_error(bad("truncated_data"), {"truncated"}); }

TEST(Npy, TruncatedHeaderIsAnError) {
  expect_io_error(bad("truncated_header"), {"truncated"});
  expect_io_error(bad("header_len"), {"truncated"});
  expect_io_error(bad("empty_file"), {"too short", "truncated", "not an npy"});
}

TEST(Npy, BytesAfterTheDataAreAnError) {
  expect_io_error(bad("trailing_bytes"), {"after the data", "corrupt"});
}

TEST(Npy, HeaderClaimingAHugeShapeFailsBeforeAllocating) {
  // 8 TB and 4 TB claimed by files of a few bytes: an attempt to allocate would throw bad_alloc
  // (or exhaust memory) instead of IoError.
  expect_io_error(bad("huge_shape"), {"truncated"});
  expect_io_error(bad("huge_shape_v2"), {"truncated"});
}

TEST(Npy, ShapeWhoseSizeOverflowsIsAnError) {
  expect_io_error(bad("overflowing_shape"), {"overflow"});
  expect_io_error(bad("overflowing_bytes"), {"overflow"});
}

TEST(Npy, BadMagicIsAnError) { expect_io_error(bad("magic"), {"magic", "not an npy"}); }

TEST(Npy, UnsupportedVersionIsAnError) {
  expect_io_error(bad("version_4_0"), {"version"});
  expect_io_error(bad("version_1_1"), {"version"});
}

TEST(Npy, CorruptHeaderDictIsAnError) {
  for (const char* name : {"negative_shape", "header_not_a_dict", "header_unclosed_shape", "header_no_shape",
                           "header_no_descr", "header_bad_fortran", "header_shape_text"})
    expect_io_error(bad(name), {"corrupt", "header"});
  expect_io_error(bad("header_bad_descr"), {"unsupported dtype", "descr"});
}

TEST(Npy, MissingFileAndDirectoryAreIoErrors) {
  TempDir dir;
  expect_io_error(dir / "missing.npy", {"cannot read", "no such file"});
  fs::create_directory(dir / "adir.npy");
  expect_io_error(dir / "adir.npy", {"directory"});
}

}  // namespace

// Found by fuzz_npy: a zero extent after extents whose partial product overflows int64 is a valid,
// empty array; shape arithmetic must not overflow on the way to 0.
TEST(Npy, ZeroExtentAfterHugeExtentsIsAnEmptyArray) {
  const gradmap::Array a =
      gradmap::read_npy(std::string(GRADMAP_SOURCE_DIR) + "/tests/data/npy-zero-extent-huge-product.npy");
  EXPECT_EQ(a.size(), 0);
  ASSERT_GE(a.rank(), 2);
  bool has_zero = false;
  for (auto e : a.shape()) has_zero = has_zero || e == 0;
  EXPECT_TRUE(has_zero);
}
