"""The exercise sets, one module per chapter (``ch01.py``, ``ch02.py``, ...).

Importing this package imports every ``chNN`` module in it, which registers
its exercises: a later chapter adds its set by adding a module here, and the
registry, workers, CLI and notebook ``check`` need nothing else.
"""

import pkgutil
import re
from importlib import import_module

CHAPTERS = tuple(sorted(info.name for info in pkgutil.iter_modules(__path__)
                        if re.fullmatch(r"ch\d\d", info.name)))

for _chapter in CHAPTERS:
    import_module(f"{__name__}.{_chapter}")
