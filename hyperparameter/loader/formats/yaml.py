"""YAML: reading a file (:func:`parse_yaml`) and the one escaping rule every YAML writer uses."""

from __future__ import annotations

import functools
import re
from typing import Any

from .yaml_build import _Builder
from .yaml_read import _yaml_run


def _parse_yaml(text: str, path: str) -> dict[str, Any]:
    data = _yaml_run(text, path, lambda pure: _Builder(text, pure).run())
    return {} if data is None else data


# ------------------------------------------------------------------------- YAML: writing

# ruamel reads U+0085, U+2028 and U+2029 as line breaks (YAML 1.1), YAML 1.2 readers as text,
# and ruamel's writer leaves them bare in plain and single-quoted scalars: NEL loaded back as a
# space. Double-quoted, they are escapes (\N, \L, \P) that every reader takes alike.
_YAML_BREAKS = re.compile("[\x85\u2028\u2029]")


@functools.cache
def yaml_representer(base: type) -> type:
    """``base`` (a ruamel representer class: ``SafeRepresenter`` for ``dump``,
    ``RoundTripRepresenter`` for ``hp show --provenance``) with the one string rule of every
    YAML writer here: a string (a value or a key) holding U+0085, U+2028 or U+2029 is written
    double-quoted. A subclass, so ruamel's own tables stay untouched."""

    def represent_str(self: Any, data: str) -> Any:
        if _YAML_BREAKS.search(data):
            return self.represent_scalar("tag:yaml.org,2002:str", data, style='"')
        return base.represent_str(self, data)  # type: ignore[attr-defined]

    representer = type(f"Escaping{base.__name__}", (base,), {"represent_str": represent_str})
    representer.yaml_representers = dict(base.yaml_representers)  # type: ignore[attr-defined]
    representer.add_representer(str, represent_str)  # type: ignore[attr-defined]
    return representer
