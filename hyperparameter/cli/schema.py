"""``hp schema MODULE:CLASS``: the JSON Schema of a dataclass or pydantic model, for editors."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from .common import out
from .resolve import import_schema

if TYPE_CHECKING:
    pass


__all__ = ["run"]


def run(ns: argparse.Namespace) -> int:
    from ..schema.jsonschema import json_schema

    text = json.dumps(json_schema(import_schema(ns.schema)), indent=2, ensure_ascii=False) + "\n"
    if ns.output:
        with open(ns.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        out(text, end="")
    return 0
