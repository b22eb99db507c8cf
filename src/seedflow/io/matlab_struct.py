"""Read chosen fields of a MATLAB v5/v7 struct variable, and one element of a cell field,
without loading the rest of the variable.

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
from pathlib import Path

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


def _read(f, variable: str, fields: tuple[str, ...], cell_items: dict[str, int]) -> dict:
    header, order = read_header(f)
    for kind, nbytes, start in top_level_elements(f, order):
        if kind not in (MI_MATRIX, MI_COMPRESSED):
            continue
        f.seek(start)
        stream = _Inflated(f, nbytes) if kind == MI_COMPRESSED else _Raw(f)
        if kind == MI_COMPRESSED:
            _element_tag(stream, order)
        matrix = _Matrix(stream, order)
        if matrix.name == variable:
            break
    else:
        raise ValueError(f"no variable '{variable}'")
    if matrix.mx_class != MX_STRUCT or matrix.count != 1:
        raise ValueError(f"variable '{variable}' is not a 1 x 1 struct")
    _, length, _ = _subelement(stream, order)
    width = struct.unpack(order + "i", length[:4])[0]
    _, names, _ = _subelement(stream, order)
    names = [names[i:i + width].split(b"\0")[0].decode("latin-1")
             for i in range(0, len(names), width)]
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
