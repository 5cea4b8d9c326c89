"""Studies: evaluations described as data (TOML files), checked, overridable and runnable.

``evalkit run STUDY.toml`` (or a bundled study, ``evalkit run fui``) and
``Study.from_toml(path_or_name).run()`` read a study file, check it against the schema of
its ``kind`` (:data:`~evalkit.study.kinds.KINDS`), apply overrides and run it.  This
package sits between the command line and the applications: it imports
``evalkit.replications``, which never imports it.
"""

from evalkit.study.kinds import KINDS, StudyKind
from evalkit.study.output import Output
from evalkit.study.study import Study, bundled_studies
from evalkit.study.template import template

__all__ = ["KINDS", "Output", "Study", "StudyKind", "bundled_studies", "template"]
