"""Presentation shared by the front ends: the output field sets and rows (`fields`), and
the stats report as text and as one self-contained HTML page (inline SVG).

The command line and the HTTP server import it; `mpo.core` never does.
"""
