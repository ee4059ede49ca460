"""axe-core itself: it runs in our pages under their CSP and reports what it finds."""

import pytest

from .conftest import assert_accessible

pytestmark = pytest.mark.e2e


def test_axe_reports_a_violation_and_passes_a_clean_page(page):
    page.goto("/accessibilite/")
    assert_accessible(page)
    page.evaluate("() => { const i = document.createElement('img'); i.src = '/x.png'; document.body.append(i); }")
    with pytest.raises(AssertionError, match="image-alt"):
        assert_accessible(page)
