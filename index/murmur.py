"""MurmurHash3 (x86, 32-bit), the hash that names index terms, in plain Python.

It gives what scikit-learn's ``murmurhash3_32(text, positive=True)`` gives (UTF-8 bytes, seed 0) — the
hash the stored term counts were made with — without importing scikit-learn on the query path. Terms are
cached by their caller, so the pure-Python cost is paid once per distinct word.
"""

from __future__ import annotations

_C1, _C2, _MASK = 0xCC9E2D51, 0x1B873593, 0xFFFFFFFF


def _rotl(value: int, shift: int) -> int:
    return ((value << shift) | (value >> (32 - shift))) & _MASK


def _mix(block: int) -> int:
    return (_rotl((block * _C1) & _MASK, 15) * _C2) & _MASK


def murmurhash3_32(text: str, seed: int = 0) -> int:
    """The unsigned 32-bit MurmurHash3 of ``text``'s UTF-8 bytes."""
    data = text.encode("utf-8")
    h = seed & _MASK
    body = len(data) - len(data) % 4
    for start in range(0, body, 4):
        h = _rotl(h ^ _mix(int.from_bytes(data[start:start + 4], "little")), 13)
        h = (h * 5 + 0xE6546B64) & _MASK
    if len(data) > body:
        h ^= _mix(int.from_bytes(data[body:], "little"))
    h ^= len(data)
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _MASK
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _MASK
    return h ^ (h >> 16)
