"""Review pages in the browser (``subtool preview``, ``--preview``): one page per video
(``page``), one index per batch (``index``). (Not ``subtool/preview``: ``subtool.preview`` is the
library's function, which a subpackage of that name would hide once imported.)

A page is a self-contained HTML file that opens from a disk or a share in any browser, with no
server and no network: the video in an HTML5 ``<video>`` with one ``<track>`` per language (the
spoken one first), a timeline per language with one mark per cue coloured by its worst problem
(clicking one seeks there), the problems table, and the page's own facts. One concept per module:

- ``tracks``: each subtitle file read and checked as ``subtool check`` does, and made WebVTT.
- ``page``: the page of one video, its proxy when browsers cannot play the media (``media.proxy``).
- ``index``: a batch's ``index.html``, one row per item, sortable by problems.
- ``inputs``: what ``subtool preview`` finds beside a video (its sidecars, the run's transcript).
- ``render``: the HTML, every value escaped, under a policy that runs only the page's own script;
  the script, style and skeleton are package data (``assets/``).
"""

from __future__ import annotations

from .index import index_path, write_index
from .page import PageFacts, PageMedia, page_path, proxy_path, write_page

__all__ = ["PageFacts", "PageMedia", "index_path", "page_path", "proxy_path", "write_index", "write_page"]
