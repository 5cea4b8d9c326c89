"""Public names of a package loaded from their modules on first access (PEP 562).

A package lists its names and the module defining each, and binds the two functions this
module makes::

    _LAZY = {"etable": "evalkit.report.tables", ...}
    __getattr__, __dir__ = lazy_module(__name__, _LAZY)

``import package`` then imports none of those modules; ``package.etable`` (or ``from
package import etable``) imports ``evalkit.report.tables`` once and keeps the name in
the package, so later accesses are plain attribute look-ups.  This keeps ``import
evalkit`` and the command line's start-up free of matplotlib, scipy.stats, DuckDB and
the other heavy libraries until a name that needs them is used (docs/architecture.md).

A public name may be spelled like a submodule (``evalkit.estimators.did2x2`` the function,
defined in the module ``evalkit.estimators.did2x2``).  Importing such a submodule makes
Python bind the module to the package's attribute of that name; the package made lazy
here ignores that binding, so the name stays the function whatever was imported first.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Mapping
from typing import Any


def lazy_module(
    name: str, table: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` of package ``name`` (PEP 562).

    Parameters
    ----------
    name
        The package's ``__name__``.
    table
        Public name -> the module that defines it (its full dotted name).

    Returns
    -------
    (__getattr__, __dir__)
        ``__getattr__(attr)`` imports ``table[attr]``, stores the value in the package and
        returns it; a name not in ``table`` raises ``AttributeError`` naming the package.
        ``__dir__()`` lists the package's attributes and every name of ``table``.
        The package's module becomes a :class:`types.ModuleType` subclass that keeps a
        public name of ``table`` when the submodule spelled like it is imported.
    """

    class LazyPackage(types.ModuleType):
        def __setattr__(self, attr: str, value: Any) -> None:
            if attr in table and isinstance(value, types.ModuleType) and value.__name__ == f"{name}.{attr}":
                return  # the public name, not the submodule spelled like it
            super().__setattr__(attr, value)

    sys.modules[name].__class__ = LazyPackage

    def __getattr__(attr: str) -> Any:
        module = table.get(attr)
        if module is None:
            raise AttributeError(f"module {name!r} has no attribute {attr!r}")
        value = getattr(importlib.import_module(module), attr)
        setattr(sys.modules[name], attr, value)  # later accesses skip this function
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[name])) | set(table))

    return __getattr__, __dir__


__all__ = ["lazy_module"]
