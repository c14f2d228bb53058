"""dev.py's own logic: what a no-change rebuild may skip."""

import pytest

import dev


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setattr(dev, "ROOT", tmp_path)
    for name in ("book/01_intro.md", "dlbook/lstm.py", "exercises/ch01.py", "solutions/ch01.py",
                 "_config.yml", "_toc.yml", "requirements.txt", "README.md", "tests/test_x.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("original\n")
    return tmp_path


@pytest.mark.parametrize("changed", ["book/01_intro.md", "dlbook/lstm.py", "exercises/ch01.py",
                                     "_config.yml", "requirements.txt",
                                     "_build/.dlbook-dependencies.json"])
def test_the_html_sources_change_with_what_sphinx_reads(project, changed):
    before = dev.html_sources({})
    (project / changed).parent.mkdir(exist_ok=True)
    (project / changed).write_text("edited\n")
    assert dev.html_sources({}) != before


def test_the_html_sources_ignore_other_files_and_environment_variables(project):
    before = dev.html_sources({"PATH": "/bin"})
    (project / "README.md").write_text("edited\n")
    (project / "tests" / "test_x.py").write_text("edited\n")
    (project / "dlbook" / "__pycache__").mkdir()
    (project / "dlbook" / "__pycache__" / "lstm.pyc").write_bytes(b"\0")
    assert dev.html_sources({"PATH": "/usr/bin"}) == before


def test_the_html_sources_change_with_the_build_settings(project):
    assert dev.html_sources({"DLBOOK_PROFILE": "quick"}) != dev.html_sources({"DLBOOK_PROFILE": "full"})
    assert dev.html_sources({"KERAS_BACKEND": "jax"}) != dev.html_sources({})


def test_the_backend_matrix_covers_every_module_of_the_keras_layer():
    from tests.test_keras_import import KERAS_MODULES

    matrix = set(dev.BACKEND_MATRIX)
    for path in matrix:
        assert (dev.ROOT / path).is_file(), f"dev.BACKEND_MATRIX names {path}, which does not exist"
    for module in KERAS_MODULES - {"dlbook.keras_import"}:
        topic = module.removeprefix("dlbook.").removesuffix("_keras")
        assert f"tests/test_{topic}.py" in matrix, f"{module}'s tests do not run on JAX and PyTorch"
    assert "tests/test_training.py" in matrix  # the training path
