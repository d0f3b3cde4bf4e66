"""The Gladia pre-recorded API: ``service`` (its facts, no SDK) and ``engine`` (the client on the
official SDK). Importing the package loads neither the SDK nor httpx."""

from __future__ import annotations
