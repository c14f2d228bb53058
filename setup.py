"""Only what pyproject.toml cannot say: the wheel carries the exercise stubs and the lock.

``dlbook exercises`` and ``dlbook doctor`` need ``exercises/*.py`` and
``requirements.txt``, which live at the root of the clone; the build copies
them into ``dlbook/_shipped/`` of the wheel (see ``dlbook/distribution.py``).
``solutions/`` is never copied.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithShippedFiles(build_py):
    def run(self):
        super().run()
        shipped = Path(self.build_lib) / "dlbook" / "_shipped"
        (shipped / "exercises").mkdir(parents=True, exist_ok=True)
        for stub in sorted((ROOT / "exercises").glob("ch*_*.py")):
            shutil.copyfile(stub, shipped / "exercises" / stub.name)
        shutil.copyfile(ROOT / "requirements.txt", shipped / "requirements.txt")


setup(cmdclass={"build_py": BuildWithShippedFiles})
