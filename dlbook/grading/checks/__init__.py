"""The exercise sets, one module per chapter (``ch01.py``, ``ch02.py``, ...).

Importing a ``chNN`` module registers its exercises. The registry imports a
chapter's set when that chapter's exercises are asked for, and all of them
(:func:`load`) when every exercise is: a later chapter adds its set by adding
a module here, and the registry, workers, CLI and notebook ``check`` need
nothing else.
"""

import pkgutil
import re
from importlib import import_module

CHAPTERS = tuple(sorted(info.name for info in pkgutil.iter_modules(__path__)
                        if re.fullmatch(r"ch\d\d", info.name)))



def load(chapters: tuple[str, ...] = CHAPTERS) -> None:
    """Import the exercise sets of ``chapters``; each registers its exercises once."""
    for chapter in chapters:
        import_module(f"{__name__}.{chapter}")
