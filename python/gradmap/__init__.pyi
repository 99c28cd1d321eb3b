# SPDX-License-Identifier: MIT
# Type stubs of the gradmap package (the bindings in _gradmap and the wrappers in __init__.py).
import os
from typing import Any, List, NamedTuple, Optional, Sequence, Tuple, Union, overload

import numpy as np
import numpy.typing as npt

_Spacing = Union[float, int, np.floating[Any], np.integer[Any], npt.ArrayLike]
_Axis = Union[None, int, Sequence[int]]
_DType = Union[None, str, type, np.dtype[Any]]
_Path = Union[str, os.PathLike[str]]

__version__: str

class Error(Exception): ...
class InvalidArgument(ValueError): ...
class ShapeError(ValueError): ...
class IoError(OSError): ...

class Image:
    @property
    def array(self) -> np.ndarray: ...
    @property
    def spacing(self) -> Tuple[float, ...]: ...
    @property
    def origin(self) -> Tuple[float, ...]: ...
    @property
    def direction(self) -> npt.NDArray[np.float64]: ...
    @property
    def frame(self) -> Optional[str]: ...
    @property
    def unit(self) -> str: ...
    @property
    def format(self) -> str: ...
    @property
    def series_axes(self) -> int: ...
    @property
    def warnings(self) -> List[str]: ...

class Edges2D(NamedTuple):
    magnitude: np.ndarray
    direction: np.ndarray

class Edges3D(NamedTuple):
    magnitude: np.ndarray
    azimuth: np.ndarray
    elevation: np.ndarray

class EdgesND(NamedTuple):
    magnitude: np.ndarray

def gradient(
    f: npt.ArrayLike,
    *varargs: _Spacing,
    axis: _Axis = ...,
    edge_order: int = ...,
    dtype: _DType = ...,
    out: Union[None, np.ndarray, Sequence[np.ndarray]] = ...,
    threads: Optional[int] = ...,
    operator: str = ...,
    boundary: Optional[str] = ...,
    truncate: float = ...,
) -> Union[np.ndarray, List[np.ndarray]]: ...
def edges(
    f: npt.ArrayLike,
    *varargs: _Spacing,
    axis: _Axis = ...,
    edge_order: int = ...,
    dtype: _DType = ...,
    direction: Optional[bool] = ...,
    units: str = ...,
    angle_range: str = ...,
    y_up: bool = ...,
    orientation: bool = ...,
    compass: bool = ...,
    threads: Optional[int] = ...,
    operator: str = ...,
    boundary: Optional[str] = ...,
    truncate: float = ...,
) -> Union[Edges2D, Edges3D, EdgesND]: ...
def read(path: _Path, color: str = ...) -> Image: ...
def write(path: _Path, array: npt.ArrayLike, like: Optional[Image] = ..., png_compression: int = ...) -> None: ...
def set_num_threads(n: int) -> None: ...
def get_num_threads() -> int: ...
