"""The storplan provider conformance kit, run against the smis provider and the mock array.

The kit's tests are imported here; ``conftest.py`` overrides the kit's ``array`` fixture with
a Session over :class:`~storplan.providers.smis.SmisProvider` connected to a mock array of each
vendor flavour (Group Masking and Mapping with asynchronous jobs, and Masking and Mapping only
with synchronous methods and no pull operations).  Skips name the capabilities a flavour does
not declare.
"""

from storplan.conformance.test_conformance import *  # noqa: F403
from storplan.conformance.test_conformance_gate import *  # noqa: F403
from storplan.conformance.test_conformance_masking import *  # noqa: F403
from storplan.conformance.test_conformance_nas import *  # noqa: F403
