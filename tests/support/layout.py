"""Layout checks for browser tests: what a page measures once it has finished loading."""
from __future__ import annotations


def page_width(page) -> int:
    """Return the page's full width in CSS pixels once its stylesheets are in.

    A locator can find the new page's text before its stylesheets have arrived (on a busy machine, a 304 for
    admin.css can come late); measured then, a table not yet inside its scrolling wrapper runs off the side.
    """
    page.wait_for_load_state("load")
    return page.evaluate("document.documentElement.scrollWidth")
