"""A study: an evaluation described as data (a TOML file), checked, overridable, runnable.

>>> from evalkit import Study
>>> study = Study.from_toml("fui").set("design.windows.t1", "2016-03..2016-05")   # doctest: +SKIP
>>> result = study.run()                                                          # doctest: +SKIP

``Study.from_toml`` takes the path of a study file or the name of a bundled study
(:func:`bundled_studies`).  Every setting can be changed with :meth:`Study.with_overrides`
(``{"outcomes.horizons": [1, 3, 6, 12]}``; values may also be given as text, as on the
command line: ``"1,3,6,12"``).  The study is checked when it is made and after every
override: an unknown key, a value of the wrong type or an impossible design raises
:class:`~evalkit.errors.StudyError` naming the key.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from os import PathLike
from pathlib import Path
from types import MappingProxyType
from typing import Any

from evalkit.errors import StudyError
from evalkit.panel.roles import nearest
from evalkit.study.kinds import KINDS, StudyKind
from evalkit.study.output import Output
from evalkit.study.schema import Key, Place, Table, lookup, resolve

#: Where the bundled study files live inside the package.
BUNDLED = "studies"


def bundled_studies() -> tuple[str, ...]:
    """Names of the bundled studies (``evalkit run NAME``): the files in ``evalkit/data/studies``."""
    folder = resources.files("evalkit.data").joinpath(BUNDLED)
    return tuple(sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")))


def _read_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StudyError(f"study file {source!r} is not valid TOML: {exc}") from None


@dataclass(frozen=True)
class Study:
    """An evaluation described as data.

    Attributes
    ----------
    document
        The study as given: the file's tables with the overrides applied (read-only).
    source
        The study file (or bundled study) it came from, named in messages; relative
        paths in the file are read relative to its folder.
    origins
        Setting (``data.panel``) -> how messages name it when not as the file's key
        (``--data``, ``--set data.panel``).
    """

    document: Mapping[str, Any]
    source: str | None = None
    origins: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "document", copy.deepcopy(dict(self.document)))
        object.__setattr__(self, "origins", MappingProxyType(dict(self.origins)))
        settings = resolve(self.document, self.kind.schema, self.place)
        self.kind.check(settings, self.place)
        object.__setattr__(self, "_settings", settings)

    # --- making a study ------------------------------------------------------------------

    @classmethod
    def from_toml(cls, path_or_name: str | PathLike[str]) -> "Study":
        """Read a study file, or a bundled study by name (``"fui"``).

        Raises
        ------
        StudyError
            When the file is missing, not UTF-8, not valid TOML (with the line), or
            breaks its kind's schema.
        """
        text_path = str(path_or_name)
        path = Path(text_path)
        if not path.is_file() and path.suffix != ".toml" and "/" not in text_path and "\\" not in text_path:
            names = bundled_studies()
            if text_path not in names:
                raise StudyError(
                    f"no study file {text_path!r} and no bundled study of that name; bundled studies: "
                    f"{', '.join(names)}." + nearest(text_path, names)
                )
            resource = resources.files("evalkit.data").joinpath(BUNDLED).joinpath(f"{text_path}.toml")
            return cls.from_dict(_read_toml(resource.read_text(encoding="utf-8"), text_path), source=text_path)
        if not path.exists():
            raise StudyError(f"study file {text_path!r} does not exist")
        if not path.is_file():
            raise StudyError(f"study file {text_path!r} is a directory; expected a .toml file")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise StudyError(f"study file {text_path!r} is not UTF-8 text: {exc}") from None
        if not text.strip():
            raise StudyError(f"study file {text_path!r} is empty; 'evalkit init-study' writes a template")
        document = _read_toml(text, text_path)
        study = cls.from_dict(document, source=text_path)
        if path.parent != Path("."):
            _relative_to(document, study.kind.schema, path.parent)
            study = cls.from_dict(document, source=text_path)
        return study

    @classmethod
    def from_dict(cls, document: Mapping[str, Any], *, source: str | None = None) -> "Study":
        """A study from a mapping shaped like the TOML file (paths as given)."""
        return cls(document=document, source=source)

    def with_overrides(self, values: Mapping[str, Any], *, origins: Mapping[str, str] | None = None) -> "Study":
        """A new study with settings replaced: ``{"design.windows.t1": "2016-03..2016-05"}``.

        Keys are dotted paths of the study file's tables and keys.  Values are of the
        key's type, or text read as the command line reads it (``"1,3,6,12"``, ``"true"``).
        ``origins`` names, per key, how messages refer to it (default ``override <key>``
        for the keys set; a command line passes its options' names, also for the keys
        it leaves at their value).  Relative paths given here are relative to the
        working directory.
        """
        document = copy.deepcopy(dict(self.document))
        named = {**self.origins, **(origins or {})}
        for dotted, value in values.items():
            origin = named.get(dotted, f"override {dotted}")
            try:
                spec, parts = lookup(self.kind.schema, dotted)
            except StudyError as err:
                raise StudyError(f"{origin}: {err}") from None
            if isinstance(spec, Table):
                raise StudyError(f"{origin}: {dotted} is a table; set one of its keys ({dotted}.<key>)")
            if isinstance(value, str) and isinstance(spec, Key):
                value = spec.from_text(value, origin)
            node = document
            for i, part in enumerate(parts[:-1]):
                table, _ = lookup(self.kind.schema, ".".join(parts[: i + 1]))
                # a table of named entries absent from the file starts from its default entries
                seed = copy.deepcopy(table.default) if isinstance(table, Table) and table.entries is not None else {}
                child = node.setdefault(part, seed)
                if not isinstance(child, dict):
                    raise StudyError(f"{origin}: {'.'.join(parts[: i + 1])} is not a table in {self.source!r}")
                node = child
            node[parts[-1]] = value
            named[dotted] = origin
        return Study(document=document, source=self.source, origins=named)

    def set(self, key: str, value: Any) -> "Study":
        """A new study with one setting replaced (see :meth:`with_overrides`)."""
        return self.with_overrides({key: value})

    # --- what it is ------------------------------------------------------------------------

    @property
    def place(self) -> Place:
        return Place(self.source, self.origins)

    @property
    def kind(self) -> StudyKind:
        """The kind of study (``kind = "..."``), from the dispatch table."""
        kind = self.document.get("kind")
        head = f"study file {self.source!r}" if self.source else "study"
        if kind is None:
            raise StudyError(f"{head}: no kind; expected kind = one of {list(KINDS)} at the top of the file")
        if not isinstance(kind, str) or kind not in KINDS:
            where = self.origins.get("kind", f"{head}, kind")
            hint = nearest(kind, tuple(KINDS)) if isinstance(kind, str) else ""
            raise StudyError(f"{where}: unknown kind {kind!r}; expected one of {list(KINDS)}.{hint}")
        return KINDS[kind]

    @property
    def settings(self) -> dict[str, Any]:
        """Every setting with the defaults filled in (a copy; nested tables as dicts)."""
        return copy.deepcopy(self._settings)  # type: ignore[attr-defined]

    def get(self, key: str) -> Any:
        """One setting by its dotted key: ``study.get("design.windows")``."""
        node: Any = self._settings  # type: ignore[attr-defined]
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise StudyError(f"study has no setting {key!r}")
            node = node[part]
        return copy.deepcopy(node)

    # --- running it --------------------------------------------------------------------------

    def load(self) -> Any:
        """Read and validate the study's data (the inputs :meth:`run` takes)."""
        return self.kind.load(self.settings, self.place)

    def run(self, inputs: Any = None) -> Any:
        """Run the study; returns the kind's result (a FuiReplication for entry_cohort_did)."""
        return self.kind.run(self.settings, self.load() if inputs is None else inputs)

    def to_text(self, result: Any, inputs: Any, output: Output | None = None) -> str:
        """The result as terminal text, as ``evalkit run`` prints it."""
        return self.kind.to_text(result, inputs, output or Output())

    def results_document(self, result: Any, output: Output | None = None) -> dict[str, Any]:
        """The results document, as ``evalkit run --json`` prints it and ``--check`` checks it."""
        return self.kind.results_document(result, self.settings, output or Output(), self.source)

    def write(self, result: Any, out: str | PathLike[str], output: Output | None = None) -> list[Path]:
        """Write the result's report files (and ``results.json``) into the folder ``out``."""
        return self.kind.write(result, Path(out), self.settings, output or Output(), self.source)

def _relative_to(document: dict[str, Any], table: Table, base: Path) -> None:
    """Make the relative paths of a study file's document relative to the file's folder."""
    if table.entries is not None and table.entries.type == "path":  # user-named files ([data.auxiliary])
        for name, value in document.items():
            if isinstance(value, str) and value and not Path(value).is_absolute():
                document[name] = str(base / value)
        return
    for name, spec in table.keys.items():
        value = document.get(name)
        if isinstance(spec, Table) and isinstance(value, dict):
            _relative_to(value, spec, base)
        elif isinstance(spec, Key) and spec.type == "path" and isinstance(value, str) and value:
            if not Path(value).is_absolute():
                document[name] = str(base / value)
