# The two commands of the README: `make run` and `make test`. Everything else is their plumbing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
HOST ?= 127.0.0.1:8000
# Parallel test processes (pytest-xdist), each with its own test database and Redis database. A worker
# that runs out of tests takes some of the other's (worksteal): the browser tests, which run last,
# no longer end on one worker while the other waits.
TEST_WORKERS ?= 2

.PHONY: run test install messages migrate seed lint bench makemessages clean vendor vendor-workbox

# uv installs the pinned requirements into the virtualenv in seconds where pip takes half a minute
# (the same versions, from the same registry); it is itself pinned and installed by pip.
UV_VERSION := 0.13.9

$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --python $(PY) -r requirements.txt
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
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal --durations=25 $(PYTEST_ARGS)

bench: messages
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
	$(PY) -m bench.run

# For developers: refresh the .po files of the project and of each app.
makemessages: install
	$(PY) manage.py makemessages --no-wrap -l tg -l ru -l en --ignore=.venv --ignore='*/migrations/*' \
	  --ignore=communities --ignore=households --ignore=associations --ignore=remittances \
	  --ignore=projects --ignore=training --ignore=reports --ignore=offline --ignore=tests --ignore=bench -v0
	for app in communities households associations remittances projects training reports offline; do \
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
	$(MAKE) vendor-workbox

# Workbox for the service worker of the offline outbox (offline/, static/js/sw.js), the same way:
# the production build of each module used, pinned and checked file by file, with its source map
# (each build names its map, and collectstatic's manifest storage refuses a missing one). The
# service worker loads them with importScripts from /static/vendor/workbox/, never from a CDN.
WORKBOX_VERSION := 7.4.1
WORKBOX_SHA256 := \
  workbox-core:e5fe645c1c2019c0e32b5a863a03b484db2311d17df443704c025babc0bb1f4f \
  workbox-routing:844e227e94979b17caa529a90bead72541c32985d91f1e17ed2589a741cf7647 \
  workbox-strategies:c4139ddc2510aea347456a8ed167f820683492561394c64fd1eca5827cd219d3 \
  workbox-precaching:a7c8857d7754a36f076646ddb3a36d4c08d91f37e9310a1313495c3b1875f1da \
  workbox-cacheable-response:3fdeabd6fc277ca570546b027e9a15472b565e0982e69274c20f6a8ea596fd2c
vendor-workbox:
	rm -rf .vendor-tmp && mkdir -p .vendor-tmp static/vendor/workbox
	set -e; for pair in $(WORKBOX_SHA256); do name=$${pair%%:*}; sum=$${pair#*:}; \
	  mkdir -p .vendor-tmp/$$name && (cd .vendor-tmp/$$name && npm pack --silent $$name@$(WORKBOX_VERSION) >/dev/null \
	    && tar -xzf $$name-$(WORKBOX_VERSION).tgz package/build/$$name.prod.js package/build/$$name.prod.js.map \
	      package/LICENSE); \
	  echo "$$sum  .vendor-tmp/$$name/package/build/$$name.prod.js" | sha256sum -c -; \
	  cp .vendor-tmp/$$name/package/build/$$name.prod.js .vendor-tmp/$$name/package/build/$$name.prod.js.map \
	    static/vendor/workbox/; \
	  cp .vendor-tmp/$$name/package/LICENSE static/vendor/workbox/LICENSE; done
	echo "workbox $(WORKBOX_VERSION) from npm (make vendor-workbox)" > static/vendor/workbox/VERSION
	rm -rf .vendor-tmp

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
