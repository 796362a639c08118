"""Human-readable renderings of an Assessment: a terminal/plain-text report and a self-contained HTML page."""

from jakcheck.report.html import render_html
from jakcheck.report.text import render_text

__all__ = ["render_html", "render_text"]
