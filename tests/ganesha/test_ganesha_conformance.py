"""The storplan provider conformance kit, run against the ganesha provider and a real
ganesha.nfsd (the ``array`` fixture of ``conftest.py``).  Skips name the capabilities the
provider does not declare (block storage, file-system resizing and snapshots, async,
NFS versions).
"""

from storplan.conformance.test_conformance import *  # noqa: F403
from storplan.conformance.test_conformance_gate import *  # noqa: F403
from storplan.conformance.test_conformance_masking import *  # noqa: F403
from storplan.conformance.test_conformance_nas import *  # noqa: F403
