# SPDX-License-Identifier: MIT
"""`cmake --install` of the python component into a fresh prefix gives an importable, working
gradmap package in <prefix>/lib/python3.X/dist-packages (what docs/python.md tells users)."""
import os
import subprocess
import sys

import pytest

BUILD = os.environ.get("GRADMAP_BUILD_DIR")


@pytest.mark.skipif(not BUILD, reason="needs GRADMAP_BUILD_DIR (set by ctest)")
def test_cmake_install_gives_an_importable_package(tmp_path):
    prefix = tmp_path / "prefix"
    subprocess.run(["cmake", "--install", BUILD, "--prefix", str(prefix), "--component", "python"], check=True,
                   capture_output=True)
    site = prefix / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "dist-packages"
    assert (site / "gradmap" / "__init__.pyi").exists() and (site / "gradmap" / "dask.py").exists()
    code = ("import gradmap, numpy as np; assert gradmap.__file__.startswith(%r), gradmap.__file__; "
            "f = np.arange(20.0).reshape(4, 5) ** 2; "
            "assert all(np.array_equal(a, b) for a, b in zip(gradmap.gradient(f, 0.5), np.gradient(f, 0.5)))"
            % str(site))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=tmp_path)
