# SPDX-License-Identifier: MIT
"""Builds gradmap's extension module with the project's CMake build (only the module's target and
the libraries it needs; no tests, CLI or benchmarks). Metadata is in pyproject.toml."""
import os
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build = os.path.abspath(os.path.join(self.build_temp, "cmake"))
        subprocess.check_call(["cmake", "-S", ROOT, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                               "-DGRADMAP_BUILD_TESTS=OFF", "-DGRADMAP_BUILD_APP=OFF", "-DGRADMAP_BUILD_BENCH=OFF",
                               "-DGRADMAP_INSTALL=OFF", "-DGRADMAP_BUILD_PYTHON=ON",
                               f"-DPython3_EXECUTABLE={sys.executable}"])
        jobs = os.environ.get("JOBS", str(os.cpu_count() or 1))
        subprocess.check_call(["cmake", "--build", build, "--target", "gradmap_python", "-j", jobs])
        built = os.path.join(build, "python", "gradmap", os.path.basename(self.get_ext_filename(ext.name)))
        target = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(built, target)


setup(ext_modules=[Extension("gradmap._gradmap", sources=[])], cmdclass={"build_ext": CMakeBuild})
