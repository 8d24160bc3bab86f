"""The SNIA SMI-S provider (``smis+https://user@array:5989/``); see :mod:`.provider`.

pywbem is imported only inside this package.
"""

from .provider import SmisProvider

__all__ = ["SmisProvider"]
