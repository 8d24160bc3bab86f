"""The provider's only door to the WBEM connection: bulk reads, method calls, error mapping.

* Reads use pull operations (``OpenEnumerateInstances``, ``OpenAssociatorInstances``,
  ``OpenReferenceInstances`` + ``Pull*`` with ``MaxObjectCount``) and fall back, once and for
  the rest of the connection, to the traditional operations when the server answers
  ``CIM_ERR_NOT_SUPPORTED`` (or the URI says ``pull=false``).
* Every read passes a ``PropertyList``: arrays answer faster and the XML is smaller.
* Every pywbem exception becomes a storplan error (:mod:`.translate`), with the password
  scrubbed from its text.
* Requests are serialized: a pywbem connection is not safe for concurrent use (its request
  statistics and enumeration contexts are shared state), and storplan's executor runs
  actions of one array in parallel threads over one provider.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ParamSpec, TypeVar

import pywbem
from storplan.errors import StorplanError

from .translate import Scrubber, translate

__all__ = ["WbemClient"]

T = TypeVar("T")
P = ParamSpec("P")
_FALLBACK = (pywbem.CIM_ERR_NOT_SUPPORTED,)


def _serialized(method: Callable[P, T]) -> Callable[P, T]:
    """Run the method under the client's lock (one request, or one paged read, at a time)."""

    @functools.wraps(method)
    def locked(*args: P.args, **kwargs: P.kwargs) -> T:
        with args[0]._lock:  # type: ignore[attr-defined]
            return method(*args, **kwargs)

    return locked


class WbemClient:
    """Typed helpers over one WBEM connection, bound to the array's vendor namespace."""

    def __init__(
        self,
        conn: Any,
        *,
        url: str,
        scrub: Scrubber,
        page_size: int = 1000,
        pull: bool | None = None,
        namespace: str | None = None,
    ) -> None:
        self.conn = conn
        self.url = url
        self.scrub = scrub
        self.page_size = page_size
        self.pull = pull  # None: not known yet, try pull operations first
        self.namespace = namespace or getattr(conn, "default_namespace", None) or "root/cimv2"
        self._lock = threading.RLock()

    def exclusive(self) -> threading.RLock:
        """The connection's lock, for code that must use ``conn`` directly (pywbem's
        subscription manager): ``with client.exclusive(): ...``."""
        return self._lock

    # ------------------------------------------------------------------ error handling
    def error(self, exc: pywbem.Error, what: str) -> StorplanError:
        """The storplan error for ``exc``; a CIM status code is kept as ``cim_status``."""
        error = translate(exc, what, self.url, self.scrub)
        error.cim_status = getattr(exc, "status_code", None)  # type: ignore[attr-defined]
        return error

    @_serialized
    def call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one WBEM request; pywbem errors become storplan errors (never with secrets)."""
        try:
            return fn(*args, **kwargs)
        except pywbem.Error as exc:
            raise self.error(exc, what) from None

    # ------------------------------------------------------------------ bulk reads
    def _pulled(self, what: str, open_call: Callable[[], Any]) -> list[Any] | None:
        """Run an ``Open*`` request and its ``Pull*`` pages; ``None`` if pull is unsupported."""
        if self.pull is False:
            return None
        try:
            result = open_call()
        except pywbem.CIMError as exc:
            if exc.status_code in _FALLBACK:  # this server (or this operation) lacks pull
                if self.pull is None:
                    self.pull = False
                return None
            raise self.error(exc, what) from None
        except pywbem.Error as exc:
            raise self.error(exc, what) from None
        self.pull = True
        items = list(result.instances)
        try:
            while not result.eos:
                result = self.conn.PullInstancesWithPath(result.context, self.page_size)
                items.extend(result.instances)
        except pywbem.Error as exc:
            self._close_quietly(result.context)
            raise self.error(exc, what) from None
        return items

    def _close_quietly(self, context: Any) -> None:
        """Release an enumeration context the server keeps after a failed page."""
        with contextlib.suppress(pywbem.Error):
            self.conn.CloseEnumeration(context)

    @_serialized
    def enumerate(
        self, classname: str, props: Sequence[str] | None, namespace: str | None = None
    ) -> list[Any]:
        """Every instance of ``classname`` (and its subclasses), with only ``props``."""
        ns = namespace or self.namespace
        what = f"enumerating {classname}"
        plist = list(props) if props is not None else None
        pulled = self._pulled(
            what,
            lambda: self.conn.OpenEnumerateInstances(
                classname,
                namespace=ns,
                DeepInheritance=True,
                PropertyList=plist,
                MaxObjectCount=self.page_size,
            ),
        )
        if pulled is not None:
            return pulled
        return list(
            self.call(
                what,
                self.conn.EnumerateInstances,
                classname,
                namespace=ns,
                LocalOnly=False,
                DeepInheritance=True,
                IncludeQualifiers=False,
                PropertyList=plist,
            )
        )

    @_serialized
    def associators(
        self,
        path: Any,
        assoc: str,
        result_class: str,
        props: Sequence[str] | None,
        *,
        role: str | None = None,
        result_role: str | None = None,
    ) -> list[Any]:
        """Instances associated with ``path`` through ``assoc`` (one anchor, one request)."""
        what = f"following {assoc} from {path.classname}"
        plist = list(props) if props is not None else None
        pulled = self._pulled(
            what,
            lambda: self.conn.OpenAssociatorInstances(
                path,
                AssocClass=assoc,
                ResultClass=result_class,
                Role=role,
                ResultRole=result_role,
                PropertyList=plist,
                MaxObjectCount=self.page_size,
            ),
        )
        if pulled is not None:
            return pulled
        return list(
            self.call(
                what,
                self.conn.Associators,
                path,
                AssocClass=assoc,
                ResultClass=result_class,
                Role=role,
                ResultRole=result_role,
                PropertyList=plist,
            )
        )

    @_serialized
    def references(
        self, path: Any, assoc: str, props: Sequence[str] | None, role: str | None = None
    ) -> list[Any]:
        """The ``assoc`` association instances that refer to ``path``."""
        what = f"listing {assoc} of {path.classname}"
        plist = list(props) if props is not None else None
        pulled = self._pulled(
            what,
            lambda: self.conn.OpenReferenceInstances(
                path,
                ResultClass=assoc,
                Role=role,
                PropertyList=plist,
                MaxObjectCount=self.page_size,
            ),
        )
        if pulled is not None:
            return pulled
        return list(
            self.call(
                what,
                self.conn.References,
                path,
                ResultClass=assoc,
                Role=role,
                PropertyList=plist,
            )
        )

    @_serialized
    def associator_names(self, path: Any, assoc: str, result_class: str | None = None) -> list[Any]:
        """Paths associated with ``path`` through ``assoc``."""
        return list(
            self.call(
                f"following {assoc} from {path.classname}",
                self.conn.AssociatorNames,
                path,
                AssocClass=assoc,
                ResultClass=result_class,
            )
        )

    @_serialized
    def enumerate_paths(self, classname: str, namespace: str | None = None) -> list[Any]:
        """Every instance path of ``classname`` (used to resolve ids not seen yet)."""
        ns = namespace or self.namespace
        what = f"listing {classname} paths"
        if self.pull is not False:
            try:
                result = self.conn.OpenEnumerateInstancePaths(
                    classname, namespace=ns, MaxObjectCount=self.page_size
                )
            except pywbem.CIMError as exc:
                if not (self.pull is None and exc.status_code in _FALLBACK):
                    raise self.error(exc, what) from None
                self.pull = False
            except pywbem.Error as exc:
                raise self.error(exc, what) from None
            else:
                paths = list(result.paths)
                while not result.eos:
                    result = self.call(
                        what, self.conn.PullInstancePaths, result.context, self.page_size
                    )
                    paths.extend(result.paths)
                return paths
        return list(self.call(what, self.conn.EnumerateInstanceNames, classname, namespace=ns))

    # ------------------------------------------------------------------ single objects
    @_serialized
    def get(self, path: Any, props: Sequence[str] | None) -> Any | None:
        """One instance, or ``None`` if it does not exist (any more)."""
        try:
            return self.conn.GetInstance(
                path, LocalOnly=False, PropertyList=list(props) if props is not None else None
            )
        except pywbem.CIMError as exc:
            if exc.status_code == pywbem.CIM_ERR_NOT_FOUND:
                return None
            raise self.error(exc, f"reading {path.classname}") from None
        except pywbem.Error as exc:
            raise self.error(exc, f"reading {path.classname}") from None

    @_serialized
    def modify(self, instance: Any, props: Iterable[str]) -> None:
        """Write ``props`` of ``instance`` back to the array (intrinsic ModifyInstance)."""
        self.call(
            f"modifying {instance.classname}",
            self.conn.ModifyInstance,
            instance,
            PropertyList=list(props),
        )

    @_serialized
    def invoke(self, method: str, path: Any, params: dict[str, Any]) -> tuple[int, Any]:
        """Call an extrinsic method; ``None`` parameters are left out (arrays reject them)."""
        given = {k: v for k, v in params.items() if v is not None}
        try:
            rc, out = self.conn.InvokeMethod(method, path, **given)
        except pywbem.Error as exc:
            raise self.error(exc, f"{method} on {path.classname}") from None
        return int(rc), out

    def require(self, path: Any, props: Sequence[str] | None, label: str) -> Any:
        """Like :meth:`get`, but a vanished object is :class:`~storplan.errors.NotFound`."""
        found = self.get(path, props)
        if found is None:
            from storplan.errors import NotFound

            raise NotFound(f"{label} does not exist")
        return found
