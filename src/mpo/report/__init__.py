"""Reports as documents: the stats report as one self-contained HTML page (inline SVG).

Presentation only: it reads the JSON document of docs/stats.md; `mpo.core` never imports it.
"""
