"""Unit tests for provider discovery (:mod:`storplan.registry`).

Everything here is real: the built-in ``sim`` entry point comes from the installed storplan
distribution's metadata, and third-party providers are real distributions
(``<name>-<version>.dist-info/entry_points.txt`` plus a module) written to ``tmp_path`` and put
on ``sys.path`` with ``monkeypatch.syspath_prepend``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from storplan.errors import InvalidArgument, ProviderError
from storplan.providers.sim import SimProvider
from storplan.registry import (
    GROUP,
    ProviderEntry,
    find_provider,
    provider_entries,
    providers_available,
)

MODULE = "fakevendor_mod"


@pytest.fixture
def forget_fake_module() -> Iterator[None]:
    """Make sure each test imports its own ``fakevendor_mod`` from its own tmp_path."""
    sys.modules.pop(MODULE, None)
    yield
    sys.modules.pop(MODULE, None)


def install_distribution(
    root: Path, entries: str, *, dist: str = "fakevendor-1.0", group: str = GROUP
) -> Path:
    """Write a real ``.dist-info`` with ``[group]`` ``entries`` under ``root``."""
    info = root / f"{dist}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {dist.split('-')[0]}\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(f"[{group}]\n{entries}\n", encoding="utf-8")
    return info


def write_module(root: Path, body: str) -> None:
    """Write ``fakevendor_mod.py`` with ``body`` under ``root``."""
    (root / f"{MODULE}.py").write_text(body, encoding="utf-8")


FACTORY_MODULE = '''
class Factory:
    """A stand-in provider factory."""

    scheme = "fake"


class Outer:
    class Inner:
        pass
'''


# --- the built-in provider ---------------------------------------------------------------------


def test_builtin_sim_entry_point() -> None:
    entries = provider_entries()
    assert "sim" in entries
    sim = entries["sim"]
    assert sim == ProviderEntry("sim", "storplan.providers.sim:SimProvider", "storplan")
    assert sim.load() is SimProvider
    assert find_provider("sim") == sim
    assert find_provider("SIM") == sim


def test_providers_available_is_sorted() -> None:
    available = providers_available()
    schemes = [entry.scheme for entry in available]
    assert schemes == sorted(schemes)
    assert "sim" in schemes


def test_unknown_scheme_lists_installed_providers() -> None:
    with pytest.raises(InvalidArgument) as info:
        find_provider("nope")
    err = info.value
    assert err.code == "invalid_argument"
    assert "'nope'" in err.message
    assert "installed providers:" in err.hint
    assert "sim" in err.hint
    assert ", ".join(sorted(provider_entries())) in err.hint


# --- third-party providers -----------------------------------------------------------------------


def test_third_party_provider(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forget_fake_module: None
) -> None:
    install_distribution(tmp_path, f"fake = {MODULE}:Factory")
    write_module(tmp_path, FACTORY_MODULE)
    with pytest.raises(InvalidArgument):
        find_provider("fake")
    monkeypatch.syspath_prepend(str(tmp_path))

    entry = find_provider("fake")
    assert entry == ProviderEntry("fake", f"{MODULE}:Factory", "fakevendor")
    factory = entry.load()
    assert isinstance(factory, type)
    assert factory.__name__ == "Factory"
    assert factory.__module__ == MODULE
    assert factory.scheme == "fake"  # type: ignore[attr-defined]
    assert "fake" in [e.scheme for e in providers_available()]
    assert find_provider("sim").distribution == "storplan"  # built-ins still found


def test_third_party_entry_point_syntax(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forget_fake_module: None
) -> None:
    install_distribution(
        tmp_path,
        "# a comment\n; another\n\nFakeUpper = fakevendor_mod:Factory\n"
        f"nested=  {MODULE}:Outer.Inner  \nwhole = {MODULE}\n"
        "[other.group]\nignored = fakevendor_mod:Factory",
    )
    write_module(tmp_path, FACTORY_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))

    entries = provider_entries()
    assert "ignored" not in entries
    assert entries["fakeupper"].load().__name__ == "Factory"  # type: ignore[attr-defined]
    assert entries["nested"].load().__qualname__ == "Outer.Inner"  # type: ignore[attr-defined]
    assert entries["whole"].load() is sys.modules[MODULE]


def test_entry_point_with_extras(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forget_fake_module: None
) -> None:
    # The entry-point spec allows "module:attr [extra1, extra2]"; consumers must parse it.
    install_distribution(tmp_path, f"fake = {MODULE}:Factory [smis, lio]")
    write_module(tmp_path, FACTORY_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert find_provider("fake").load().__name__ == "Factory"  # type: ignore[attr-defined]


def test_entries_in_other_groups_are_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_distribution(tmp_path, f"fake = {MODULE}:Factory", group="console_scripts")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "fake" not in provider_entries()


def test_first_distribution_on_sys_path_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    install_distribution(first, "fake = first_mod:Factory")
    install_distribution(second, "fake = second_mod:Factory", dist="fakevendor-2.0")
    monkeypatch.syspath_prepend(str(second))
    monkeypatch.syspath_prepend(str(first))
    assert find_provider("fake").target == "first_mod:Factory"


# --- broken providers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "module_body", "detail"),
    [
        ("fakevendor_missing_mod:Factory", None, "fakevendor_missing_mod"),
        (f"{MODULE}:Nope", FACTORY_MODULE, "Nope"),
        (f"{MODULE}:Outer.Nope", FACTORY_MODULE, "Nope"),
        (f"{MODULE}:Factory", "import fakevendor_dependency_not_installed\n", "fakevendor_dep"),
    ],
)
def test_broken_target_raises_provider_error(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    forget_fake_module: None,
    target: str,
    module_body: str | None,
    detail: str,
) -> None:
    install_distribution(tmp_path, f"fake = {target}")
    if module_body is not None:
        write_module(tmp_path, module_body)
    monkeypatch.syspath_prepend(str(tmp_path))

    entry = find_provider("fake")
    with pytest.raises(ProviderError) as info:
        entry.load()
    err = info.value
    assert err.code == "provider_error"
    assert "'fake'" in err.message
    assert "fakevendor" in err.message
    assert detail in err.message
    assert "cannot be loaded" in err.message
    assert "pip install 'fakevendor'" in err.hint
    assert "pip install" in err.hint
    assert err.__cause__ is not None  # kept for -v tracebacks
