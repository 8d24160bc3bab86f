"""The storplan provider conformance kit: run the same checks against any provider by URI.

A provider author (built-in or third-party) checks a provider against the contract in
:mod:`storplan.providers` with::

    pytest --pyargs storplan.conformance --storplan-uri 'myarray+https://admin@array1:5989' \\
        --storplan-password-env ARRAY1_PASSWORD

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

The pytest plug-in (:mod:`storplan.conformance.plugin`) is registered as the ``pytest11`` entry
point ``storplan-conformance``; when the kit is not used it only adds its two options and its
fixtures.  The suite is two modules of this package: ``test_conformance.py`` (the provider
itself, observe, pools, volumes, snapshots, replicas, jobs) and ``test_conformance_files.py``
(hosts and masking, file systems and NFS exports, and the core's capability gate).
"""
