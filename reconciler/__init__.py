"""storplan: vendor-neutral storage management.

The public API, importable from the package root::

    import storplan
    with storplan.connect("sim://") as array:
        pool = array.get(storplan.Kind.POOLS, "ssd")
        volume = array.create_volume(pool, "db01-data", "100GiB").result

Names are resolved lazily (PEP 562) so that ``import storplan`` and the CLI start fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "connect": "storplan.session",
    "Session": "storplan.session",
    "Secret": "storplan.credentials",
    "SecretSource": "storplan.credentials",
    "read_secret": "storplan.credentials",
    "Size": "storplan.size",
    "Kind": "storplan.model",
    "State": "storplan.model",
    "Capability": "storplan.model",
    "Job": "storplan.model",
    "ReplicaKind": "storplan.model",
    "Initiator": "storplan.model",
    "StorplanError": "storplan.errors",
    "providers_available": "storplan.registry",
}

if TYPE_CHECKING:
    from .credentials import (
        Secret as Secret,
    )
    from .credentials import (
        SecretSource as SecretSource,
    )
    from .credentials import (
        read_secret as read_secret,
    )
    from .errors import (
        StorplanError as StorplanError,
    )
    from .model import (
        Capability as Capability,
    )
    from .model import (
        Initiator as Initiator,
    )
    from .model import (
        Job as Job,
    )
    from .model import (
        Kind as Kind,
    )
    from .model import (
        ReplicaKind as ReplicaKind,
    )
    from .model import (
        State as State,
    )
    from .registry import (
        providers_available as providers_available,
    )
    from .session import (
        Session as Session,
    )
    from .session import (
        connect as connect,
    )
    from .size import (
        Size as Size,
    )

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'storplan' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
