"""``launch`` / ``run_cli``: ``@auto_param`` functions as an argparse command line (DESIGN §7).

The command line is one more override source, nothing else: ``-C`` files, ``-D``/bare
``key=value`` strings and ``--name`` options become loader layers (in that order of
precedence, lowest first), the loader merges, interpolates and — with a schema — validates
them, each parameter is typed by the function's signature, and the result is pushed with
``param_scope`` (and frozen, for threads) around one call of the function.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import sys
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn

from .. import storage
from ..api import param_scope
from ..coerce import Raw, coerce, target_repr, untyped
from ..errors import ConfigValidationError, ConversionError, HyperparameterError, Loc
from ..schema import adapter_for, is_schema
from ..schema.fields import unknown_key, unwrap
from ..storage.keys import parse_assignment
from .args import assignments, build, parse
from .command import Command, Param, command
from .common import (
    MISSING,
    CliError,
    OutputError,
    did_you_mean,
    dotted,
    out,
    printable,
    show,
    writing,
)
from .explain import explain, explain_key, findings
from .resolve import Resolution, import_schema, resolve

__all__ = ["discover", "run"]

_P = inspect.Parameter


def _unknown(overrides: list[str], commands: list[Command], owned: list[Loc]) -> list[str]:
    """A ``-D`` key under a namespace no schema types must name a parameter: the errors."""
    errors = []
    names: dict[Loc, list[str]] = {}
    for c in commands:
        names.setdefault(c.namespace, []).extend(p.name for p in c.params)
    for text in overrides:
        key, _ = parse_assignment(text)
        loc = tuple(key.split("."))
        for ns in sorted(owned, key=len, reverse=True):
            if loc[: len(ns)] != ns:
                continue
            if len(loc) == len(ns):
                choices = [dotted((*ns, n)) for n in names[ns]]
                errors.append(f"-D {text}: {key}: unknown key {key!r}{did_you_mean(key, choices)}")
            elif loc[len(ns)] not in names[ns]:
                errors.append(f"-D {text}: {key}: {unknown_key(loc[len(ns)], names[ns])}")
            break
    return errors


def _typed(value: Any, p: Param, res: Resolution) -> Any:
    """A parameter's value, typed by the signature like ``auto_param`` does."""
    if value is None:
        return None
    source = None if isinstance(value, Raw) else res.source(p.loc)
    base = unwrap(p.target)
    if is_schema(base):
        tree = untyped(value)
        if not isinstance(tree, Mapping):
            raise ConversionError(p.key, tree, base, "expected a mapping", source)
        instance, errors = adapter_for(base).validate(tree)
        if errors:
            e = errors[0]
            reason = f"{dotted(e['loc'])}: {e['msg']}" if e["loc"] else e["msg"]
            raise ConversionError(p.key, tree, base, reason, source)
        return instance
    if p.target is None:
        return untyped(value)
    return coerce(value, p.target, p.key, source)


def _values(
    cmd: Command, res: Resolution, problems: list[str], missing: list[str]
) -> dict[str, Any]:
    """Each parameter's value: from the layers, typed by the signature, else its default."""
    values: dict[str, Any] = {}
    for p in cmd.params:
        value = res.value(p.loc)
        if value is MISSING:
            if p.default is MISSING:
                missing.append(f"{p.name} (or set {p.key})")
            else:
                values[p.name] = p.default
            continue
        try:
            values[p.name] = _typed(value, p, res)
        except ConversionError as e:
            problems.append(str(res.secrets.conversion(e, p.loc, p.target)))
    return values


def _list(cmd: Command, res: Resolution, values: dict[str, Any]) -> str:
    rows = [("KEY", "VALUE", "TYPE", "DEFAULT", "SOURCE")]
    seen = set()
    for p in cmd.params:
        seen.add(p.loc)
        value = values.get(p.name, res.value(p.loc))
        default = res.default(p.loc)
        if default is MISSING:
            default = p.default
        else:
            default = res.secrets.redact(default, p.loc, p.target, env=False)
        if value is not MISSING:
            value = res.secrets.redact(value, p.loc, p.target)
        shown = show(value) if p.name in values or value is MISSING else f"{show(value)} (invalid)"
        rows.append(
            (
                p.key,
                shown,
                target_repr(p.target) if p.target is not None else "-",
                "required" if default is MISSING else show(default),
                "-" if value is MISSING else res.source(p.loc),
            )
        )
    for loc in res.leaves():
        if loc in seen or not loc:
            continue
        annotation = res.annotation(loc)
        default = res.default(loc)
        if default is not MISSING:
            default = res.secrets.redact(default, loc, env=False)
        rows.append(
            (
                dotted(loc),
                show(res.secrets.redact(res.value(loc), loc)),
                target_repr(annotation) if annotation is not None else "-",
                show(default) if default is not MISSING else "-",
                res.source(loc),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )


def _explain(key: str, cmd: Command, res: Resolution, values: dict[str, Any]) -> str:
    for p in cmd.params:
        if p.key == key:
            fn_default = (
                []
                if p.default is MISSING or res.default(p.loc) is not MISSING
                else [("default", p.default)]
            )
            default = res.default(p.loc)
            return explain(
                res,
                p.loc,
                value=values.get(p.name, res.value(p.loc)),
                annotation=p.target,
                default=p.default if default is MISSING else default,
                extra=fn_default,
            )
    try:
        return explain_key(res, key, [p.key for p in cmd.params])
    except CliError as e:
        raise CliError(f"--explain-param {e}") from None


def _fail(prog: str, lines: Sequence[str]) -> NoReturn:
    for line in lines:
        print(f"{prog}: error: {line}", file=sys.stderr)
    raise SystemExit(2)


def run(
    funcs: Sequence[Callable[..., Any]],
    *,
    argv: Sequence[str] | None,
    prog: str | None,
    schema: type | None,
    description: str | None,
) -> Any:
    """Parses ``argv``, resolves every layer, and calls the chosen function inside the scope."""
    commands = [command(fn) for fn in funcs]
    if len({c.name for c in commands}) != len(commands):
        raise TypeError("launch() got two functions with the same name")
    parser = build(commands, prog, description)
    argv = list(sys.argv[1:] if argv is None else argv)
    prog = parser.prog
    try:
        try:
            req = parse(parser, commands, argv)
        except (SystemExit, OutputError):  # --help, --version, a usage error: printed
            with writing(prog):
                raise
        prog = f"{parser.prog} {req.cmd.name}" if len(commands) > 1 else parser.prog
        if req.args.overrides:
            raise CliError(f"unrecognized arguments: {' '.join(req.args.overrides)}")
        if req.schema:
            schema = import_schema(req.schema)
        adapter = adapter_for(schema) if schema is not None else None
        owned = [
            c.namespace
            for c in commands
            if adapter is None or not adapter.annotation_at(c.namespace)[0]
        ]
        listing = req.args.list_params or req.args.explain_param is not None
        unknown = _unknown(req.overrides, commands, owned)
        if unknown and not listing:
            _fail(prog, unknown)
        res = resolve(
            req.files,
            schema=schema,
            defines=req.overrides,
            assignments=assignments(req),
            owned=owned,
            tolerant=listing,
        )
    except CliError as e:
        _fail(prog, [str(e)])
    except ConfigValidationError as e:
        _fail(prog, findings(e.errors()))
    except (HyperparameterError, OSError, ValueError) as e:
        _fail(prog, [str(e)])
    problems = list(unknown)
    missing: list[str] = []
    values = _values(req.cmd, res, problems, missing)
    if listing:
        try:
            with writing(prog):
                if req.args.list_params:
                    out(printable(_list(req.cmd, res, values)))
                else:
                    out(printable(_explain(req.args.explain_param, req.cmd, res, values)))
        except CliError as e:
            _fail(prog, [str(e)])
        if res.errors or problems:
            _fail(prog, [*findings(res.errors), *problems])
        raise SystemExit(0)
    sweeping = bool(req.args.multirun or req.args.sweep)
    if missing and not sweeping:
        problems.append(f"the following arguments are required: {', '.join(missing)}")
    if problems:
        _fail(prog, problems)
    if sweeping:
        from .sweep import sweep

        return sweep(req, res, values, owned, prog)
    return _call(req.cmd, res, values, owned, prog)


def _call(
    cmd: Command, res: Resolution, values: dict[str, Any], owned: list[Loc], prog: str
) -> Any:
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for p in cmd.params:
        if p.kind is _P.POSITIONAL_ONLY:
            args.append(values.get(p.name, p.default))
        elif p.name in values:
            kwargs[p.name] = values[p.name]
    typed = {p.key: values[p.name] for p in cmd.params if p.name in values}
    # The run's values are frozen for the threads the function starts, and the snapshot that
    # was there before is put back afterwards: a second launch in the same process (a test
    # suite, a notebook, a loop over experiments) starts from what the first one started from.
    before = storage.snapshot_token()
    try:
        with contextlib.ExitStack() as stack:
            try:
                if res.instance is not None:
                    stack.enter_context(param_scope(res.instance))
                    tree = res.subtree(owned)
                else:
                    tree = res.tree
                stack.enter_context(param_scope(*[tree] if tree else [], **typed))
                param_scope.frozen()
            except HyperparameterError as e:
                _fail(prog, [str(e)])
            result = cmd.fn(*args, **kwargs)
            if inspect.iscoroutine(result):
                result = asyncio.run(result)
    finally:
        storage.restore_snapshot(before)
    return result


def _launchable(obj: Any) -> bool:
    """An ``@auto_param`` function or class itself: ``vars``, not ``getattr``, so neither a
    subclass (which inherits the marker) nor an accessor (which answers every name) passes."""
    if not isinstance(obj, (types.FunctionType, type)):
        return False
    return isinstance(vars(obj).get("_auto_param_namespace"), str)


def discover(
    namespace: Mapping[str, Any], local: Mapping[str, Any] | None = None
) -> list[Callable[..., Any]]:
    """The public ``@auto_param`` functions and classes that ``launch()`` exposes: those held
    by the calling function's ``local`` variables (0.6 found them too: functions defined in a
    function body or a test method), then those defined in the module ``namespace`` (imported
    ones are not commands). A local function shadows a global one of the same name."""
    module = namespace.get("__name__")
    found: dict[str, Callable[..., Any]] = {}
    for name, obj in (local or {}).items():
        if not name.startswith("_") and _launchable(obj):
            found.setdefault(obj.__name__, obj)
    for name, obj in namespace.items():
        if (
            not name.startswith("_")
            and _launchable(obj)
            and getattr(obj, "__module__", None) == module
        ):
            found.setdefault(obj.__name__, obj)
    unique = list({id(f): f for f in found.values()}.values())
    if not unique:
        where = (
            f"module {module!r}" if local is None else f"the caller's locals or module {module!r}"
        )
        raise TypeError(
            f"launch() found no @auto_param functions in {where}; pass them: "
            "launch(train, evaluate)"
        )
    return unique
