#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""How bright is a magnitude display map of a photo under each normalization? (issue #12)

For each photo: luminance as gradmap reads it (BT.601, float32), np.gradient, np.hypot (what
`gradmap edges` computes), then the 8-bit levels gradmap's display_map gives for minmax and
percentile:P (level = floor((v - lo) / (hi - lo) * 255 + 1/2), clipped), and prints the mean level,
the level of the brightest 10 % (the 90th percentile of the levels: how bright the edges are) and
the share of pixels at 255 (saturated: their value is clipped). Cells: mean / p90 / % at 255.

    /usr/bin/python3 bench/display_defaults.py [more images...]
"""
import os
import sys

import cv2
import numpy as np

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def photos():
    yield 'sample_images/ascent_gray.png', cv2.imread(os.path.join(root, 'sample_images/ascent_gray.png'), cv2.IMREAD_UNCHANGED)
    yield 'sample_images/raccoon_color.jpg', cv2.imread(os.path.join(root, 'sample_images/raccoon_color.jpg'), cv2.IMREAD_UNCHANGED)
    try:
        import skimage.data as d
        for name in ('camera', 'astronaut', 'coffee', 'chelsea', 'rocket', 'brick', 'grass', 'gravel', 'moon', 'page'):
            img = getattr(d, name)()
            if img.ndim == 3:
                img = img[..., ::-1]  # RGB → BGR, as cv2 reads
            yield 'skimage.data.' + name, img
    except ImportError:
        pass
    for path in sys.argv[1:]:
        yield path, cv2.imread(path, cv2.IMREAD_UNCHANGED)


def luminance(img):
    if img.ndim == 2:
        return img
    b, g, r = (img[..., k].astype(np.float32) for k in range(3))
    return (np.float32(0.299) * r + np.float32(0.587) * g + np.float32(0.114) * b).astype(np.float32)


def levels(mag, lo, hi):
    if not hi > lo:
        return np.where(mag > lo, 255, 0).astype(np.float64)
    return np.floor(np.clip((mag.astype(np.float64) - lo) / (hi - lo) * 255, 0, 255) + 0.5)


rules = [('minmax', None), ('percentile:98', 98), ('percentile:99', 99), ('percentile:99.5', 99.5), ('percentile:99.9', 99.9)]
print('| image | size | ' + ' | '.join(r for r, _ in rules) + ' |')
print('|---|---|' + '---|' * len(rules))
for name, img in photos():
    f = luminance(img)
    gy, gx = np.gradient(f.astype(np.float32) if f.dtype != np.uint8 else f)
    mag = np.hypot(gy, gx)
    cells = []
    for rule, p in rules:
        if p is None:
            lo, hi = float(mag.min()), float(mag.max())
        else:
            lo, hi = 0.0, float(np.percentile(np.abs(mag), p))
        lv = levels(mag, lo, hi)
        cells.append('%.0f / %.0f / %.2f %%' % (lv.mean(), np.percentile(lv, 90), 100 * (lv == 255).mean()))
    print('| %s | %dx%d | %s |' % (name, f.shape[1], f.shape[0], ' | '.join(cells)))
