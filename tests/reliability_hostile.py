"""Builders of hostile landing files for the fuzz tests: forged Parquet metadata, absurd CSV
headers, deeply nested JSON, names DuckDB would read as patterns, links out of the landing zone.

The Parquet forger rewrites the file's footer (Thrift compact protocol) so that its metadata
claims sizes the file does not have, e.g. a 10 GB column chunk in a 2 KB file: a reader that
trusts the footer would try to allocate or read 10 GB.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

TEN_GB = 10 * 1024**3

# --- Thrift compact protocol: just enough to rewrite a Parquet footer ---------------------------

_BOOL_TRUE, _BOOL_FALSE, _BYTE, _I16, _I32, _I64, _DOUBLE, _BINARY = 1, 2, 3, 4, 5, 6, 7, 8
_LIST, _SET, _MAP, _STRUCT = 9, 10, 11, 12

Struct = dict[int, tuple[int, Any]]  # field id -> (compact type, value)


def _varint(buf: io.BytesIO) -> int:
    shift = result = 0
    while True:
        byte = buf.read(1)[0]
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result
        shift += 7


def _zigzag(n: int) -> int:
    return (n >> 1) ^ -(n & 1)


def _put_varint(out: io.BytesIO, n: int) -> None:
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.write(bytes([byte | 0x80]))
        else:
            out.write(bytes([byte]))
            return


def _unzigzag(n: int) -> int:
    return (n << 1) ^ (n >> 63)


def _read_value(buf: io.BytesIO, kind: int) -> Any:
    if kind in (_BOOL_TRUE, _BOOL_FALSE):
        return kind == _BOOL_TRUE
    if kind == _BYTE:
        return buf.read(1)[0]
    if kind in (_I16, _I32, _I64):
        return _zigzag(_varint(buf))
    if kind == _DOUBLE:
        return struct.unpack("<d", buf.read(8))[0]
    if kind == _BINARY:
        return buf.read(_varint(buf))
    if kind in (_LIST, _SET):
        head = buf.read(1)[0]
        size, elem = head >> 4, head & 0x0F
        if size == 15:
            size = _varint(buf)
        if elem in (_BOOL_TRUE, _BOOL_FALSE):
            return (elem, [buf.read(1)[0] == 1 for _ in range(size)])
        return (elem, [_read_value(buf, elem) for _ in range(size)])
    if kind == _MAP:
        raise ValueError("maps do not occur in Parquet footers")
    if kind == _STRUCT:
        return _read_struct(buf)
    raise ValueError(f"unknown compact type {kind}")


def _read_struct(buf: io.BytesIO) -> Struct:
    fields: Struct = {}
    last = 0
    while True:
        head = buf.read(1)[0]
        if head == 0:
            return fields
        delta, kind = head >> 4, head & 0x0F
        fid = last + delta if delta else _zigzag(_varint(buf))
        fields[fid] = (kind, _read_value(buf, kind))
        last = fid


def _write_value(out: io.BytesIO, kind: int, value: Any) -> None:
    if kind in (_BOOL_TRUE, _BOOL_FALSE):
        return  # the value is in the field header
    if kind == _BYTE:
        out.write(bytes([value]))
    elif kind in (_I16, _I32, _I64):
        _put_varint(out, _unzigzag(value))
    elif kind == _DOUBLE:
        out.write(struct.pack("<d", value))
    elif kind == _BINARY:
        _put_varint(out, len(value))
        out.write(value)
    elif kind in (_LIST, _SET):
        elem, items = value
        if len(items) < 15:
            out.write(bytes([(len(items) << 4) | elem]))
        else:
            out.write(bytes([0xF0 | elem]))
            _put_varint(out, len(items))
        for item in items:
            if elem in (_BOOL_TRUE, _BOOL_FALSE):
                out.write(bytes([1 if item else 2]))
            else:
                _write_value(out, elem, item)
    elif kind == _STRUCT:
        _write_struct(out, value)
    else:
        raise ValueError(f"unknown compact type {kind}")


def _write_struct(out: io.BytesIO, fields: Struct) -> None:
    last = 0
    for fid in sorted(fields):
        kind, value = fields[fid]
        if kind in (_BOOL_TRUE, _BOOL_FALSE):
            kind = _BOOL_TRUE if value else _BOOL_FALSE
        delta = fid - last
        if 0 < delta <= 15:
            out.write(bytes([(delta << 4) | kind]))
        else:
            out.write(bytes([kind]))
            _put_varint(out, _unzigzag(fid))
        _write_value(out, kind, value)
        last = fid
    out.write(b"\x00")


def rewrite_parquet_footer(path: Path, edit: Callable[[Struct], None]) -> None:
    """Decode the footer of `path`, let `edit` change it, and write the file back."""
    data = path.read_bytes()
    assert data[:4] == b"PAR1" and data[-4:] == b"PAR1", f"{path} is not Parquet"
    length = struct.unpack("<I", data[-8:-4])[0]
    footer = data[-8 - length : -8]
    meta = _read_struct(io.BytesIO(footer))
    edit(meta)
    out = io.BytesIO()
    _write_struct(out, meta)
    new = out.getvalue()
    path.write_bytes(data[: -8 - length] + new + struct.pack("<I", len(new)) + b"PAR1")


def claim_ten_gb(meta: Struct) -> None:
    """FileMetaData: 3 num_rows; 4 row_groups[RowGroup: 1 columns[ColumnChunk: 3 meta_data
    [ColumnMetaData: 5 num_values, 6 total_uncompressed_size, 7 total_compressed_size]],
    2 total_byte_size, 3 num_rows]."""
    meta[3] = (_I64, TEN_GB)
    for group in meta[4][1][1]:
        group[2] = (_I64, TEN_GB)
        group[3] = (_I64, TEN_GB)
        for chunk in group[1][1][1]:
            cmd = chunk[3][1]
            for fid in (5, 6, 7):
                cmd[fid] = (_I64, TEN_GB)


def write_parquet(path: Path, rows: list[dict[str, Any]], schema: pa.Schema | None = None) -> Path:
    table = pa.Table.from_pylist(rows, schema=schema)
    pq.write_table(table, path)
    return path


def footer_length_claim(path: Path, claimed: int = 0xFFFFFFF0) -> None:
    """Keep the bytes, but make the footer-length field claim ~4 GB (its 4-byte maximum)."""
    data = bytearray(path.read_bytes())
    data[-8:-4] = struct.pack("<I", claimed)
    path.write_bytes(bytes(data))


# --- text files --------------------------------------------------------------------------------


def wide_csv(path: Path, header: list[str], rows: list[list[str]], extra_columns: int) -> None:
    """A CSV with `extra_columns` unknown columns after the real ones (empty in every row)."""
    pad = "," * extra_columns
    extra = ",".join(f"x{i}" for i in range(extra_columns))
    with path.open("w", encoding="utf-8") as fh:
        fh.write(",".join(header) + "," + extra + "\n")
        for row in rows:
            fh.write(",".join(row) + pad + "\n")


def nested_json(depth: int) -> str:
    return "[" * depth + "]" * depth
