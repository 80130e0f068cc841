# The two commands a newcomer needs: `make book` and `make test`. Everything else is for contributors.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NODE_TOOLS := book/_tools/node_modules/.installed
FRAMEWORKS := $(VENV)/.frameworks
NOTEBOOKS := $(shell find book -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' | sort)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help venv book serve test check tier lint pytest notebooks bench audit lock clean pdf screenshots

# The Pythons the course supports, every patch release of each (README; pyproject.toml's requires-python gives the
# lower bound; tests/test_doors.py builds the book and runs labcode's tests on each one found on the machine).
PYTHON_MIN := 3.11
PYTHON_MAX := 3.13

help:
	@echo "make book       build the website into _build/html"
	@echo "make test       everything CI runs: lint, every test, nbval on every notebook, the site in a browser"
	@echo "make check      the fast tier: lint, labcode's unit, property and doctests (no browser, sandbox, frameworks)"
	@echo "make pdf        print the whole book to _build/html/calculus-for-ml.pdf, where the home page links to it"
	@echo "make serve      preview the built site on http://$(HOST):$(PORT)"
	@echo "make notebooks  re-execute every notebook in place on a fresh kernel"
	@echo "make screenshots  full-page pictures of every page at 1280 px, 375 px and dark, in _build/screenshots/"
	@echo "make audit      Lighthouse on every page (median of 3 runs): performance >= 95, CLS, render-blocking; a quiet machine"
	@echo "make bench      labcode's accuracy table, autodiff speed against autograd (and PyTorch), the grader's throughput"
	@echo "make lock       re-resolve requirements.in and requirements-frameworks.in into their pinned .txt locks"

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; lo, hi = (tuple(map(int, x.split("."))) for x in sys.argv[1:]); \
	  sys.exit(0 if lo <= v <= hi else f"Python {sys.argv[1]} to {sys.argv[2]} is needed, and {sys.executable} is {v[0]}.{v[1]}: run make PYTHON=python3.12 ...")' \
	  $(PYTHON_MIN) $(PYTHON_MAX)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

# The frameworks (PyTorch, JAX): torch.optim, which labcode.optim is checked against, and chapter 12, which nbval
# runs on both. For `make test` only: `make book` renders stored outputs, and Binder installs them from chapter 12's
# second cell. A change to requirements-frameworks.txt reinstalls them into an existing .venv.
# On Linux, PyPI's torch is a CUDA build of several GB: TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
# takes the pinned version's CPU build from there first (the GitHub workflow sets it; see README).
TORCH_INDEX_URL ?=
TORCH_PIN = $(shell grep -E '^torch==' requirements-frameworks.txt)
$(FRAMEWORKS): $(STAMP) requirements-frameworks.txt
	$(if $(TORCH_INDEX_URL),$(BIN)/python -m pip install --quiet --no-deps "$(TORCH_PIN)" --index-url $(TORCH_INDEX_URL))
	$(BIN)/python -m pip install --quiet -r requirements-frameworks.txt
	touch $(FRAMEWORKS)

# Node.js: Temml renders the math at build time (make book, with the temml.cjs vendored in book/_ext/temml: no npm
# package), Lighthouse audits the site (make test; pinned in book/_tools/package-lock.json, installed into
# book/_tools/node_modules, whose packages' .md files _config.yml's exclude_patterns keeps out of the build).
NEED_NODE = @command -v node >/dev/null || { echo "Node.js is needed (math is rendered at build time): apt-get install nodejs npm"; exit 1; }

$(NODE_TOOLS): book/_tools/package.json book/_tools/package-lock.json
	$(NEED_NODE)
	npm ci --prefix book/_tools --no-audit --no-fund --loglevel=error
	touch $(NODE_TOOLS)

book: $(STAMP)
	$(NEED_NODE)
	$(BIN)/jupyter-book build . --keep-going
	@echo
	@echo "Built. Open $(CURDIR)/_build/html/index.html in a browser, or run 'make serve'."

serve: book
	@echo "Serving _build/html on http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	$(BIN)/python -m http.server $(PORT) --bind $(HOST) --directory _build/html

# One pytest run holds every check (unit tests, nbval here and under other CPU-dispatch settings, the strict
# build, the site in a browser), so its last line counts them all. It runs on WORKERS processes (pytest-xdist),
# a test file on one worker (--dist loadfile): a notebook's cells share one kernel, a module's fixtures are built once;
# the longest files first (--no-loadscope-reorder keeps the order tests/conftest.py's LONGEST_FIRST gives).
WORKERS ?= auto
DIST := --dist loadfile --no-loadscope-reorder
test: lint pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check labcode tests
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml

# The fast tier, for a change to labcode: what needs no Node, Chromium, bubblewrap, PyTorch/JAX or other Pythons
# (the markers are registered in pyproject.toml). About a minute; `make test` runs everything before a merge.
FAST_TIER := not (build or browser or sandbox or frameworks or notebooks or doors or slow)
check: lint
	$(DOCTESTS)
	$(BIN)/python -m pytest -n $(WORKERS) -m "$(FAST_TIER)" tests

# The docstrings' examples run as doctests in a run of their own: with --doctest-modules the tests/ run would also
# import the answer key and the red team's notebooks' helpers as modules.
DOCTESTS = $(BIN)/python -m pytest -p no:xdist -p no:cacheprovider -q --doctest-modules labcode
pytest: $(FRAMEWORKS)
	$(DOCTESTS)
	$(BIN)/python -m pytest -n $(WORKERS) $(DIST) --nbval --durations=25 tests book

pytest: $(NODE_TOOLS)

# One tier alone, without the frameworks: `make tier MARKERS="user and not sandbox"` (.ci/run's second run, as an
# ordinary user from a clone under /tmp).
MARKERS ?= not slow
tier: $(STAMP) $(NODE_TOOLS)
	$(BIN)/python -m pytest -n $(WORKERS) $(DIST) -m "$(MARKERS)" tests

notebooks: $(STAMP)
	$(BIN)/python tests/tools/execute_notebooks.py $(NOTEBOOKS)

bench: $(STAMP)
	$(BIN)/python tests/benchmarks/accuracy.py
	$(BIN)/python tests/benchmarks/autodiff_speed.py
	$(BIN)/python tests/benchmarks/grade_throughput.py

# uv resolves requirements.in for every supported Python at once (--universal, from PYTHON_MIN.0), keeping the
# current pins where they still fit (it reads the output file first); `make lock UPGRADE=1` moves every pin to the
# newest. Then the frameworks' lock: requirements-frameworks.in under requirements.txt's pins (without its `-e .`,
# which uv refuses as a constraint), one `name==version` a line (no annotations: chapter 12's tests read it so).
# Its lines for what only PyPI's CUDA build of torch needs on Linux (nvidia-*, cuda-*, triton) are then dropped:
# the CPU build that `make test` installs needs none of them, and pip would fetch several GB (uv has no option
# that leaves them out whatever their names: --no-emit-package and --excludes take a list of names, which changes
# with every CUDA release; tests/test_repository.py fails on a pin with a platform marker, as one of a new name
# would have). tests/test_doors.py fails when a lock is not what this makes of its input.
UV_COMPILE = $(BIN)/uv pip compile --universal --python-version $(PYTHON_MIN) --custom-compile-command "make lock" \
	--index-url https://pypi.org/simple --quiet $(if $(UPGRADE),--upgrade)
CUDA_ONLY := ^(nvidia-|cuda-|triton==)
lock: $(STAMP)
	$(UV_COMPILE) requirements.in -o requirements.txt
	grep -v '^-e ' requirements.txt | $(UV_COMPILE) requirements-frameworks.in --constraints /dev/stdin \
	  --no-annotate -o requirements-frameworks.txt
	grep -v -E '$(CUDA_ONLY)' requirements-frameworks.txt > requirements-frameworks.txt.new
	mv requirements-frameworks.txt.new requirements-frameworks.txt

# Timed targets are audits, not tests: run this with nothing else on the machine.
audit: $(STAMP) $(NODE_TOOLS)
	LIGHTHOUSE_PERFORMANCE=1 $(BIN)/python -m pytest tests/test_site_lighthouse.py -p no:cacheprovider

# Every page in every mode, for a person to look at (make test takes the home page's and the longest chapter's).
screenshots: $(STAMP) $(NODE_TOOLS)
	SCREENSHOTS=all $(BIN)/python -m pytest tests/test_site.py -k screenshots_for_a_person -p no:cacheprovider

pdf: book
	$(BIN)/python book/_tools/print_pdf.py _build/html _build/html/calculus-for-ml.pdf

clean:
	rm -rf _build .pytest_cache .hypothesis
