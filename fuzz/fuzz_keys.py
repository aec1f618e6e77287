"""Coverage-guided fuzzing of key parsing and the text that becomes keys or values (atheris):
``python fuzz/fuzz_keys.py CORPUS_DIR -max_total_time=60``.

The input, as UTF-8 text (undecodable bytes become surrogate escapes), is used as a key, an
assignment and an interpolation template. Oracles:

- every entry point agrees with the grammar (``_keys.check_key``): ``param_scope(**{k: v})``,
  the accessor, ``"k=v"`` strings and ``-D`` overrides (whose text is stripped), and — for
  ASCII keys, as documented — the Rust grammar (``storage.rust_read``);
- a valid key reads back what was stored;
- environment variable names, ``${…}`` templates, raw override values and the coercion table
  never raise anything but their documented errors.
"""

from __future__ import annotations

import contextlib
import sys

import atheris

with atheris.instrument_imports(include=["hyperparameter"]):
    import hyperparameter as hp
    from hyperparameter import coerce as _coerce
    from hyperparameter import storage
    from hyperparameter.errors import ConversionError, InvalidKeyError
    from hyperparameter.loader import env as _env
    from hyperparameter.loader import interpolate as _interpolate
    from hyperparameter.storage import keys as _keys

TARGETS = (bool, int, float, str, list, dict, tuple[int, str], int | None)


def accepts(fn: object) -> bool:
    try:
        fn()  # type: ignore[operator]
    except InvalidKeyError:
        return False
    return True


def TestOneInput(data: bytes) -> None:
    text = data.decode("utf-8", "surrogateescape")
    try:
        _keys.check_key(text)
        valid = True
    except InvalidKeyError:
        valid = False
    assert accepts(lambda: hp.param_scope(**{text: 1})) is valid, text
    assert accepts(lambda: hp.param_scope[text] | 0) is valid, text
    if text == text.strip() and "=" not in text:
        assert accepts(lambda: hp.param_scope(f"{text}=1")) is valid, text
        assert accepts(lambda: hp.load({}, overrides=[f"{text}=1"])) is valid, text
    if storage.backend() == "rust" and text.isascii():
        assert accepts(lambda: storage.rust_read(text)) is valid, text
    if valid:
        with hp.param_scope(**{text: "v"}):
            assert hp.param_scope[text]() == "v"

    # environment names, templates, raw values: only their documented errors
    _env.env_layer("APP", {f"APP_{text}": "1", f"APP_{text}__X": text})
    tree, _ = _interpolate.interpolate({"a": text, "b": {"c": 1}, "l": [1, 2]}, {"E": "e"})
    assert isinstance(tree, dict)
    _coerce.parse_scalar(text)
    raw = _coerce.Raw(text)
    for target in TARGETS:
        with contextlib.suppress(ConversionError):
            _coerce.coerce(raw, target, "k")


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
