# The two commands of the README: `make run` and `make test`. Everything else is their plumbing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
HOST ?= 127.0.0.1:8000
# Parallel test processes (pytest-xdist), each with its own test database and Redis database.
TEST_WORKERS ?= 2

.PHONY: run test install messages migrate seed lint bench makemessages clean vendor

$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

messages: install
	$(PY) manage.py compilemessages --ignore=.venv --ignore=staticfiles -v0

migrate: install
	$(PY) manage.py migrate --noinput -v1

seed: migrate
	$(PY) manage.py seed_demo

run: messages seed
	@echo "Serving on http://$(HOST)/ (Ctrl+C to stop)"
	$(PY) manage.py runserver $(HOST)

lint: install
	$(BIN)/ruff check .

test: messages lint
	$(PY) manage.py makemigrations --check --dry-run -v1
	$(BIN)/pytest -n $(TEST_WORKERS) --durations=25 $(PYTEST_ARGS)

bench: messages
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
	$(PY) -m bench.run

# For developers: refresh the .po files of the project and of each app.
makemessages: install
	$(PY) manage.py makemessages --no-wrap -l tg -l ru -l en --ignore=.venv --ignore='*/migrations/*' \
	  --ignore=communities --ignore=households --ignore=associations --ignore=remittances \
	  --ignore=projects --ignore=training --ignore=reports --ignore=tests --ignore=bench -v0
	for app in communities households associations remittances projects training reports; do \
	  mkdir -p $$app/locale && (cd $$app && ../$(PY) ../manage.py makemessages --no-wrap -l tg -l ru -l en -v0); done

# axe-core for the accessibility browser test, vendored from npm at a pinned version and checked
# against the sha256 of the committed file, so `make vendor` gives the same bytes on every machine.
AXE_VERSION := 4.14.1
AXE_SHA256 := 29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c
vendor:
	rm -rf .vendor-tmp && mkdir -p .vendor-tmp static/vendor/axe-core
	cd .vendor-tmp && npm pack --silent axe-core@$(AXE_VERSION) && tar -xzf axe-core-$(AXE_VERSION).tgz package/axe.min.js package/LICENSE
	echo "$(AXE_SHA256)  .vendor-tmp/package/axe.min.js" | sha256sum -c -
	cp .vendor-tmp/package/axe.min.js .vendor-tmp/package/LICENSE static/vendor/axe-core/
	echo "axe-core $(AXE_VERSION) from npm (make vendor)" > static/vendor/axe-core/VERSION
	rm -rf .vendor-tmp

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
