"""Turning pywbem exceptions and SMI-S method return codes into storplan errors.

Every message is built from names, URLs and the array's own descriptions, then passed through
:class:`Scrubber`, which removes the password should an array or a library ever echo it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pywbem
from storplan.errors import (
    AlreadyExists,
    Busy,
    ConnectionFailed,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ProviderError,
    StorplanError,
    Timeout,
    TransientError,
    Unsupported,
)

if TYPE_CHECKING:
    from storplan.credentials import Secret

__all__ = ["Scrubber", "method_error", "translate"]

_CERT = re.compile(r"certificate verify failed:?\s*([^()'\"]*)", re.IGNORECASE)
_SSL_ERROR = re.compile(r"SSL\w*Error\(\d+, ['\"]([^'\"]+)")
_SSL_CODE = re.compile(r"\[SSL: ([A-Z0-9_]+)\]")
_ALERT = re.compile(r"tlsv1\d? alert [a-z ]+", re.IGNORECASE)

# Return codes every SMI-S extrinsic method shares (DMTF ValueMaps "0..6"); method-specific
# codes (4096+) are handled in METHOD_CODES.
_COMMON_CODES: dict[int, tuple[type[StorplanError], str]] = {
    1: (Unsupported, "not supported by the array"),
    2: (ProviderError, "failed for an unknown reason"),
    3: (Timeout, "timed out on the array"),
    4: (ProviderError, "failed"),
    5: (InvalidArgument, "was given an invalid parameter"),
    6: (Busy, "refused: the element is in use"),
}
METHOD_CODES: dict[str, dict[int, tuple[type[StorplanError], str]]] = {
    "CreateOrModifyElementFromStoragePool": {4097: (InvalidArgument, "size not supported")},
    "ExposePaths": {
        4097: (NotFound, "invalid logical unit"),
        4098: (InvalidArgument, "invalid initiator"),
        4099: (InvalidArgument, "invalid target port"),
        4100: (InvalidArgument, "invalid access permission"),
        4101: (AlreadyExists, "logical unit already exposed"),
        4102: (AlreadyExists, "LUN already in use"),
        4103: (ProviderError, "maximum map count exceeded"),
    },
    "HidePaths": {4100: (NotFound, "that combination is not exposed")},
    "CreateStorageHardwareID": {
        4096: (AlreadyExists, "the hardware id already exists"),
        4097: (Unsupported, "that id type is not supported"),
    },
}


class Scrubber:
    """Removes a secret from text (defence in depth: messages should never contain it)."""

    def __init__(self, secret: Secret | None) -> None:
        self._value = secret.reveal() if secret is not None else ""

    def __call__(self, text: str) -> str:
        if self._value and self._value in text:
            return text.replace(self._value, "***")
        return text


def _tls_reason(message: str) -> str | None:
    cert = _CERT.search(message)
    if cert:
        detail = cert.group(1).strip().rstrip(".")
        return f"certificate verify failed{': ' + detail if detail else ''}"
    for pattern in (_SSL_CODE, _ALERT, _SSL_ERROR):
        found = pattern.search(message)
        if found:
            text = found.group(1) if pattern.groups else found.group(0)
            return re.sub(r"\s*\(_ssl\.c:\d+\)", "", text).replace("_", " ").strip().lower()
    return None


def translate(exc: pywbem.Error, what: str, url: str, scrub: Scrubber) -> StorplanError:
    """The storplan error for a pywbem exception raised while doing ``what``."""
    text = scrub(str(exc))
    if isinstance(exc, pywbem.CIMError):
        return _cim_error(exc, what, scrub)
    if isinstance(exc, pywbem.AuthError):
        return PermissionDenied(
            f"the array at {url} refused the credentials ({what})",
            hint="check the user name in the URI and the password source",
        )
    if isinstance(exc, pywbem.TimeoutError):
        return Timeout(
            f"the array at {url} did not answer in time ({what})",
            hint="raise the timeout= option of the URI, or check the network",
        )
    if isinstance(exc, pywbem.ConnectionError) and "timed out" in text.lower():
        return Timeout(
            f"the array at {url} did not answer in time ({what})",
            hint="raise the timeout= option of the URI, or check the network",
        )
    if isinstance(exc, pywbem.ConnectionError):
        reason = _tls_reason(text)
        if reason and "certificate verify failed" in reason.lower():
            return ConnectionFailed(
                f"the TLS certificate of {url} could not be verified: {reason}",
                hint="give the array's CA certificate with ca_bundle=/path/ca.pem "
                "(insecure=true turns verification off, which exposes the password)",
            )
        if reason:
            return ConnectionFailed(
                f"the TLS handshake with {url} failed: {reason}",
                hint="check the array's TLS settings; if it requires a client certificate, "
                "give client_cert= and client_key=",
            )
        return ConnectionFailed(f"cannot connect to {url} ({what}): {text}")
    if isinstance(exc, pywbem.HTTPError):
        if exc.status == 401:
            return PermissionDenied(f"the array at {url} refused the credentials ({what})")
        return ConnectionFailed(f"the WBEM server at {url} answered HTTP {exc.status} ({what})")
    return ProviderError(f"unexpected answer from {url} ({what}): {type(exc).__name__}: {text}")


def _cim_error(exc: pywbem.CIMError, what: str, scrub: Scrubber) -> StorplanError:
    detail = scrub(exc.status_description or exc.status_code_name)
    message = f"{what}: {detail}"
    code = exc.status_code
    if code == pywbem.CIM_ERR_NOT_FOUND:
        return NotFound(message)
    if code == pywbem.CIM_ERR_ACCESS_DENIED:
        return PermissionDenied(message)
    if code in (pywbem.CIM_ERR_NOT_SUPPORTED, pywbem.CIM_ERR_METHOD_NOT_AVAILABLE):
        return Unsupported(message)
    if code == pywbem.CIM_ERR_ALREADY_EXISTS:
        return AlreadyExists(message)
    if code == pywbem.CIM_ERR_SERVER_IS_SHUTTING_DOWN:
        return TransientError(message, hint="retry when the array's WBEM server is back")
    return ProviderError(f"{message} ({exc.status_code_name})")


def method_error(method: str, rc: int, detail: str, scrub: Scrubber) -> StorplanError:
    """The storplan error for a failed extrinsic method (return code ``rc``)."""
    cls, meaning = METHOD_CODES.get(method, {}).get(rc) or _COMMON_CODES.get(
        rc, (ProviderError, f"failed with vendor code {rc}")
    )
    extra = f": {scrub(detail)}" if detail else ""
    return cls(f"{method} {meaning} (return code {rc}){extra}")
