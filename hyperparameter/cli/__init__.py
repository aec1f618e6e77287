"""The command line: :func:`launch` (alias :func:`run_cli`) turns ``@auto_param`` functions
into an application's CLI, and :func:`main` is the ``hp`` tool (``hp lint``, ``hp show``,
``hp explain``, ``hp schema``, ``hp tune show``; also ``python -m hyperparameter``). See
``docs/cli.md``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["launch", "main", "run_cli"]


def launch(
    *funcs: Callable[..., Any],
    argv: Sequence[str] | None = None,
    prog: str | None = None,
    schema: type | None = None,
    description: str | None = None,
) -> Any:
    """Runs ``@auto_param`` functions (or classes) as a command-line program.

    ``launch(train)`` parses ``sys.argv`` (or ``argv``) into ``train``'s parameters and calls
    it; ``launch(train, evaluate)`` makes one subcommand per function, and ``launch()``
    finds the public ``@auto_param`` functions of the caller (its local variables, then its
    module's globals). Each parameter with a default is an option typed by its annotation
    (``--lr 0.1``; ``--amp``, ``--no-amp`` or ``--amp false`` for bools; ``--tags a b`` for
    lists), each one without is positional; help comes from the Google, NumPy or reST
    docstring. ``-C FILE [FILE ...]`` (repeatable) merges config files, ``-D key=value`` and
    bare ``key=value`` words set any key; precedence is ``--arg`` > ``-D`` > later ``-C`` >
    earlier ``-C`` > default. ``--schema pkg.mod:Class`` (or ``schema=``) validates
    the merged config. ``--list-params`` and ``--explain-param KEY`` print each value's type,
    default and source and exit.

    The resolved values are pushed with :func:`~hyperparameter.param_scope` around the call and
    frozen (:meth:`param_scope.frozen`), so the function, what it calls, and threads it starts
    all see them; afterwards the snapshot that was there before is put back, so each
    ``launch`` in one process is independent of the previous ones. Returns what the function
    returns (a coroutine function is run with ``asyncio.run``). Command-line errors print one
    line on stderr and exit with status 2.
    """
    from .app import discover, run

    if not funcs:
        caller = sys._getframe(1)
        local = None if caller.f_locals is caller.f_globals else caller.f_locals
        funcs = tuple(discover(caller.f_globals, local))
        del caller
        if len(funcs) == 1:
            # One function found: it also answers to its name as the first word, as in 0.6
            # (`app.py train --lr 1` works whether or not the module grows a second command).
            argv = list(sys.argv[1:] if argv is None else argv)
            if argv[:1] == [funcs[0].__name__]:
                del argv[0]
    return run(funcs, argv=argv, prog=prog, schema=schema, description=description)


run_cli = launch


def main(argv: Sequence[str] | None = None) -> int:
    """The ``hp`` command: ``hp lint``, ``hp show``, ``hp explain``, ``hp schema`` and
    ``hp tune show`` (a stored study's trials; it imports Optuna when it runs).

    Returns the exit status: 0 clean, 1 findings (a config with problems), 2 a usage error
    (bad flag, unknown key, schema not importable). Errors are one line on stderr; ``--debug``
    shows the traceback instead.
    """
    from .tool import main as tool_main

    return tool_main(argv)
