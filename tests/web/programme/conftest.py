"""The browser tests of the settings page drive Chromium as tests/browser does (same launch settings),
on a demo server of their own: they change the programme's weather year, which the shared server's
tests expect to be the synthetic default."""

from __future__ import annotations

from tests.browser.conftest import browser_context_args, browser_type_launch_args, screenshot_dir

__all__ = ["browser_context_args", "browser_type_launch_args", "screenshot_dir"]
