# cxlab: `make help` lists the targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
JOBS ?= 2

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  %-10s %s\n", $$1, $$2}'

$(BIN)/cxlab: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@

env: $(BIN)/cxlab ## Create the virtual environment in .venv with cxlab and its dev tools

data: env ## Generate the seeded sample data under data/sample
	$(BIN)/cxlab data sample

run: env ## Execute every study in studies.yml into reports/ (JOBS=2 in parallel)
	$(BIN)/cxlab run --jobs $(JOBS)

site: env ## Build the website into _site/ (Quarto if installed, else the static preview)
	$(BIN)/cxlab site

report: env data run site ## Everything: environment, sample data, all studies, the site
	@echo "Open _site/index.html in a browser (or: $(BIN)/python -m http.server -d _site)."

test: env ## Run the whole test suite: unit, notebooks (nbval), runner, site and browser
	$(BIN)/python -m pytest --nbval-lax tests notebooks

lint: env ## Check style and docstrings with ruff, and type hints with mypy
	$(BIN)/ruff check cxlab tests benchmarks
	$(BIN)/mypy

lab: env ## Install JupyterLab (the lab extra) and open it on the project
	$(BIN)/pip install --quiet -e ".[lab]"
	$(BIN)/jupyter lab

clean: ## Remove generated data, reports and the site (sources stay)
	rm -rf data/sample reports/*/ reports/index.qmd reports/build-record.json _site build

.PHONY: help env data run site report test lint lab clean
