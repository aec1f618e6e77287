"""JSON Schema (draft 2020-12) of a dataclass or pydantic schema, for editors (DESIGN §7).

pydantic writes the base schema for both kinds (``TypeAdapter(cls).json_schema()``); around
it this module makes the document say what the loader accepts:

- every typed field also accepts a ``${…}`` interpolation string, so yaml-language-server and
  Taplo complete keys without flagging references;
- descriptions come from ``Field(description=…)``, dataclass ``field(metadata=…)``, attribute
  docstrings, and the class docstring's ``Attributes``/``Args`` section;
- unknown keys are errors (``additionalProperties: false``) unless a pydantic model allows or
  ignores extras, as in the loader;
- a nested group whose fields all have defaults is not required (the loader fills it in).
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import itertools
import textwrap
from typing import Any

import pydantic
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue

from ..errors import SchemaError
from . import docstrings as _docstrings
from .fields import _NO_DEFAULT, _extra_allowed, _fields, _group

__all__ = ["DIALECT", "INTERPOLATION", "json_schema"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
#: What a field accepts besides its own type: a string holding a ``${…}`` reference.
INTERPOLATION: dict[str, Any] = {"type": "string", "pattern": r"\$\{.*\}"}

_ANNOTATIONS = ("title", "description", "default", "examples", "deprecated")
_CONSTRAINTS = frozenset({"enum", "const", "pattern", "format", "minLength", "maxLength"})


def json_schema(schema: type) -> dict[str, Any]:
    """The JSON Schema document of a dataclass or pydantic model class."""
    _fields(schema)  # SchemaError for anything else
    try:
        doc = pydantic.TypeAdapter(schema).json_schema(schema_generator=_Generator)
    except (pydantic.PydanticUserError, pydantic.PydanticSchemaGenerationError) as e:
        raise SchemaError(f"{schema.__name__}: cannot export a JSON Schema: {e}") from e
    for node in [doc, *doc.get("$defs", {}).values()]:
        properties = node.get("properties")
        if isinstance(properties, dict):
            for name, sub in properties.items():
                properties[name] = _allow_interpolation(sub)
    return {"$schema": DIALECT, **doc}


class _Generator(GenerateJsonSchema):
    def dataclass_schema(self, schema: Any) -> JsonSchemaValue:
        out = super().dataclass_schema(schema)
        _describe(out, schema["cls"])
        return out

    def model_schema(self, schema: Any) -> JsonSchemaValue:
        out = super().model_schema(schema)
        _describe(out, schema["cls"])
        return out


def _describe(out: dict[str, Any], cls: type) -> None:
    properties = out.get("properties")
    if not isinstance(properties, dict):
        return
    doc = inspect.getdoc(cls)
    if doc and out.get("description") == doc:  # pydantic copied the whole docstring
        parsed = _docstrings.parse(doc)
        text = "\n\n".join(t for t in (parsed.summary, parsed.description) if t)
        if text:
            out["description"] = text
        else:
            out.pop("description")
    docs = _field_docs(cls)
    for name, sub in properties.items():
        described = docs.get(name)
        if described and "description" not in sub:
            sub["description"] = described
    if not _extra_allowed(cls):
        out["additionalProperties"] = False
    fields = _fields(cls)
    required = [n for n in out.get("required", []) if not _fills_in(fields.get(n))]
    if required:
        out["required"] = required
    else:
        out.pop("required", None)


def _fills_in(f: Any) -> bool:
    """Whether the loader supplies field ``f`` when a file leaves it out."""
    if f is None:
        return False
    if f.default is not _NO_DEFAULT or f.factory is not _NO_DEFAULT:
        return True
    group = _group(f.annotation)
    if group is None:
        return False
    fields = _fields(group)
    return bool(fields) and all(_fills_in(g) for g in fields.values())


def _field_docs(cls: type) -> dict[str, str]:
    """Field name -> description, from metadata, attribute docstrings and the class doc."""
    docs: dict[str, str] = {}
    if dataclasses.is_dataclass(cls):
        for f in dataclasses.fields(cls):
            for key in ("description", "doc", "help"):
                text = f.metadata.get(key)
                if isinstance(text, str) and text.strip():
                    docs[f.name] = text.strip()
                    break
    for klass in cls.__mro__:
        if klass is object:
            continue
        for name, text in _attribute_docstrings(klass).items():
            docs.setdefault(name, text)
        if klass.__doc__:
            for name, text in _docstrings.parse(klass.__doc__).params.items():
                if text:
                    docs.setdefault(name, text)
    if issubclass(cls, pydantic.BaseModel):  # keys are aliases in the schema
        for name, info in cls.model_fields.items():
            if isinstance(info.alias, str) and name in docs:
                docs.setdefault(info.alias, docs[name])
    return docs


def _attribute_docstrings(cls: type) -> dict[str, str]:
    """``x: int = 1`` followed by a string literal: the literal documents ``x``."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return {}
    if not tree.body or not isinstance(tree.body[0], ast.ClassDef):
        return {}
    body = tree.body[0].body
    docs = {}
    for stmt, after in itertools.pairwise(body):
        if (
            isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[stmt.target.id] = " ".join(inspect.cleandoc(after.value.value).split())
    return docs


def _accepts_any_string(node: dict[str, Any]) -> bool:
    if not node:
        return True  # `Any`
    if node.get("type") == "string" and not _CONSTRAINTS & node.keys():
        return True
    members = node.get("anyOf")
    return isinstance(members, list) and any(_accepts_any_string(m) for m in members)


def _inner(node: dict[str, Any]) -> dict[str, Any]:
    """``node`` with its list items and mapping values accepting interpolation too; union
    members are searched for those, not wrapped themselves."""
    node = dict(node)
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            node[key] = _allow_interpolation(node[key])
    if isinstance(node.get("prefixItems"), list):
        node["prefixItems"] = [_allow_interpolation(m) for m in node["prefixItems"]]
    for key in ("anyOf", "oneOf"):
        if isinstance(node.get(key), list):
            node[key] = [_inner(m) if isinstance(m, dict) else m for m in node[key]]
    return node


def _allow_interpolation(node: Any) -> Any:
    """A field's schema that also accepts a ``${…}`` string (so do its items and values)."""
    if not isinstance(node, dict):
        return node
    node = _inner(node)
    if _accepts_any_string(node):
        return node
    notes = {k: node.pop(k) for k in _ANNOTATIONS if k in node}
    if list(node) == ["anyOf"]:
        return {**notes, "anyOf": [*node["anyOf"], dict(INTERPOLATION)]}
    return {**notes, "anyOf": [node, dict(INTERPOLATION)]}
