"""The one road every input travels: five stages, each a plain function entered once per input.

``plan`` (every refusal before paying; each output named once) -> ``fetch`` (the only place a
URL becomes a local file) -> ``transcribe`` (the only place an engine runs: audio, cache, pieces,
jobs) -> ``write`` (sidecars, transcript.json) -> ``deliver`` (mux, burn or sidecars only).
``run.run_one`` takes a plan through the last four; ``subtool.batch`` schedules the same stages
for many items. See ARCHITECTURE.md.
"""

from __future__ import annotations
