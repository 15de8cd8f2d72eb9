"""The exception hierarchy drawn in ``driftline.errors``' docstring is the real one, and the
errors carry where (``field``, ``index``) and what (``what``, ``name``) went wrong."""

from __future__ import annotations

import re

import pytest

from driftline import errors
from driftline.errors import (
    ConfigurationError,
    DataStateError,
    DriftlineError,
    NotFittedError,
    NotFoundError,
    StoreError,
    StoreLockedError,
    StoreUnavailableError,
    StoreVersionError,
    ValidationError,
)

_TREE_LINE = re.compile(r"^(?P<indent>[ │├└─]*?)(?P<name>[A-Z]\w*Error)\b")


def drawn_tree() -> dict[str, str | None]:
    """Each class of the docstring's tree -> its parent there (None for the root)."""
    assert errors.__doc__
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []  # (column of the name, name) of the current branch
    for line in errors.__doc__.splitlines():
        match = _TREE_LINE.match(line.strip("\n"))
        if not match or not line.startswith("    "):
            continue
        column = match.start("name")
        while stack and stack[-1][0] >= column:
            stack.pop()
        parents[match["name"]] = stack[-1][1] if stack else None
        stack.append((column, match["name"]))
    return parents


def defined_errors() -> dict[str, type[DriftlineError]]:
    return {
        name: value
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, DriftlineError)
    }


def test_the_drawing_parses() -> None:
    tree = drawn_tree()
    assert tree["DriftlineError"] is None
    assert tree["StoreLockedError"] == "StoreError"
    assert tree["StoreError"] == "DriftlineError"
    assert [name for name, parent in tree.items() if parent is None] == ["DriftlineError"]


def test_the_drawing_names_every_error_and_nothing_else() -> None:
    assert set(drawn_tree()) == set(defined_errors()) == set(errors.__all__)


def test_the_drawing_matches_the_mro() -> None:
    tree = drawn_tree()
    classes = defined_errors()
    for name, cls in classes.items():
        drawn_ancestors = []
        parent = tree[name]
        while parent is not None:
            drawn_ancestors.append(parent)
            parent = tree[parent]
        real_ancestors = [c.__name__ for c in cls.__mro__[1:] if issubclass(c, DriftlineError)]
        assert real_ancestors == drawn_ancestors, name


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (ConfigurationError, ValueError),
        (ValidationError, ValueError),
        (NotFoundError, LookupError),
        (DataStateError, RuntimeError),
        (NotFittedError, RuntimeError),
        (StoreError, RuntimeError),
        (StoreLockedError, RuntimeError),
        (StoreUnavailableError, RuntimeError),
        (StoreVersionError, RuntimeError),
    ],
)
def test_errors_are_also_the_builtin_callers_expect(cls: type[Exception],
                                                     builtin: type[Exception]) -> None:
    assert issubclass(cls, builtin)


def test_not_found_and_data_state_are_not_configuration_errors() -> None:
    for cls in (NotFoundError, DataStateError, ValidationError):
        assert not issubclass(cls, ConfigurationError), cls
    assert not issubclass(NotFoundError, ValueError)


def test_validation_error_says_where() -> None:
    error = ValidationError("expected a number", field="features.x", index=3)
    assert (error.message, error.field, error.index) == ("expected a number", "features.x", 3)
    assert str(error) == "expected a number"
    bare = ValidationError("bad body")
    assert (bare.field, bare.index) == (None, None)
    with pytest.raises(TypeError):
        ValidationError("positional field", "features.x")  # type: ignore[misc]


def test_not_found_error_says_what() -> None:
    error = NotFoundError("no model 'm9'", what="model", name="m9")
    assert (error.message, error.what, error.name) == ("no model 'm9'", "model", "m9")
    assert str(error) == "no model 'm9'"
    bare = NotFoundError("gone")
    assert (bare.what, bare.name) == (None, None)
    with pytest.raises(LookupError, match="m9"):
        raise error
