"""Key grammar and hashing (DESIGN §3)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pydantic
import pytest

import hyperparameter as hp
from hyperparameter import storage
from hyperparameter.errors import InvalidKeyError, ScopeError
from hyperparameter.storage import keys as _keys

VECTORS = json.loads((Path(__file__).parents[1] / "data" / "xxh64_vectors.json").read_text("utf-8"))


def test_vector_file_has_the_required_cases() -> None:
    keys = {v["key"] for v in VECTORS["vectors"]}
    assert {"12345", "0123456789abcdefghijklmnopqrstuvwxyz"} <= keys
    assert any(any("\u4e00" <= c <= "\u9fff" for c in k) for k in keys)  # CJK
    assert any(any(ord(c) > 0xFFFF for c in k) for k in keys)  # emoji (astral plane)
    assert any(len(k) > 200 and ".." not in k for k in keys)  # long, no empty segment


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: repr(v["key"])[:30])
def test_golden_vectors(vector: dict[str, Any]) -> None:
    assert storage.xxh64(vector["key"]) == vector["hash"]
    assert storage._impl.xxh64(vector["key"]) == vector["hash"]  # Rust const fn or fallback


def test_required_vectors() -> None:
    assert storage.xxh64("12345") == 13461425039964245335
    assert storage.xxh64("0123456789abcdefghijklmnopqrstuvwxyz") == 5308235351123835395


VALID = ["a", "a.b", "model.lr", "a.0.b", "learning-rate.x", "_private", "模型.学习率", "x.007"]
INVALID = ["", ".", "a.", ".a", "a..b", "a b", "1a", "-a", "a.-b", "a/b", "a.$", "🚀", "a.b c"]


@pytest.mark.parametrize("key", VALID)
def test_valid_keys(key: str) -> None:
    assert _keys.check_key(key) == key
    with hp.param_scope(**{key: 1}):
        assert hp.param_scope[key]() == 1


@pytest.mark.parametrize("key", INVALID)
def test_invalid_keys_every_entry_point(key: str) -> None:
    with pytest.raises(InvalidKeyError) as e:
        hp.param_scope(**{key: 1})
    assert e.value.key == key
    with pytest.raises(InvalidKeyError):
        hp.param_scope(f"{key}=1")
    with pytest.raises(InvalidKeyError):
        hp.param_scope[key] | 0
    with pytest.raises(InvalidKeyError):
        storage.TLSKVStorage().put(key, 1)
    with pytest.raises(InvalidKeyError):
        hp.auto_param(key)(lambda x=1: x)


def test_mapping_key_with_dot_is_one_bad_segment() -> None:
    with pytest.raises(InvalidKeyError, match=r"may not contain '\.'"):
        hp.param_scope({"search.exclude": {"a": 1}})
    with pytest.raises(InvalidKeyError):
        hp.param_scope(model={"a b": 1})


def test_invalid_key_message_names_the_key() -> None:
    with pytest.raises(InvalidKeyError, match=r"invalid key 'a\.\.b': empty segment"):
        hp.param_scope(**{"a..b": 1})


def test_forced_collision_is_an_error_not_an_alias() -> None:
    h = storage.xxh64("model.a")
    with _keys.forced_hash("model.b", h):
        with pytest.raises(ScopeError, match=r"hash collision: keys 'model\.a' and 'model\.b'"):
            hp.param_scope(**{"model.a": 1, "model.b": 2}).__enter__()
        with hp.param_scope(**{"model.a": 1}):
            with pytest.raises(ScopeError, match="hash collision"):
                hp.param_scope.model.b | 0
            with pytest.raises(ScopeError, match="hash collision"):
                hp.param_scope.model.b = 2
            assert hp.param_scope.model.a() == 1
        with hp.param_scope(**{"model.b": 2}):  # alone, the forced hash is just a hash
            assert hp.param_scope.model.b() == 2


def test_forced_collision_against_the_snapshot() -> None:
    h = storage.xxh64("x.a")
    with hp.param_scope(**{"x.a": 1}):
        hp.param_scope.frozen()
    with _keys.forced_hash("x.b", h), pytest.raises(ScopeError, match="hash collision"):
        hp.param_scope.x.b | 0


@dataclasses.dataclass
class _Table:
    index: dict[Any, str] = dataclasses.field(default_factory=lambda: {0: "a", "0": "b"})


class _Model(pydantic.BaseModel):
    jobs: list[dict[Any, Any]] = [{"x": {1: "a", "1": "b"}}]


@pytest.mark.parametrize(
    ("make", "key", "pair"),
    [
        (lambda: hp.param_scope({0: "a", "0": "b"}), "0", "0 and '0'"),
        (lambda: hp.param_scope({"t": {"0": "b", 0: "a"}}), "t.0", "'0' and 0"),
        (lambda: hp.param_scope(t={7: "a", "7": "b"}), "t.7", "7 and '7'"),
        (lambda: hp.param_scope(l=[{1: "a", "1": "b"}]), "l.0.1", "1 and '1'"),
        (lambda: hp.param_scope(_Table()), "index.0", "0 and '0'"),  # walked by the store
        (lambda: hp.param_scope(_Model()), "jobs.0.x.1", "1 and '1'"),
    ],
)
def test_two_keys_that_are_one_segment_are_an_error(make: Any, key: str, pair: str) -> None:
    # Before: one value silently won ({'0': 'b'}); DESIGN §3: a collision is an error.
    with pytest.raises(InvalidKeyError) as info, make():
        pass
    assert info.value.key == key
    assert str(info.value) == f"invalid key {key!r}: keys {pair} of one mapping are one key"


def test_int_and_string_keys_that_differ_flatten_side_by_side() -> None:
    with hp.param_scope({"t": {0: "a", "1": "b", 2: {"x": 3}}}) as ps:
        assert ps.to_dict() == {"t.0": "a", "t.1": "b", "t.2.x": 3}
