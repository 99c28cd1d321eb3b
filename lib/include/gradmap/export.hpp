// SPDX-License-Identifier: MIT
// Export macros. gradmap's libraries are compiled with hidden symbol visibility
// (CXX_VISIBILITY_PRESET hidden, VISIBILITY_INLINES_HIDDEN), so a shared build exports exactly the
// declarations marked here: the public API, not the kernels' internals. One macro per library,
// because on Windows a symbol is dllexport only inside the library that defines it; CMake defines
// `<target>_EXPORTS` while building a shared library, and GRADMAP_STATIC_DEFINE is set on every
// target (and exported to consumers) when the libraries are static.
#pragma once

#if defined(_WIN32) && !defined(GRADMAP_STATIC_DEFINE)
#define GRADMAP_DLL_EXPORT_ __declspec(dllexport)
#define GRADMAP_DLL_IMPORT_ __declspec(dllimport)
#elif defined(__GNUC__) || defined(__clang__)
// ELF: the same attribute when building and when consuming; harmless in a static library.
#define GRADMAP_DLL_EXPORT_ __attribute__((visibility("default")))
#define GRADMAP_DLL_IMPORT_ __attribute__((visibility("default")))
#else
#define GRADMAP_DLL_EXPORT_
#define GRADMAP_DLL_IMPORT_
#endif

/// gradmap::core (libgradmap-core): arrays, gradient, edge maps, .npy, display maps.
#ifdef gradmap_core_EXPORTS
#define GRADMAP_CORE_EXPORT GRADMAP_DLL_EXPORT_
#else
#define GRADMAP_CORE_EXPORT GRADMAP_DLL_IMPORT_
#endif

/// gradmap::gradmap (libgradmap): read_image / write_image dispatch over the built backends.
#ifdef gradmap_gradmap_EXPORTS
#define GRADMAP_EXPORT GRADMAP_DLL_EXPORT_
#else
#define GRADMAP_EXPORT GRADMAP_DLL_IMPORT_
#endif

/// gradmap::opencv (libgradmap-opencv): raster IO, the overview picture, cv::Mat adapters.
#ifdef gradmap_opencv_EXPORTS
#define GRADMAP_OPENCV_EXPORT GRADMAP_DLL_EXPORT_
#else
#define GRADMAP_OPENCV_EXPORT GRADMAP_DLL_IMPORT_
#endif

/// gradmap::itk (libgradmap-itk): volume IO and itk::Image adapters.
#ifdef gradmap_itk_EXPORTS
#define GRADMAP_ITK_EXPORT GRADMAP_DLL_EXPORT_
#else
#define GRADMAP_ITK_EXPORT GRADMAP_DLL_IMPORT_
#endif
