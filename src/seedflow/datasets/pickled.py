"""Pickled NumPy arrays, as DEAP and FACED ship their EEG.

A pickle cannot be read in part: each file is loaded whole (one subject of these datasets,
about 100 MB). The files were written by Python 2, so their byte strings are decoded as
Latin-1, which gives NumPy back the bytes of each array (what both TorchEEG and LibEER pass
as ``encoding``). Unpickling runs whatever the file names, so only the few NumPy functions
that rebuild arrays are allowed: anything else is refused before it is called.
"""

from __future__ import annotations

import codecs
import pickle
from pathlib import Path

import numpy as np

from seedflow.errors import DatasetError

# Each (module, name) an array's pickle calls, under the names numpy 1 (Python 2's files),
# numpy 2 and protocol 5 give them, to the function this numpy has.
_RECONSTRUCT = np.ndarray((0,)).__reduce__()[0]
_FROMBUFFER = np.arange(1).__reduce_ex__(5)[0]
_SCALAR = np.float64(0).__reduce__()[0]
_ALLOWED = {
    **{(f"numpy.{core}.multiarray", "_reconstruct"): _RECONSTRUCT for core in ("core", "_core")},
    **{(f"numpy.{core}.numeric", "_frombuffer"): _FROMBUFFER for core in ("core", "_core")},
    **{(f"numpy.{core}.multiarray", "scalar"): _SCALAR for core in ("core", "_core")},
    ("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): codecs.encode,  # bytes in protocol 0-2 pickles of Python 3
}


class _Refused(Exception):
    pass


class _ArraysOnly(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) not in _ALLOWED:
            raise _Refused(f"{module}.{name}")
        return _ALLOWED[(module, name)]


def load(path: Path) -> object:
    """The object pickled in ``path`` (NumPy arrays, in dicts, lists or tuples).

    A truncated or damaged file, or one whose pickle calls anything but NumPy's array
    builders, raises :class:`DatasetError` naming the file.
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetError(path, "file not found")
    try:
        with open(path, "rb") as f:
            return _ArraysOnly(f, encoding="latin1").load()
    except _Refused as err:
        raise DatasetError(path, f"the pickle builds a {err}, not only NumPy arrays: not "
                                 "read (unpickling it could run any code)") from None
    except EOFError:
        raise DatasetError(path, f"truncated: the pickle ends at byte {path.stat().st_size} "
                                 "before its stop mark") from None
    except Exception as err:  # pickle and NumPy raise many types for damaged bytes
        if "truncated" in str(err):
            raise DatasetError(path, f"truncated or damaged: the pickle ends at byte "
                                     f"{path.stat().st_size} inside an item") from None
        raise DatasetError(path, f"cannot read the pickle ({type(err).__name__}: {err})"
                           ) from err


def described(value: object) -> str:
    """What a pickle held, for messages: "a list", "an array of <U3"."""
    if isinstance(value, np.ndarray):
        return f"an array of {value.dtype}"
    name = type(value).__name__
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"
