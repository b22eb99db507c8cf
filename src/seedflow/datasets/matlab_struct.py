"""Read chosen fields of a MATLAB v5/v7 struct variable, and one element of a cell field,
without loading the rest of the variable; or its outline (small values, and only the
dimensions of large arrays) in one pass.

scipy.io.loadmat reads whole top-level variables only, and DREAMER.mat is one struct
(every subject's EEG and ECG, about 2 GB once decompressed), so one subject read that way
holds them all in memory. This walks the variable's element tags (MAT-file v5 format,
MathWorks "MAT-File Format", ch. 1), inflating a compressed variable as a stream and
discarding what it skips, and lets scipy parse only the wanted elements: each is handed to
``scipy.io.loadmat`` as a small MAT file of its own. Memory holds one wanted element.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.io

from seedflow.errors import DatasetError

HEADER_BYTES = 128
MI_INT8, MI_MATRIX, MI_COMPRESSED = 1, 14, 15
MX_CELL, MX_STRUCT = 1, 2
_CHUNK = 1 << 20


class _Truncated(Exception):
    pass


class _Raw:
    """Bytes of an uncompressed variable, read from the file as they come."""

    def __init__(self, f):
        self.f = f

    def read(self, n: int) -> bytes:
        data = self.f.read(n)
        if len(data) < n:
            raise _Truncated
        return data

    def skip(self, n: int) -> None:
        self.f.seek(n, io.SEEK_CUR)


class _Inflated:
    """Bytes of a compressed (miCOMPRESSED) variable, inflated a bounded piece at a time."""

    def __init__(self, f, nbytes: int):
        self.f, self.left = f, nbytes
        self.z, self.buf = zlib.decompressobj(), bytearray()

    def _fill(self, n: int) -> None:
        while len(self.buf) < n:
            data = self.z.unconsumed_tail
            if not data:
                if not self.left:
                    raise _Truncated
                data = self.f.read(min(self.left, _CHUNK))
                if not data:
                    raise _Truncated
                self.left -= len(data)
            self.buf += self.z.decompress(data, max(n - len(self.buf), _CHUNK))

    def read(self, n: int) -> bytes:
        self._fill(n)
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def skip(self, n: int) -> None:
        while n:
            step = min(n, 16 * _CHUNK)
            self.read(step)
            n -= step


def _subelement(stream, order: str) -> tuple[int, bytes, bytes]:
    """(type, data, raw bytes) of one data element, small format included, padding read."""
    tag = stream.read(8)
    first, nbytes = struct.unpack(order + "II", tag)
    if first >> 16:  # small data element: up to 4 bytes packed in the tag
        return first & 0xFFFF, tag[4:4 + (first >> 16)], tag
    body = stream.read(nbytes + (-nbytes) % 8)
    return first, body[:nbytes], tag + body


class _Matrix:
    """The header of an miMATRIX element (flags, dimensions, name) and its raw bytes."""

    def __init__(self, stream, order: str):
        _, flags, self.flags_raw = _subelement(stream, order)
        self.mx_class = struct.unpack(order + "I", flags[:4])[0] & 0xFF
        _, dims, self.dims_raw = _subelement(stream, order)
        self.dims = struct.unpack(order + "i" * (len(dims) // 4), dims)
        _, name, self.name_raw = _subelement(stream, order)
        self.name = name.decode("latin-1")
        self.header_bytes = len(self.flags_raw) + len(self.dims_raw) + len(self.name_raw)

    @property
    def count(self) -> int:
        n = 1
        for d in self.dims:
            n *= d
        return n


def _element_tag(stream, order: str) -> int:
    kind, nbytes = struct.unpack(order + "II", stream.read(8))
    if kind != MI_MATRIX:
        raise ValueError(f"expected a MATLAB array element, found data type {kind}")
    return nbytes


def _as_variable(header: bytes, order: str, matrix: _Matrix, stream, nbytes: int):
    """Parse one array element (its header read, ``nbytes`` of it left in ``stream``) with
    scipy, as the only variable ``v`` of a small MAT file held once in memory."""
    name = struct.pack(order + "I", MI_INT8 | 1 << 16) + b"v\0\0\0"
    size = len(matrix.flags_raw) + len(matrix.dims_raw) + len(name) + nbytes
    parts = [header, struct.pack(order + "II", MI_MATRIX, size), matrix.flags_raw,
             matrix.dims_raw, name]
    while nbytes:  # pieces, so that joining them is the only full copy
        parts.append(stream.read(min(nbytes, 16 * _CHUNK)))
        nbytes -= len(parts[-1])
    mat = b"".join(parts)
    del parts
    return scipy.io.loadmat(io.BytesIO(mat), simplify_cells=True)["v"]


def read_struct_fields(path: Path, variable: str, fields: tuple[str, ...],
                       cell_items: dict[str, int]) -> dict:
    """Fields of the 1 x 1 struct ``variable`` (scipy's ``simplify_cells`` values); for a
    field named in ``cell_items`` (a cell array), only its element at that 0-based index
    (column-major). Missing fields and cells are absent from the result."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            return _read(f, variable, fields, cell_items)
    except _Truncated:
        raise DatasetError(path, "truncated MATLAB file") from None
    except (ValueError, zlib.error, struct.error, OSError) as err:
        raise DatasetError(path, f"cannot read MATLAB file ({err})") from err


def read_header(f) -> tuple[bytes, str]:
    """The 128-byte header of a MAT-file v5/v7 and its byte order (``<`` or ``>``)."""
    header = f.read(HEADER_BYTES)
    if len(header) < HEADER_BYTES or header[126:128] not in (b"IM", b"MI"):
        raise ValueError("not a MATLAB v5/v7 MAT-file (v7.3 files are HDF5)")
    return header, "<" if header[126:128] == b"IM" else ">"


def top_level_elements(f, order: str):
    """(data type, byte count, offset of the data) of each top-level element of the file
    whose header has been read, in file order, taken from the tags alone; the byte counts
    are as the tags state them, so the last one may reach past a truncated file's end."""
    position = HEADER_BYTES
    while True:
        f.seek(position)
        tag = f.read(8)
        if len(tag) < 8:
            return
        kind, nbytes = struct.unpack(order + "II", tag)
        yield kind, nbytes, position + 8
        position += 8 + nbytes


def variables_end(path: Path) -> int | None:
    """Where the last variable of a MATLAB v5 file ends, from its element tags (scipy's
    whosmat skips past the end of a truncated file without noticing); None when the header
    or a tag is not a variable's: damage that scipy reports itself, not a truncation."""
    try:
        with open(path, "rb") as f:
            _, order = read_header(f)
            elements = list(top_level_elements(f, order))
    except (ValueError, OSError, struct.error):
        return None
    if any(kind not in (MI_MATRIX, MI_COMPRESSED) for kind, _, _ in elements):
        return None
    return max((start + nbytes for _, nbytes, start in elements), default=HEADER_BYTES)


def check_variables_end(path: Path) -> None:
    """Stop on a MAT-file v5 cut short: its last variable's tag announces more bytes than
    the file has."""
    end, size = variables_end(path), Path(path).stat().st_size
    if end is not None and end > size:
        raise DatasetError(path, f"truncated: its variables need {end} bytes, the file has "
                                 f"{size}")


def _find(f, variable: str):
    """(file header, byte order, stream, array header, bytes of the array left in the stream)
    of the top-level variable ``variable``, the stream just past its array header."""
    header, order = read_header(f)
    for kind, nbytes, start in top_level_elements(f, order):
        if kind not in (MI_MATRIX, MI_COMPRESSED):
            continue
        f.seek(start)
        stream = _Inflated(f, nbytes) if kind == MI_COMPRESSED else _Raw(f)
        size = _element_tag(stream, order) if kind == MI_COMPRESSED else nbytes
        matrix = _Matrix(stream, order)
        if matrix.name == variable:
            return header, order, stream, matrix, size - matrix.header_bytes
    raise ValueError(f"no variable '{variable}'")


def _field_names(stream, order: str) -> list[str]:
    """The field names of a struct array, read from its contents' first two subelements."""
    _, length, _ = _subelement(stream, order)
    width = struct.unpack(order + "i", length[:4])[0]
    _, names, _ = _subelement(stream, order)
    return [names[i:i + width].split(b"\0")[0].decode("latin-1")
            for i in range(0, len(names), width)]


def _read(f, variable: str, fields: tuple[str, ...], cell_items: dict[str, int]) -> dict:
    header, order, stream, matrix, _ = _find(f, variable)
    if matrix.mx_class != MX_STRUCT or matrix.count != 1:
        raise ValueError(f"variable '{variable}' is not a 1 x 1 struct")
    names = _field_names(stream, order)
    found = {}
    for name in names:
        size = _element_tag(stream, order)
        if name not in fields and name not in cell_items:
            stream.skip(size)
            continue
        if size == 0:  # an empty array
            continue
        field = _Matrix(stream, order)
        if name in fields:
            found[name] = _as_variable(header, order, field, stream,
                                       size - field.header_bytes)
            continue
        if field.mx_class != MX_CELL:
            raise ValueError(f"field '{name}' of '{variable}' is not a cell array")
        index = cell_items[name]
        for i in range(field.count):
            item = _element_tag(stream, order)
            if i != index:
                stream.skip(item)
                continue
            if item == 0:  # an empty cell
                found[name] = []
                continue
            element = _Matrix(stream, order)
            found[name] = _as_variable(header, order, element, stream,
                                       item - element.header_bytes)
    return found


@dataclass(frozen=True)
class Outline:
    """An array left unread by :func:`read_outline`: its MATLAB dimensions, which are the
    ``shape`` scipy gives it."""

    shape: tuple[int, ...]

    @property
    def ndim(self) -> int:
        return len(self.shape)


def read_outline(path: Path, variable: str, max_bytes: int = 1 << 16):
    """The variable as scipy's ``loadmat(simplify_cells=True)`` gives it, except that every
    cell or struct over ``max_bytes`` is walked element by element (a cell as a list, a
    struct as a dict, a struct array as a list of dicts) and every other array over
    ``max_bytes`` is an :class:`Outline`: one pass that keeps small values (scores, names,
    rates) and only the dimensions of large arrays, holding one small element at a time."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            header, order, stream, matrix, left = _find(f, variable)
            return _outline(header, order, stream, matrix, left, max_bytes)
    except _Truncated:
        raise DatasetError(path, "truncated MATLAB file") from None
    except (ValueError, zlib.error, struct.error, OSError) as err:
        raise DatasetError(path, f"cannot read MATLAB file ({err})") from err


def _outline(header: bytes, order: str, stream, matrix: _Matrix, left: int, max_bytes: int):
    """One array whose header has been read, ``left`` bytes of it still in ``stream``."""
    if left <= max_bytes:
        return _as_variable(header, order, matrix, stream, left)
    if matrix.mx_class not in (MX_CELL, MX_STRUCT):
        stream.skip(left)
        return Outline(tuple(matrix.dims))
    names = _field_names(stream, order) if matrix.mx_class == MX_STRUCT else None
    items = []
    for _ in range(matrix.count):
        if names is None:
            items.append(_element(header, order, stream, max_bytes))
        else:
            items.append({name: _element(header, order, stream, max_bytes) for name in names})
    return items[0] if names is not None and matrix.count == 1 else items


def _element(header: bytes, order: str, stream, max_bytes: int):
    """The next array element of a cell or struct, outlined."""
    size = _element_tag(stream, order)
    if size == 0:  # an empty array
        return np.empty((0, 0))
    matrix = _Matrix(stream, order)
    return _outline(header, order, stream, matrix, size - matrix.header_bytes, max_bytes)
