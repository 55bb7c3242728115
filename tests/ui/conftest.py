"""Browser tests of the add-on's pages: headless Chromium (Debian's ``chromium`` and
``chromium-driver``, installed by ``make ui-deps``) driven by Selenium, on the BUILT app
served by the Splunk Web stand-in (``splunkweb_standin.py``), whose REST calls run the built
handlers under Splunk's Python 3.9 and 3.13, storing through the splunkd stand-in.

Screenshots of every page and dialog go to ``output/ui-screenshots/<python>/`` (test
artifacts; nothing compares pixels).
"""

from __future__ import annotations

import os
import shutil
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from modinput_runner import APP, pythons
from splunkd_standin import SplunkdStandIn
from splunkweb_standin import SplunkWebStandIn, seed_defaults

ROOT = os.path.dirname(os.path.dirname(HERE))
SCREENSHOTS = os.path.join(ROOT, "output", "ui-screenshots")
SPLUNKD_PYTHON = os.path.join(ROOT, "tests", "splunkd_python")
SESSION_KEY = "ui-test-session-key"
PYTHONS = pythons()
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver") or "/usr/bin/chromedriver"


def _browser_missing() -> str:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"Chromium not found ({CHROMIUM}): `make ui-deps` installs Debian's chromium (as root)"
    if not (os.path.isfile(CHROMEDRIVER) and os.access(CHROMEDRIVER, os.X_OK)):
        return f"chromedriver not found ({CHROMEDRIVER}): `make ui-deps` installs Debian's chromium-driver (as root)"
    try:
        import selenium  # noqa: F401 - only whether it is installed
    except ImportError:
        return "selenium is not installed in this venv (requirements-dev.txt)"
    return ""


@pytest.fixture(scope="session")
def driver():
    missing = _browser_missing()
    if missing:
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1000", "--lang=en-US", "--disable-extensions"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    browser.set_page_load_timeout(60)
    yield browser
    browser.quit()


@pytest.fixture(scope="session")
def splunk_home(tmp_path_factory):
    """$SPLUNK_HOME with the built app installed (a link) under etc/apps."""
    if not os.path.isfile(os.path.join(APP, "app.manifest")):
        pytest.skip("built app missing: run `make build`")
    home = tmp_path_factory.mktemp("ui_splunk_home")
    (home / "etc" / "apps").mkdir(parents=True)
    (home / "etc" / "apps" / "TA_sqs_s3_audit").symlink_to(APP, target_is_directory=True)
    (home / "var" / "log" / "splunk").mkdir(parents=True)
    return home


@pytest.fixture(scope="module", params=sorted(PYTHONS))
def python(request):
    """The Python splunkd runs the REST handlers with: 3.9 (Splunk 9) and 3.13 (Splunk 10)."""
    return request.param


@pytest.fixture
def splunkd():
    """Storage of the configuration (conf stanzas and storage/passwords), with the app's defaults."""
    standin = SplunkdStandIn(session_key=SESSION_KEY)
    seed_defaults(standin, APP)
    standin.start()
    yield standin
    standin.stop()


@pytest.fixture
def web(splunkd, splunk_home, python, moto_server):
    """Splunk Web in front of the built app; AWS calls of the checks on save go to moto."""
    standin = SplunkWebStandIn(APP, splunk_home, splunkd, PYTHONS[python], SPLUNKD_PYTHON,
                               env={"AWS_ENDPOINT_URL": moto_server.endpoint, "AWS_DEFAULT_REGION": "us-east-1"})
    standin.start()
    yield standin
    standin.stop()


@pytest.fixture
def ui(driver, web, python):
    from ucc_pages import UccPages

    pages = UccPages(driver, web, os.path.join(SCREENSHOTS, python))
    pages.console()  # forget what earlier tests left in the console
    yield pages
    driver.get("about:blank")
