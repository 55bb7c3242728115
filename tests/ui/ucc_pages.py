"""Driving UCC's pages (splunk-add-on-ucc-framework 6.6.0) in a real browser, as an admin would.

The selectors are the ``data-test`` attributes of UCC 6.6.0's bundle and of the
@splunk/react-ui components it renders (pinned in requirements-dev.txt): a field is
``[data-test="control-group"][data-name="<field>"]``, a collapsed group of the input form a
``[data-test="collapsible-panel"]`` whose fields are not in the page until it is expanded,
the form's one error message ``[data-test="message"][data-test-type="error"]`` (UCC shows one
validation error at a time: the first field that fails, in the form's order), a table row
``tr[aria-label="row-<name>"]``.
"""

from __future__ import annotations

import os
import time

from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

WAIT = 30


class UccPages:
    """One browser on the Splunk Web stand-in: open pages and dialogs, fill and submit forms."""

    def __init__(self, driver, web, screenshots: str):
        self.driver, self.web, self.screenshots = driver, web, screenshots
        self._seen_logs: list[dict] = []

    # ------------------------------------------------------------ waiting
    def wait(self, condition, timeout: float = WAIT, message: str = ""):
        def safe(_driver):
            try:
                return condition()
            except StaleElementReferenceException:
                return False
        return WebDriverWait(self.driver, timeout, poll_frequency=0.2).until(safe, message)

    def find(self, css: str, scope=None):
        return (scope or self.driver).find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str, scope=None):
        return (scope or self.driver).find_elements(By.CSS_SELECTOR, css)

    def visible(self, css: str, scope=None):
        return [e for e in self.find_all(css, scope) if e.is_displayed()]

    # ------------------------------------------------------------- pages
    def open(self, view: str) -> None:
        """Load /en-US/app/TA_sqs_s3_audit/<view> and wait until its table has loaded."""
        self.driver.get(self.web.page_url(view))
        self.wait(lambda: self.visible('[data-test="main-table"], [data-test="body"] form'),
                  message=f"page {view} did not render")
        self.wait(lambda: not self.visible('[data-test="wait-spinner"]'), message=f"page {view} kept loading")

    def tab(self, title: str) -> None:
        tab = self.wait(lambda: next((t for t in self.find_all('[data-test="tab"]') if t.text.strip() == title),
                                       None), message=f"no tab {title!r}")
        tab.click()
        self.wait(lambda: tab.get_attribute("aria-selected") == "true", message=f"tab {title!r} not selected")
        time.sleep(0.5)

    def tabs(self) -> list[str]:
        return [t.text.strip() for t in self.find_all('[data-test="tab"]')]

    def page_button(self, label: str):
        return self.wait(lambda: next((b for b in self.visible("button") if b.text.strip() == label
                                         and not self._in_modal(b)), None), message=f"no button {label!r}")

    def _in_modal(self, element) -> bool:
        return bool(element.find_elements(By.XPATH, 'ancestor::*[@data-test="modal"]'))

    # ------------------------------------------------------------ dialogs
    def modal(self):
        return self.wait(lambda: next(iter(self.visible('[data-test="modal"]')), None), message="no dialog")

    def dialog_title(self) -> str:
        return self.find('[data-test="title"]', self.modal()).text.strip()

    def open_dialog(self, button: str = "Add") -> str:
        self.page_button(button).click()
        self.wait(lambda: self.visible('[data-test="modal"] [data-test="control-group"]'), message="form not shown")
        self._loaded()
        return self.dialog_title()

    def _loaded(self) -> None:
        """Wait until the form's selects have their choices (accounts, roles) from the handlers."""
        self.wait(lambda: not self.find_all('[data-test="modal"] [data-test-loading="true"]'),
                  message="the form's choices did not load")
        time.sleep(0.3)

    def form(self):
        """The open dialog, or else the page (the Logging and Proxy tabs are forms on the page)."""
        return next(iter(self.visible('[data-test="modal"]')), None) or self.driver

    def field(self, name: str):
        return self.wait(lambda: next(iter(self.find_all(f'[data-test="control-group"][data-name="{name}"]',
                                                           self.form())), None),
                         message=f"no field {name!r} in the form")

    def has_field(self, name: str) -> bool:
        return bool(self.find_all(f'[data-test="control-group"][data-name="{name}"]', self.modal()))

    def fields(self) -> list[str]:
        return [e.get_attribute("data-name") for e in self.find_all('[data-test="control-group"]', self.modal())]

    def groups(self) -> dict[str, bool]:
        """The form's collapsible groups: title -> expanded."""
        panels = self.find_all('[data-test="collapsible-panel"]', self.modal())
        return {self.find('[data-test="title"]', p).text.strip():
                self.find('button[data-test="toggle"]', p).get_attribute("aria-expanded") == "true" for p in panels}

    def expand(self, group: str) -> None:
        """Open a collapsed group of the form; its fields exist only once it is open."""
        for panel in self.find_all('[data-test="collapsible-panel"]', self.modal()):
            if self.find('[data-test="title"]', panel).text.strip() == group:
                toggle = self.find('button[data-test="toggle"]', panel)
                if toggle.get_attribute("aria-expanded") != "true":
                    self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", toggle)
                    toggle.click()
                    self.wait(lambda t=toggle: t.get_attribute("aria-expanded") == "true", message=f"{group} stays shut")
                    time.sleep(0.4)
                return
        raise AssertionError(f"no group {group!r} in the form: {sorted(self.groups())}")

    def _scroll(self, element) -> None:
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)

    def _box(self, name: str):
        """The field's text box (a text area keeps a hidden twin for sizing: the visible one)."""
        return self.wait(lambda: next(iter(self.visible("input, textarea", self.field(name))), None),
                         message=f"no text box in {name}")

    def fill(self, name: str, value: str) -> None:
        box = self._box(name)
        self._scroll(box)
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(Keys.DELETE)
        if value:
            box.send_keys(value)
        self.wait(lambda: box.get_attribute("value") == value, message=f"{name} did not take {value!r}")

    def value(self, name: str) -> str:
        group = self.field(name)
        select = self.find_all('button[data-test="select"]', group)
        if select:
            return select[0].get_attribute("data-test-value") or ""
        return self._box(name).get_attribute("value")

    def choose(self, name: str, value: str) -> None:
        """Pick the option whose value is ``value`` in a single-select field (once its choices loaded)."""
        button = self.find('button[data-test="select"]', self.field(name))
        self._scroll(button)
        self.wait(lambda: button.get_attribute("data-test-loading") != "true" and button.is_enabled(),
                  message=f"{name}'s choices did not load")
        popover = button.get_attribute("data-test-popover-id")
        css = f'#{popover} [data-test="option"][data-test-value="{value}"]'

        def option():
            if button.get_attribute("aria-expanded") != "true":
                button.click()
                time.sleep(0.3)
            return next(iter(self.visible(css)), None)

        self.wait(option, message=f"no option {value!r} for {name}").click()
        self.wait(lambda: button.get_attribute("data-test-value") == value, message=f"{name} is not {value!r}")

    def combo(self, name: str, value: str) -> None:
        """Type a value into a combo box (the index field) and take it."""
        box = self.find("input", self.field(name))
        self._scroll(box)
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(Keys.DELETE)
        box.send_keys(value)
        box.send_keys(Keys.TAB)
        self.wait(lambda: box.get_attribute("value") == value, message=f"{name} did not take {value!r}")

    def tick(self, name: str, on: bool = True) -> None:
        box = self.find('[data-test="switch"]', self.field(name))
        if (box.get_attribute("data-test-selected") == "true") != on:
            self._scroll(box)
            self.find("button", box).click()
            self.wait(lambda: (box.get_attribute("data-test-selected") == "true") == on, message=f"{name} not set")

    def form_error(self) -> str:
        messages = self.visible('[data-test="message"][data-test-type="error"]', self.form())
        return messages[0].text.replace("Alert", "", 1).strip() if messages else ""

    def submit(self, label: str = "Add") -> None:
        """Click the dialog's button; returns once the dialog closed or shows an error."""
        before = len(self.web.calls)
        modal = self.modal()
        button = next(b for b in self.visible("button", modal) if b.text.strip() == label)
        button.click()
        self.wait(lambda: not self.visible('[data-test="modal"]') or
                  (self.form_error() and not self._saving(modal)), timeout=90,
                  message=f"dialog neither closed nor showed an error after {label}")
        self.submitted_calls = self.web.calls[before:]

    def _saving(self, modal) -> bool:
        return any(b.get_attribute("data-test-loading") == "true" or b.get_attribute("disabled")
                   for b in self.visible('button[data-test="button"]', modal) if b.text.strip() in ("Add", "Update"))

    def save_page_form(self, endpoint: str) -> None:
        """Click the page form's Save (Logging, Proxy); returns once its handler answered."""
        before = len(self.web.handler_calls(endpoint, "edit"))
        self.page_button("Save").click()
        self.wait(lambda: len(self.web.handler_calls(endpoint, "edit")) > before or self.form_error(), timeout=90,
                  message="Save sent nothing")
        time.sleep(1.0)

    def dialog_open(self) -> bool:
        return bool(self.visible('[data-test="modal"]'))

    def cancel(self) -> None:
        self.find('button[data-test="close"]', self.modal()).click()
        self.wait(lambda: not self.dialog_open(), message="dialog did not close")

    def scroll_modal_to(self, name: str) -> None:
        self._scroll(self.field(name))
        time.sleep(0.3)

    # --------------------------------------------------------------- tables
    def row(self, name: str):
        return self.wait(lambda: next(iter(self.visible(f'tr[aria-label="row-{name}"]')), None),
                         message=f"no row {name!r} in the table")

    def rows(self) -> list[str]:
        return [r.get_attribute("aria-label")[4:] for r in self.visible('tbody tr[aria-label^="row-"]')]

    def edit(self, name: str) -> str:
        self.find('button[aria-label="Edit"]', self.row(name)).click()
        self.wait(lambda: self.visible('[data-test="modal"] [data-test="control-group"]'), message="edit form not shown")
        self._loaded()
        return self.dialog_title()

    def cell(self, name: str, column: str) -> str:
        return self.find(f'td[data-column="{column}"]', self.row(name)).text.strip()

    def status(self, name: str) -> str:
        """What the row's Status column says (Active or Inactive)."""
        return self.find('td[data-column="disabled"] [data-test="status"]', self.row(name)).text.strip()

    def toggle_status(self, name: str) -> bool:
        """Click the row's Active/Inactive switch; returns the new state (True: active)."""
        switch = self.find('td[data-column="disabled"] button[role="switch"]', self.row(name))
        before = switch.get_attribute("aria-checked")
        switch.click()
        self.wait(lambda: self.find('td[data-column="disabled"] button[role="switch"]', self.row(name))
                  .get_attribute("aria-checked") != before, message=f"status of {name} did not change")
        return self.find('td[data-column="disabled"] button[role="switch"]', self.row(name)).get_attribute(
            "aria-checked") == "true"

    def expand_row(self, name: str) -> dict[str, str]:
        """Open the row's details (the table's moreInfo); returns label -> value as shown."""
        button = self.find('td[data-test="expand"] button', self.row(name))
        if button.get_attribute("aria-expanded") != "true":
            button.click()
        self.wait(lambda: self.row(name).find_elements(By.XPATH, "following-sibling::tr[1]//dl | "
                                                                   "following-sibling::tr[1]//dt"),
                  message=f"details of {name} not shown")
        details = self.row(name).find_element(By.XPATH, "following-sibling::tr[1]")
        terms = [t.text.strip() for t in details.find_elements(By.CSS_SELECTOR, "dt")]
        values = [v.text.strip() for v in details.find_elements(By.CSS_SELECTOR, "dd")]
        return dict(zip(terms, values))

    # ------------------------------------------------------------ evidence
    def shot(self, name: str, full_dialog: bool = False) -> str:
        """Save a screenshot (test artifact); with ``full_dialog`` the window grows to the dialog's height."""
        os.makedirs(self.screenshots, exist_ok=True)
        path = os.path.join(self.screenshots, f"{name}.png")
        size = self.driver.get_window_size()
        errors = self.visible('[data-test="message"][data-test-type="error"]')
        if errors:  # the form's message is at its top: show it
            self._scroll(errors[0])
            time.sleep(0.3)
        if full_dialog and self.dialog_open():
            height = self.driver.execute_script(
                "var b = document.querySelector('[data-test=\"modal\"] [data-test=\"body\"]');"
                "return b ? b.scrollHeight : 0;")
            self.driver.set_window_size(size["width"], max(size["height"], int(height) + 320))
            time.sleep(0.5)
        self.driver.save_screenshot(path)
        if full_dialog:
            self.driver.set_window_size(size["width"], size["height"])
        return path

    def console(self) -> list[dict]:
        """Browser console entries since the last call."""
        try:
            entries = self.driver.get_log("browser")
        except TimeoutException:
            entries = []
        self._seen_logs.extend(entries)
        return entries

    def console_errors(self, allow=()) -> list[str]:
        """SEVERE console entries since the last call, less those containing one of ``allow``."""
        return [e["message"] for e in self.console()
                if e["level"] == "SEVERE" and not any(a in e["message"] for a in allow)]
