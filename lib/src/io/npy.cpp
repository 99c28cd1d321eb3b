// SPDX-License-Identifier: MIT
// The NPY format (numpy/lib/format.py): magic, version, a Python-literal header dict, raw data.
// The header is checked against the file size before anything data-sized is allocated, so a
// hostile header claiming a huge shape costs nothing.
#include "gradmap/npy.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <tbb/parallel_for.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>

#include "gradmap/io.hpp"  // write_atomically

namespace gradmap {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw IoError("'" + path + "': " + why);
}

struct Header {
  DType dtype = DType::float64;
  bool big_endian = false;
  bool fortran = false;
  Shape shape;
};

std::string skip_ws(const std::string& s, std::size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  return {};
}

/// Finds `'key':` in the dict text and returns the index just after the colon.
std::size_t find_key(const std::string& path, const std::string& h, const char* key) {
  for (const char q : {'\'', '"'}) {
    const std::string k = std::string(1, q) + key + std::string(1, q);
    std::size_t p = h.find(k);
    if (p == std::string::npos) continue;
    p += k.size();
    skip_ws(h, p);
    if (p < h.size() && h[p] == ':') return p + 1;
  }
  fail(path, std::string("corrupt NPY header: no '") + key + "' entry in " + h);
}

DType parse_descr(const std::string& path, const std::string& h, bool& big_endian) {
  std::size_t p = find_key(path, h, "descr");
  skip_ws(h, p);
  if (p < h.size() && h[p] == '[')
    fail(path, "structured (record) arrays are not supported; save a plain numeric array");
  if (p >= h.size() || (h[p] != '\'' && h[p] != '"')) fail(path, "corrupt NPY header: bad 'descr' in " + h);
  const char q = h[p];
  const std::size_t end = h.find(q, p + 1);
  if (end == std::string::npos) fail(path, "corrupt NPY header: unterminated 'descr'");
  std::string d = h.substr(p + 1, end - p - 1);
  if (d.size() < 2) fail(path, "corrupt NPY header: bad 'descr' '" + d + "'");
  char order = '|';
  if (d[0] == '<' || d[0] == '>' || d[0] == '|' || d[0] == '=') {
    order = d[0];
    d = d.substr(1);
  }
  big_endian = order == '>';
  const char kind = d[0];
  const std::string size = d.substr(1);
  auto bad = [&](const std::string& what) -> DType {
    fail(path, "unsupported dtype '" + h.substr(p + 1, end - p - 1) + "' (" + what +
                   "); gradmap reads int8..int64, uint8..uint64, float16, float32, float64");
  };
  if (kind == 'O') return bad("object arrays, possibly pickled, are never loaded");
  if (kind == 'b') return bad("boolean");
  if (kind == 'c') return bad("complex");
  if (kind == 'i' || kind == 'u') {
    const bool u = kind == 'u';
    if (size == "1") return u ? DType::uint8 : DType::int8;
    if (size == "2") return u ? DType::uint16 : DType::int16;
    if (size == "4") return u ? DType::uint32 : DType::int32;
    if (size == "8") return u ? DType::uint64 : DType::int64;
  }
  if (kind == 'f') {
    if (size == "2") return DType::float16;
    if (size == "4") return DType::float32;
    if (size == "8") return DType::float64;
  }
  return bad("not a plain integer or float type");
}

Header parse_header(const std::string& path, const std::string& h) {
  Header hd;
  std::size_t b = 0;
  skip_ws(h, b);
  if (b >= h.size() || h[b] != '{') fail(path, "corrupt NPY header: not a dict: " + h);
  hd.dtype = parse_descr(path, h, hd.big_endian);
  std::size_t p = find_key(path, h, "fortran_order");
  skip_ws(h, p);
  if (h.compare(p, 4, "True") == 0)
    hd.fortran = true;
  else if (h.compare(p, 5, "False") == 0)
    hd.fortran = false;
  else
    fail(path, "corrupt NPY header: bad 'fortran_order' in " + h);
  p = find_key(path, h, "shape");
  skip_ws(h, p);
  if (p >= h.size() || h[p] != '(') fail(path, "corrupt NPY header: bad 'shape' in " + h);
  ++p;
  while (true) {
    skip_ws(h, p);
    if (p < h.size() && h[p] == ')') break;
    std::size_t q = p;
    while (q < h.size() && std::isdigit(static_cast<unsigned char>(h[q]))) ++q;
    if (q == p || q - p > 18) fail(path, "corrupt NPY header: bad 'shape' in " + h);
    hd.shape.push_back(static_cast<index_t>(std::stoll(h.substr(p, q - p))));
    p = q;
    skip_ws(h, p);
    if (p < h.size() && h[p] == ',')
      ++p;
    else if (p < h.size() && h[p] == ')')
      break;
    else
      fail(path, "corrupt NPY header: bad 'shape' in " + h);
  }
  return hd;
}

void byteswap(unsigned char* data, std::size_t count, std::size_t width) {
  for (std::size_t i = 0; i < count; ++i) std::reverse(data + i * width, data + (i + 1) * width);
}

std::string descr_of(DType t) {
  switch (t) {
    case DType::int8:
      return "|i1";
    case DType::uint8:
      return "|u1";
    case DType::int16:
      return "<i2";
    case DType::uint16:
      return "<u2";
    case DType::int32:
      return "<i4";
    case DType::uint32:
      return "<u4";
    case DType::int64:
      return "<i8";
    case DType::uint64:
      return "<u8";
    case DType::float16:
      return "<f2";
    case DType::float32:
      return "<f4";
    case DType::float64:
      return "<f8";
  }
  return "";
}

}  // namespace

Array read_npy(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) fail(path, std::string("cannot read: ") + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) fail(path, "cannot read: it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, std::string("cannot read: ") + std::strerror(errno));
  const auto file_size = static_cast<std::uint64_t>(st.st_size);

  unsigned char pre[10];
  if (file_size < 10 || !in.read(reinterpret_cast<char*>(pre), 10)) fail(path, "not an NPY file: too short");
  if (std::memcmp(pre, "\x93NUMPY", 6) != 0) fail(path, "not an NPY file: bad magic bytes");
  const int major = pre[6], minor = pre[7];
  if (major < 1 || major > 3 || minor != 0)
    fail(path, "unsupported NPY format version " + std::to_string(major) + "." + std::to_string(minor) +
                   " (gradmap reads 1.0, 2.0 and 3.0)");
  std::uint64_t header_len = 0, prefix = 10;
  if (major == 1) {
    header_len = pre[8] | (static_cast<std::uint64_t>(pre[9]) << 8);
  } else {
    unsigned char more[2];
    if (!in.read(reinterpret_cast<char*>(more), 2)) fail(path, "truncated NPY header");
    header_len = pre[8] | (static_cast<std::uint64_t>(pre[9]) << 8) |
                 (static_cast<std::uint64_t>(more[0]) << 16) | (static_cast<std::uint64_t>(more[1]) << 24);
    prefix = 12;
  }
  if (prefix + header_len > file_size)
    fail(path, "truncated NPY header: it claims " + std::to_string(header_len) + " bytes, the file has " +
                   std::to_string(file_size - prefix));
  std::string text(static_cast<std::size_t>(header_len), '\0');
  if (!in.read(text.data(), static_cast<std::streamsize>(header_len))) fail(path, "truncated NPY header");
  const Header h = parse_header(path, text);

  // Data size from the header, with overflow checks, compared with what the file holds.
  std::uint64_t count = 1;
  for (index_t e : h.shape)
    if (__builtin_mul_overflow(count, static_cast<std::uint64_t>(e), &count))
      fail(path, "corrupt NPY header: shape " + shape_string(h.shape) + " overflows");
  std::uint64_t bytes = 0;
  if (__builtin_mul_overflow(count, static_cast<std::uint64_t>(dtype_size(h.dtype)), &bytes) ||
      count > static_cast<std::uint64_t>(std::numeric_limits<index_t>::max()))
    fail(path, "corrupt NPY header: shape " + shape_string(h.shape) + " overflows");
  const std::uint64_t have = file_size - prefix - header_len;
  if (have < bytes)
    fail(path, "truncated: header shape " + shape_string(h.shape) + " of " + dtype_name(h.dtype) + " needs " +
                   std::to_string(bytes) + " data bytes, the file has " + std::to_string(have));
  if (have > bytes)
    fail(path, "corrupt: " + std::to_string(have - bytes) + " bytes after the data that header shape " +
                   shape_string(h.shape) + " describes");

  // Not zeroed: every byte is read into it below (zeroing a 64 MiB input first was 9 of the 57 ms
  // of `gradmap gradient` on it, bench/process_bench.py).
  Array a = Array::uninitialized(h.dtype, h.shape);
  if (bytes && !in.read(static_cast<char*>(a.data()), static_cast<std::streamsize>(bytes)))
    fail(path, "read error in the data section");
  if (h.big_endian && dtype_size(h.dtype) > 1)
    byteswap(static_cast<unsigned char*>(a.data()), static_cast<std::size_t>(count), dtype_size(h.dtype));
  // An empty array has nothing to reorder (and its Fortran strides could overflow).
  if (h.fortran && h.shape.size() > 1 && count > 0) {
    // Fortran order: the first index varies fastest. View the buffer that way and copy to C order.
    Shape strides(h.shape.size());
    index_t acc = 1;
    for (std::size_t d = 0; d < h.shape.size(); ++d) {
      strides[d] = acc;
      acc *= h.shape[d];
    }
    a = visit_dtype(h.dtype, [&](auto tag) {
      using T = decltype(tag);
      return to_array(ConstArrayView<T>(static_cast<const T*>(a.data()), h.shape, strides));
    });
  }
  return a;
}

namespace {

/// The .npy header of an array of `dtype` and `shape` in C order: magic, version, the header dict
/// padded so that the data starts at a multiple of 64 bytes (format.py).
std::string npy_header(DType dtype, const Shape& shape) {
  std::string dict =
      "{'descr': '" + descr_of(dtype) + "', 'fortran_order': False, 'shape': " + shape_string(shape) + ", }";
  std::size_t prefix = 10;
  std::size_t total = prefix + dict.size() + 1;
  if ((total + 63) / 64 * 64 - prefix > 65535) prefix = 12;
  total = prefix + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict += '\n';
  const auto len = static_cast<std::uint32_t>(dict.size());
  std::string h("\x93NUMPY", 6);
  if (prefix == 10) {
    h += {'\x01', '\x00', static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
  } else {
    h += {'\x02',
          '\x00',
          static_cast<char>(len & 0xff),
          static_cast<char>((len >> 8) & 0xff),
          static_cast<char>((len >> 16) & 0xff),
          static_cast<char>(len >> 24)};
  }
  return h + dict;
}

/// Writes all `n` bytes to `fd` (the temporary of `path`).
void write_all(int fd, const void* data, std::size_t n, const std::string& path) {
  const auto* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t k = ::write(fd, p, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) fail(path, std::string("write failed: ") + std::strerror(k < 0 ? errno : EIO));
    p += k;
    n -= static_cast<std::size_t>(k);
  }
}

/// An open file descriptor, closed on scope exit (an error path's close result does not matter).
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

void write_npy(const std::string& path, const Array& a) {
  const std::string header = npy_header(a.dtype(), a.shape());
  write_atomically(path, [&](const std::string& tmp) {
    Fd f{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)};
    if (f.fd < 0) fail(path, std::string("cannot write: ") + std::strerror(errno));
    write_all(f.fd, header.data(), header.size(), path);
    write_all(f.fd, a.data(), a.nbytes(), path);
    const int fd = f.fd;
    f.fd = -1;
    if (::close(fd) != 0) fail(path, std::string("cannot write: ") + std::strerror(errno));
  });
}

void write_npy_rows(const std::vector<std::string>& paths, DType dtype, const Shape& shape,
                    index_t block_rows,
                    const std::function<void(index_t, index_t, std::vector<Array>&)>& fill) {
  if (shape.empty()) throw InvalidArgument("write_npy_rows: arrays of rank 0 have no rows");
  const std::string header = npy_header(dtype, shape);
  const index_t n0 = shape[0];
  block_rows = std::max<index_t>(1, std::min(block_rows, n0));
  std::vector<std::string> tmps;
  // One write_atomically per file, nested: every temporary exists while the rows are written, and
  // an exception anywhere removes all of them; the renames come once every file is complete.
  std::function<void(std::size_t)> nest = [&](std::size_t k) {
    if (k < paths.size()) {
      write_atomically(paths[k], [&](const std::string& tmp) {
        tmps.push_back(tmp);
        nest(k + 1);
      });
      return;
    }
    std::vector<Fd> fds(paths.size());
    for (std::size_t i = 0; i < paths.size(); ++i) {
      fds[i].fd = ::open(tmps[i].c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
      if (fds[i].fd < 0) fail(paths[i], std::string("cannot write: ") + std::strerror(errno));
      write_all(fds[i].fd, header.data(), header.size(), paths[i]);
    }
    Shape block_shape = shape;
    block_shape[0] = block_rows;
    std::vector<Array> blocks;
    for (std::size_t i = 0; i < paths.size(); ++i) blocks.push_back(Array::uninitialized(dtype, block_shape));
    for (index_t r0 = 0; r0 < n0; r0 += block_rows) {
      const index_t r1 = std::min(n0, r0 + block_rows);
      if (r1 - r0 != block_rows) {  // the last, shorter block
        block_shape[0] = r1 - r0;
        for (auto& b : blocks) b = Array::uninitialized(dtype, block_shape);
      }
      fill(r0, r1, blocks);
      // The files in parallel: a write to the page cache is a memory copy, one core's worth each.
      tbb::parallel_for(std::size_t{0}, paths.size(), [&](std::size_t i) {
        write_all(fds[i].fd, blocks[i].data(), blocks[i].nbytes(), paths[i]);
      });
    }
    for (std::size_t i = 0; i < paths.size(); ++i) {
      const int fd = fds[i].fd;
      fds[i].fd = -1;
      if (::close(fd) != 0) fail(paths[i], std::string("cannot write: ") + std::strerror(errno));
    }
  };
  nest(0);
}

}  // namespace gradmap
