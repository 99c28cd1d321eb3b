// SPDX-License-Identifier: MIT
// The PNG reader's plain path (lib/src/codec/png_decode.cpp: libdeflate's inflate and gradmap's own
// unfiltering, for 8/16-bit gray, RGB and RGBA without interlacing or ancillary chunks) against
// libpng, which decodes every other PNG and used to decode these. Files come from a hand-made
// writer that uses each of PNG's five filters on every row layout (so every filter meets every
// pixel size, 1 to 8 bytes), from OpenCV (libpng's adaptive filters) and from PIL; the files the
// plain path must leave to libpng include a palette, an alpha-less colour key, gray + alpha, 1-bit,
// interlacing, a bad CRC, a zlib stream with a small window and one with data after its end.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "codec/png_decode.hpp"
#include "gradmap/io.hpp"
#include "io/probes/raster_probe.hpp"
#include "test_util.hpp"

namespace {

using gradmap::detail::PngPixels;
using gradmap_test::TempDir;

constexpr const char* kWriter = R"PY(
import os, sys, struct, zlib
import numpy as np, cv2
from PIL import Image
d = sys.argv[1]
rng = np.random.default_rng(5)

def chunk(t, data):
    return struct.pack('>I', len(data)) + t + data + struct.pack('>I', zlib.crc32(t + data) & 0xffffffff)

def paeth(a, b, c):
    p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c

def filtered(rows, bpp, kinds):
    out, prev = b'', bytes(len(rows[0]))
    for y, row in enumerate(rows):
        t = kinds[y]; f = bytearray(len(row))
        for i in range(len(row)):
            a = row[i - bpp] if i >= bpp else 0; b = prev[i]; c = prev[i - bpp] if i >= bpp else 0
            pred = (0, a, b, (a + b) // 2, paeth(a, b, c))[t]
            f[i] = (row[i] - pred) & 255
        out += bytes([t]) + bytes(f); prev = row
    return out

def png(name, w, h, depth, color, raw, idats=1, interlace=0, wbits=15, tail=b'', extra=()):
    ihdr = struct.pack('>IIBBBBB', w, h, depth, color, 0, 0, interlace)
    co = zlib.compressobj(6, zlib.DEFLATED, wbits)
    z = co.compress(raw) + co.flush() + tail
    parts = [z[i * len(z) // idats:(i + 1) * len(z) // idats] for i in range(idats)]
    body = chunk(b'IHDR', ihdr) + b''.join(extra) + b''.join(chunk(b'IDAT', p) for p in parts)
    open(os.path.join(d, name), 'wb').write(b'\x89PNG\r\n\x1a\n' + body + chunk(b'IEND', b''))

def samples(h, w, ch, depth):
    a = rng.integers(0, 1 << depth, size=(h, w, ch), dtype=np.uint16 if depth == 16 else np.uint8)
    a[: h // 2, : w // 2] = a[0, 0]  # a flat corner, so that filters predict well somewhere
    return a

plain = []
for depth in (8, 16):
    for color, ch in ((0, 1), (2, 3), (6, 4)):
        for w, h in ((1, 1), (3, 7), (13, 6), (64, 10)):
            a = samples(h, w, ch, depth)
            rows = [a[y].astype('>u2').tobytes() if depth == 16 else a[y].tobytes() for y in range(h)]
            bpp = ch * depth // 8
            for start in range(5):  # every filter on every row index
                name = 'plain_d%d_c%d_%dx%d_f%d.png' % (depth, color, w, h, start)
                png(name, w, h, depth, color, filtered(rows, bpp, [(y + start) % 5 for y in range(h)]),
                    idats=1 + start % 3)
                plain.append(name)
img = rng.integers(0, 256, size=(47, 61, 3), dtype=np.uint8)
img[10:30, 5:50] = (40, 90, 200)
for name, a in (('cv_gray8.png', img[..., 0]), ('cv_bgr8.png', img),
                ('cv_bgra8.png', np.dstack([img, img[..., 1]])),
                ('cv_gray16.png', img[..., 0].astype(np.uint16) * 257 + 3),
                ('cv_bgr16.png', img.astype(np.uint16) * 250),
                ('cv_bgra16.png', np.dstack([img, img[..., :1]]).astype(np.uint16) * 251)):
    cv2.imwrite(os.path.join(d, name), a)
    plain.append(name)
Image.fromarray(img).save(os.path.join(d, 'pil_rgb_optimized.png'), optimize=True)
plain.append('pil_rgb_optimized.png')

other = []
Image.fromarray(img).quantize(16).save(os.path.join(d, 'other_palette.png')); other.append('other_palette.png')
Image.fromarray(np.dstack([img[..., 0], img[..., 1]]), 'LA').save(os.path.join(d, 'other_gray_alpha.png'))
other.append('other_gray_alpha.png')
Image.fromarray(img).save(os.path.join(d, 'other_color_key.png'), transparency=(40, 90, 200))
other.append('other_color_key.png')
Image.fromarray(img[..., 0] > 128).save(os.path.join(d, 'other_1bit.png')); other.append('other_1bit.png')
# Adam7 with filter 0 on every pass row: a valid interlaced file.
a = samples(9, 11, 1, 8)[..., 0]
raw = b''
for x0, y0, dx, dy in ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)):
    p = a[y0::dy, x0::dx]
    if p.size: raw += b''.join(b'\x00' + r.tobytes() for r in p)
png('other_interlaced.png', 11, 9, 8, 0, raw, interlace=1); other.append('other_interlaced.png')
a = samples(10, 64, 1, 8)[..., 0]  # 650 bytes of rows behind a 512-byte window
png('other_small_window.png', 64, 10, 8, 0, b''.join(b'\x00' + r.tobytes() for r in a), wbits=9)
other.append('other_small_window.png')
a = samples(6, 5, 1, 8)[..., 0]
rows = b''.join(b'\x00' + r.tobytes() for r in a)
png('plain_small_window.png', 5, 6, 8, 0, rows, wbits=9); plain.append('plain_small_window.png')  # 36 bytes
png('other_trailing_data.png', 5, 6, 8, 0, rows, tail=b'\x00\x00'); other.append('other_trailing_data.png')
png('other_text_chunk.png', 5, 6, 8, 0, rows, extra=(chunk(b'tEXt', b'Comment\x00hi'),))
other.append('other_text_chunk.png')  # ancillary: filtered out before decoding, so plain after all
b = bytearray(open(os.path.join(d, 'plain_d8_c0_13x6_f0.png'), 'rb').read()); b[-14] ^= 1  # the IDAT's CRC
open(os.path.join(d, 'bad_crc.png'), 'wb').write(bytes(b))
print(','.join(plain)); print(','.join(other))
)PY";

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at <= s.size()) {
    const std::size_t comma = std::min(s.find(',', at), s.size());
    if (comma > at) out.push_back(s.substr(at, comma - at));
    at = comma + 1;
  }
  return out;
}

/// The chunks libpng sees (the probe's filtering) and the IHDR size, as read_image passes them.
std::vector<unsigned char> pixel_chunks(const std::string& path, double& w, double& h) {
  int exif = 0;
  std::vector<unsigned char> b = gradmap::detail::png_pixel_chunks(path, exif);
  auto be32 = [&](std::size_t at) {
    return double(std::uint32_t{b[at]} << 24 | std::uint32_t{b[at + 1]} << 16 |
                  std::uint32_t{b[at + 2]} << 8 | b[at + 3]);
  };
  w = be32(16);
  h = be32(20);
  return b;
}

}  // namespace

TEST(PngDecode, PlainPathGivesLibpngsSamplesAndLeavesEveryOtherFileToIt) {
  TempDir tmp;
  const auto r = gradmap_test::run_python(kWriter, gradmap_test::shell_quote(tmp.path().string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::size_t newline = r.out.find('\n');
  const std::vector<std::string> plain = split(r.out.substr(0, newline));
  std::vector<std::string> other =
      split(r.out.substr(newline + 1, r.out.find('\n', newline + 1) - newline - 1));
  ASSERT_GE(plain.size(), 120u);
  ASSERT_EQ(other.size(), 8u);
  for (const std::string& name : plain) {
    const std::string path = tmp / name;
    double w = 0, h = 0;
    const auto bytes = pixel_chunks(path, w, h);
    PngPixels fast;
    ASSERT_TRUE(gradmap::detail::decode_plain_png(bytes, w, h, fast))
        << name << " should take the plain path";
    const PngPixels want = gradmap::detail::decode_png_with_libpng(path, bytes, w, h);
    EXPECT_TRUE(want.warnings.empty()) << name;
    EXPECT_EQ(fast.rows, want.rows) << name;
    EXPECT_EQ(fast.cols, want.cols) << name;
    EXPECT_EQ(fast.channels, want.channels) << name;
    EXPECT_EQ(fast.bytes_per_sample, want.bytes_per_sample) << name;
    EXPECT_TRUE(fast.samples == want.samples) << name << ": samples differ from libpng's";
  }
  // The text chunk is dropped before decoding (png_pixel_chunks), so that file is plain too.
  other.erase(std::remove(other.begin(), other.end(), "other_text_chunk.png"), other.end());
  for (const std::string& name : other) {
    const std::string path = tmp / name;
    double w = 0, h = 0;
    const auto bytes = pixel_chunks(path, w, h);
    PngPixels untouched;
    EXPECT_FALSE(gradmap::detail::decode_plain_png(bytes, w, h, untouched)) << name << " must go to libpng";
    EXPECT_TRUE(untouched.samples.empty()) << name;
    // And libpng still reads it, as read_image does.
    EXPECT_NO_THROW(gradmap::read_image(path)) << name;
  }
  {
    double w = 0, h = 0;
    const auto bytes = pixel_chunks(tmp / "other_text_chunk.png", w, h);
    PngPixels fast;
    EXPECT_TRUE(gradmap::detail::decode_plain_png(bytes, w, h, fast));
  }
  // A damaged file: not decoded by the plain path, and libpng's error reaches the user as before.
  double w = 0, h = 0;
  const auto bad = pixel_chunks(tmp / "bad_crc.png", w, h);
  PngPixels none;
  EXPECT_FALSE(gradmap::detail::decode_plain_png(bad, w, h, none));
  try {
    gradmap::read_image(tmp / "bad_crc.png");
    ADD_FAILURE() << "a PNG with a bad CRC was read";
  } catch (const gradmap::IoError& e) {
    EXPECT_NE(std::string(e.what()).find("CRC"), std::string::npos) << e.what();
  }
}
