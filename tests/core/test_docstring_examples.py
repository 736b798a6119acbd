"""Every example in a docstring of the core library and the model runtime runs as written."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import labeler
import models

MODULES = sorted(
    m.name
    for package in (labeler, models)
    for m in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")
    if not m.ispkg and not m.name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
