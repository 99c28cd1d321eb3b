# SPDX-License-Identifier: MIT
from typing import Any, List, NamedTuple, Optional, Sequence, Union

import dask.array as da
import numpy as np
import numpy.typing as npt

_Axis = Union[None, int, Sequence[int]]

class Edges2D(NamedTuple):
    magnitude: da.Array
    direction: da.Array

class Edges3D(NamedTuple):
    magnitude: da.Array
    azimuth: da.Array
    elevation: da.Array

class EdgesND(NamedTuple):
    magnitude: da.Array

def gradient(
    x: Any,
    *varargs: Any,
    axis: _Axis = ...,
    edge_order: int = ...,
    dtype: Any = ...,
    threads: Optional[int] = ...,
    operator: str = ...,
    boundary: Optional[str] = ...,
    truncate: float = ...,
) -> Union[da.Array, List[da.Array]]: ...
def edges(
    x: Any,
    *varargs: Any,
    axis: _Axis = ...,
    edge_order: int = ...,
    dtype: Any = ...,
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
