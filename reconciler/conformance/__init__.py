"""The storplan provider conformance kit: run the same checks against any provider by URI.

A provider author (built-in or third-party) checks a provider against the contract in
:mod:`storplan.providers` with::

    pytest -p storplan.conformance --pyargs storplan.conformance \\
        --storplan-uri 'myarray+https://admin@array1:5989' --storplan-password-env ARRAY1_PASSWORD

Without ``--storplan-uri`` every test gets a fresh simulator file (``sim:///<tmp>/array.db``),
so the kit tests itself.

What the kit does:

* Every capability the provider does not declare is an explicit ``pytest.skip`` whose reason
  names it (``provider lio does not declare replica.mirror_async``): the skip list *is* the
  provider's feature matrix.
* Outcomes are asserted by observing the array with ``Session.observe()`` after each operation,
  not only by trusting what the operation returned.
* Every object a test creates is named with a per-run prefix (``cfk-<random6>-``) and deleted
  after the test in reverse dependency order (exports, file system snapshots, file systems,
  mappings, replicas, snapshots, volumes, access groups, pools); a test that leaves something
  behind errors at teardown.  Objects without the prefix are never touched, so the kit can run
  against a shared test array, though a dedicated one is wiser.

The pytest plug-in (:mod:`storplan.conformance.plugin`) is loaded on request with
``-p storplan.conformance`` (this package re-exports its hooks and fixtures); it is not an
automatic plug-in, so other projects' test runs never see its fixtures.  The suite:
``test_conformance.py`` (the provider itself, identity, observe, jobs),
``test_conformance_block.py`` (volumes, snapshots, replicas, pools),
``test_conformance_masking.py`` (hosts, initiators, CHAP, masking), ``test_conformance_nas.py``
(file systems, their snapshots and clones, NFS exports) and ``test_conformance_gate.py`` (the
core's capability gate for every catalogue operation).
"""

# The hooks and fixtures, so that ``pytest -p storplan.conformance`` finds them here.
from .plugin import (  # noqa: F401
    _conformance_counter,
    array,
    caps,
    conformance_prefix,
    conformance_uri,
    fs_pool,
    limits,
    names,
    new_filesystem,
    new_group,
    new_initiator,
    new_volume,
    pool,
    pool_for,
    pytest_addoption,
    reconnect,
    requires,
    system,
    unit,
)
