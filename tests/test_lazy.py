"""dlbook.lazy: Keras classes created on first lookup and joined to their module."""

import subprocess
import sys
import types

import pytest

from dlbook import lazy


@pytest.fixture
def module(monkeypatch):
    """A throwaway module whose class ``Widget`` is defined lazily; counts the definitions."""
    mod = types.ModuleType("dlbook_fake_module")
    monkeypatch.setitem(sys.modules, mod.__name__, mod)
    mod.calls = 0

    def define():
        mod.calls += 1

        class Local:
            pass

        return {"Widget": Local}

    mod.classes = lazy.KerasClasses(mod.__name__, ("Widget",), define)
    mod.__getattr__, mod.__dir__ = mod.classes.module_getattr, mod.classes.module_dir
    return mod


def test_a_class_is_defined_once_on_first_lookup_and_joins_its_module(module):
    assert module.calls == 0 and "Widget" in dir(module) and "Widget" not in vars(module)
    widget = module.Widget
    assert module.calls == 1 and vars(module)["Widget"] is widget
    assert (widget.__module__, widget.__qualname__) == ("dlbook_fake_module", "Widget")
    assert module.classes["Widget"] is widget and module.classes.all() == {"Widget": widget}
    assert module.calls == 1


def test_unknown_names_raise_attribute_error_naming_the_module(module):
    with pytest.raises(AttributeError, match="'dlbook_fake_module' has no attribute 'Gadget'"):
        module.Gadget  # noqa: B018
    assert module.calls == 0


def test_a_definition_that_misses_a_declared_name_is_refused(monkeypatch):
    mod = types.ModuleType("dlbook_fake_broken")
    monkeypatch.setitem(sys.modules, mod.__name__, mod)
    classes = lazy.KerasClasses(mod.__name__, ("A", "B"), lambda: {"A": type("A", (), {})})
    with pytest.raises(RuntimeError, match=r"defined \['A'\], expected \['A', 'B'\]"):
        classes.all()


def test_importing_the_modules_with_keras_classes_does_not_import_keras():
    code = ("import sys, dlbook.gan, dlbook.recurrent, dlbook.regularization, dlbook.resnet, "
            "dlbook.schedules, dlbook.autoencoders, dlbook.transfer; "
            "print('keras' in sys.modules or 'tensorflow' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
