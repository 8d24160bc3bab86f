"""Export paths for the tests of the provider kit's ``check_export_path`` and of the two NFS
providers that use it (tests/test_nfs_units.py, tests/test_ganesha_units.py).

``BAD_PATHS`` has one or more paths for each of its rules.  The nfs provider's ``check_path``
and ganesha's ``check_pseudo``, which it replaced, had the same rules: each refused all of
them.
"""

from __future__ import annotations

__all__ = ["BAD_PATHS", "GOOD_PATHS"]

GOOD_PATHS = ["/a", "/projects/alpha", "/Team_1/v2.0", "/a/b+c@d:e-f", "/9"]
BAD_PATHS = [
    "",  # empty
    "relative",  # not absolute: export_root + "relative" leaves export_root
    "/",  # export_root itself / Ganesha's pseudo root
    "/a/",  # trailing slash: a second spelling of /a
    "//a",  # empty segment
    "/a/./b",  # "." segment
    "/a/../../etc",  # ".." leaves export_root
    "/..",
    "/.hidden",  # a segment must start with a letter or digit
    "/-a",
    "/my home",  # white space ends an exports/fstab field
    "/a#b",  # a comment in the exports file
    "/a(rw)",  # an option list in the exports file
    '/a"b',  # ends a Ganesha string
    "/a\\b",
    "/a\nb",
    "/a\tb",
    "/a\n",  # a trailing line break ("$" in a regular expression would let it through)
    "/caf\u00e9",  # ASCII only
    "/a\x00",
]
