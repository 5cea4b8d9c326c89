"""Write the API reference pages of the documentation site from the packages' ``__all__``.

Run by the mkdocs-gen-files plugin at build time (``mkdocs.yml``), so that every public
name of every package is documented from its docstring, and a name added to an ``__all__``
appears on the site without editing a page.  One page per package; each public name is
rendered by mkdocstrings from the module that defines it (the path in the package's
``from ... import`` line), so a function named like its module resolves to the function.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import mkdocs_gen_files

#: The public packages, in the order data flows through them (docs/architecture.md).
PACKAGES = {
    "evalkit.panel": "Panels, column roles and validation",
    "evalkit.engine": "Engines: DuckDB and Spark",
    "evalkit.cohorts": "Entry cohorts and rollout schedules",
    "evalkit.outcomes": "Outcomes, transitions, NEET spells",
    "evalkit.staggered": "The staggered-adoption design",
    "evalkit.regression": "Least squares with fixed effects",
    "evalkit.estimators": "Estimators",
    "evalkit.inference": "Inference and few-cluster methods",
    "evalkit.sensitivity": "Sensitivity to parallel-trend violations",
    "evalkit.planning": "Power of planned rollouts",
    "evalkit.simulate": "Simulators",
    "evalkit.results": "Result types",
    "evalkit.report": "Reports, tables, figures, JSON",
    "evalkit.study": "Study files",
    "evalkit.replications.fui": "The FUI evaluation",
    "evalkit.replications.fui.synthetic": "The synthetic FUI register panel",
    "evalkit.replications.neet": "The long-term NEET analysis",
    "evalkit.replications.neet.synthetic": "The synthetic NEET population",
    "evalkit.testing": "Testing helpers",
    "evalkit.progress": "Progress reporting",
    "evalkit.rows": "Row-level messages",
    "evalkit.errors": "Errors and warnings",
}
ROOT = Path(__file__).resolve().parents[1]


def defining_paths(package: str) -> dict[str, str]:
    """Map each name of ``package.__all__`` to the dotted path of the module it is imported from.

    Names the package defines itself map to the package, names it loads on first use
    (a ``_LAZY`` table, PEP 562) to their module.  The ``from X import name`` lines
    of the package's ``__init__.py`` are read with :mod:`ast`, not by importing, because a
    function that shares its module's name (``did2x2``) hides the module on the package.
    """
    module = importlib.import_module(package)
    names = getattr(module, "__all__", None)
    if names is None:  # a module without __all__: its public classes and functions
        names = [n for n, v in vars(module).items()
                 if not n.startswith("_") and getattr(v, "__module__", None) == package]
    source = Path(module.__file__).read_text(encoding="utf-8")
    imported: dict[str, str] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                imported[alias.asname or alias.name] = node.module
    imported.update(getattr(module, "_LAZY", {}))  # names loaded on first use (PEP 562)
    return {name: f"{imported.get(name, package)}.{name}" for name in names}


def page_name(package: str) -> str:
    """The reference page of a package: ``reference/estimators.md`` for ``evalkit.estimators``."""
    return "reference/" + package.removeprefix("evalkit.").replace(".", "_") + ".md"


def write_package_page(package: str, title: str) -> dict[str, str]:
    """Write one package's page; return public name -> page anchor."""
    paths = defining_paths(package)
    doc = (importlib.import_module(package).__doc__ or "").strip().split("\n\n")[0]
    anchors = {}
    with mkdocs_gen_files.open(page_name(package), "w") as fh:
        fh.write(f"# `{package}`: {title}\n\n{doc}\n\n")
        for name, path in paths.items():
            fh.write(f"::: {path}\n    options:\n      heading: {name}\n      toc_label: {name}\n\n")
            anchors[name] = path
    mkdocs_gen_files.set_edit_path(page_name(package), "../docsite/gen_reference.py")
    return anchors


def write_index(documented: dict[str, dict[str, str]]) -> None:
    """The reference's front page: every name of ``import evalkit`` and where it is documented."""
    import evalkit

    where = {}
    for package, anchors in documented.items():
        for name, path in anchors.items():
            where.setdefault(name, (package, path))
    with mkdocs_gen_files.open("reference/index.md", "w") as fh:
        fh.write("# API reference\n\n")
        fh.write("Every name below is available as `evalkit.<name>` (loaded on first use); "
                 "the pages by package document every public name of each package.\n\n")
        fh.write("| name | package |\n|---|---|\n")
        for name in sorted(evalkit.__all__, key=str.lower):
            if name.startswith("__"):
                continue
            package, path = where[name]
            page = page_name(package).removeprefix("reference/")
            fh.write(f"| [`{name}`]({page}#{path}) | `{package}` |\n")
        fh.write("\n| package | what it holds |\n|---|---|\n")
        for package, title in PACKAGES.items():
            fh.write(f"| [`{package}`]({page_name(package).removeprefix('reference/')}) | {title} |\n")


documented = {package: write_package_page(package, title) for package, title in PACKAGES.items()}
write_index(documented)
