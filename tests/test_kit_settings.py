"""The provider kit's settings-file reader, shared by lio (config=), nfs and ganesha
(settings=). Real files in a temporary directory; one of each outcome."""

from __future__ import annotations

from pathlib import Path

import pytest
from storplan.errors import InvalidArgument
from storplan.providers.kit.options import read_settings_file

KEYS = frozenset({"base", "pools"})


def read(path: str | None, default: Path) -> dict[str, object]:
    return read_settings_file(path, str(default), KEYS, "the test settings", "settings")


def test_a_missing_default_file_is_no_settings(tmp_path: Path) -> None:
    assert read(None, tmp_path / "absent.yaml") == {}


def test_a_named_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="cannot read the test settings") as caught:
        read(str(tmp_path / "absent.yaml"), tmp_path / "default.yaml")
    assert caught.value.hint == "fix the path given as settings="


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", {}),
        ("base: /srv\n", {"base": "/srv"}),
        ("base: /srv\npools: []\n", {"base": "/srv", "pools": []}),
    ],
)
def test_a_mapping_of_known_keys(tmp_path: Path, content: str, expected: object) -> None:
    (tmp_path / "default.yaml").write_text(content)
    assert read(None, tmp_path / "default.yaml") == expected


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("base: [\n", "is not valid YAML"),
        ("- a list\n", "expected a mapping with keys base, pools"),
        ("base: /srv\ncolour: blue\n", "unknown: colour"),
    ],
)
def test_anything_else_is_refused(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "s.yaml").write_text(content)
    with pytest.raises(InvalidArgument, match=message):
        read(str(tmp_path / "s.yaml"), tmp_path / "default.yaml")
