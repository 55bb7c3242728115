# TA_sqs_s3_audit: build, package, test and inspect the add-on.
#
#   make venv        .venv (Python 3.11): ucc-gen, moto, pytest, ...
#   make build       output/TA_sqs_s3_audit/        (ucc-gen build + scripts/check_build.py)
#   make package     dist/TA_sqs_s3_audit-$(VERSION).tar.gz
#   make lint        ruff check (ruff.toml); every # noqa must say why
#   make test        lint, build, ui-deps, then pytest tests/ (PY39 and PY313 exported)
#   make ui-deps     Debian's chromium and chromium-driver for the browser tests (tests/ui)
#   make appinspect  package, then AppInspect (precert, cloud tags) must report
#                    0 errors, 0 failures, 0 future failures
#   make demo|bench  build, then scripts/demo.py | scripts/bench.py
#   make clean       build outputs; make distclean also removes the venvs
#
# The version lives in VERSION only.

SHELL := /bin/bash
.DEFAULT_GOAL := build

APP      := TA_sqs_s3_audit
VERSION  := $(strip $(shell cat VERSION))
PYTHON   ?= python3
OUTPUT   := output
APP_DIR  := $(OUTPUT)/$(APP)
DIST     := dist
PACKAGE  := $(DIST)/$(APP)-$(VERSION).tar.gz
APPINSPECT_REPORT := $(DIST)/appinspect.json

# Splunk's Pythons: 3.9 (Splunk 9.x) and 3.13 (Splunk 10.x), from pyenv, with
# a glob fallback so that another patch release still resolves.
pyenv_python = $(firstword $(wildcard $(shell pyenv prefix $(1) 2>/dev/null)/bin/python$(1)) \
                           $(lastword $(sort $(wildcard $(HOME)/.pyenv/versions/$(1).*/bin/python$(1) \
                                                          /root/.pyenv/versions/$(1).*/bin/python$(1)))) \
                           $(shell command -v python$(1) 2>/dev/null))
PY39  ?= $(call pyenv_python,3.9)
PY313 ?= $(call pyenv_python,3.13)
export PY39 PY313

VENV      := .venv
VENV_LIB  := .venv-lib39
VENV_AI   := .venv-appinspect
UCC       := $(VENV)/bin/ucc-gen
RUFF      ?= $(VENV)/bin/ruff

# ucc-gen installs package/lib/requirements.txt with this interpreter, so pip
# enforces every library's Requires-Python against 3.9. ucc-gen upgrades pip in
# it first: pip 26.1+ needs Python 3.10, and pip 26.3 breaks ucc-gen's
# `pip show --version` check.
LIB_PIP_VERSION := 26.0.1
# The requirements file pins the complete set; --no-deps keeps solnlib's
# compiled dependencies (grpcio, protobuf, opentelemetry) out. --platform any
# accepts only pure-Python (*-none-any) wheels, or sdists, so a library that
# also publishes compiled wheels (charset-normalizer) ships its pure one.
LIB_PIP_FLAGS   := --no-deps --no-compile --ignore-installed --disable-pip-version-check --platform any

.PHONY: venv lint build package test unit demo bench appinspect clean distclean check-pythons ui-deps

check-pythons:
	@test -x "$(PY39)"  || { echo "Python 3.9 not found (set PY39=/path/to/python3.9)" >&2; exit 1; }
	@test -x "$(PY313)" || { echo "Python 3.13 not found (set PY313=/path/to/python3.13)" >&2; exit 1; }

venv: $(VENV)/.stamp

$(VENV)/.stamp: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps solnlib==8.2.0
	touch $@

$(VENV_LIB)/.stamp: | check-pythons
	$(PY39) -m venv $(VENV_LIB)
	touch $@

$(VENV_AI)/.stamp:
	$(PYTHON) -m venv $(VENV_AI)
	$(VENV_AI)/bin/python -m pip install --quiet --disable-pip-version-check splunk-appinspect==4.3.1
	touch $@

build: $(VENV)/.stamp $(VENV_LIB)/.stamp check-pythons
	bash scripts/build_addon.sh \
	  --ucc "$(UCC)" --version "$(VERSION)" --output "$(OUTPUT)" \
	  --lib-python "$(VENV_LIB)/bin/python" --lib-pip-version "$(LIB_PIP_VERSION)" \
	  --lib-pip-flags "$(LIB_PIP_FLAGS)" --check-python "$(VENV)/bin/python"

package: build
	find $(APP_DIR) -name __pycache__ -type d -prune -exec rm -rf {} +
	find $(APP_DIR) \( -name '*.pyc' -o -name '*.pyo' \) -delete
	mkdir -p $(DIST)
	rm -f $(PACKAGE)
	$(UCC) package --path $(APP_DIR) -o $(DIST)
	@test -f $(PACKAGE) || { echo "ucc-gen package did not write $(PACKAGE)" >&2; exit 1; }
	@echo "package: $(PACKAGE)"

appinspect: package $(VENV_AI)/.stamp
	$(VENV_AI)/bin/splunk-appinspect inspect $(PACKAGE) --mode precert --included-tags cloud \
	  --data-format json --output-file $(APPINSPECT_REPORT) > $(DIST)/appinspect.log 2>&1 \
	  || { tail -30 $(DIST)/appinspect.log >&2; echo "make appinspect: splunk-appinspect did not run to the end" >&2; exit 1; }
	$(VENV)/bin/python scripts/check_appinspect.py $(APPINSPECT_REPORT)

# A suppression without its reason ("# noqa: E402" alone) fails the lint.
NOQA_WITHOUT_REASON := \# noqa(: *[A-Z]+[0-9]+(, *[A-Z]+[0-9]+)*)? *$$

lint: $(VENV)/.stamp
	$(RUFF) check .
	@! grep -rnE --include='*.py' '$(NOQA_WITHOUT_REASON)' package scripts tests \
	  || { echo "make lint: say why after each # noqa (# noqa: CODE - reason)" >&2; exit 1; }

# The browser tests (tests/ui) drive Debian's Chromium with Selenium through Debian's
# chromedriver; no browser is downloaded. Installed with apt-get when missing and running as
# root; where that cannot be done the tests skip, saying what is missing.
UI_PACKAGES := chromium chromium-driver

ui-deps:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then \
	  echo "ui-deps: chromium and chromedriver present"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "ui-deps: apt-get install $(UI_PACKAGES)"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(UI_PACKAGES); } \
	    || echo "make ui-deps: WARNING: could not install $(UI_PACKAGES): the browser tests will skip" >&2; \
	else \
	  echo "make ui-deps: WARNING: chromium/chromedriver missing and not installable here (needs root and apt-get): the browser tests will skip" >&2; \
	fi

# pytest exits 5 when it collects no test: say so loudly, but do not fail.
test: lint build ui-deps
	@rc=0; $(VENV)/bin/python -m pytest tests || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: WARNING: pytest collected no test" >&2; rc=0; fi; \
	exit $$rc

# The fast loop: ruff, then tests/unit only (no build; tests that need the built app skip).
unit: lint
	$(VENV)/bin/python -m pytest tests/unit -q

demo: build
	$(VENV)/bin/python scripts/demo.py

bench: build
	$(VENV)/bin/python scripts/bench.py

clean:
	rm -rf $(OUTPUT) $(DIST) build .pytest_cache
	find . -path ./.git -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) $(VENV_LIB) $(VENV_AI)
