# docker esb: build, install, test.
SHELL := /bin/bash
DOCKER_CONFIG_DIR := $(or $(DOCKER_CONFIG),$(HOME)/.docker)
PLUGIN_DIR := $(DOCKER_CONFIG_DIR)/cli-plugins
NODE_MODULES := node_modules/.package-lock.json

.PHONY: build install link uninstall test typecheck lint format tools unit contract hostile fuzz fuzz-long e2e bench demo clean

$(NODE_MODULES): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

build: $(NODE_MODULES) ## dist/docker-esb: one executable file
	node plugin/bundle.mjs

install: build ## copy into $DOCKER_CONFIG/cli-plugins (default ~/.docker/cli-plugins)
	mkdir -p "$(PLUGIN_DIR)"
	install -m 0755 dist/docker-esb "$(PLUGIN_DIR)/docker-esb"
	@echo "installed $(PLUGIN_DIR)/docker-esb; try: docker esb --help"

link: build ## symlink for development (rebuild with make build)
	mkdir -p "$(PLUGIN_DIR)"
	ln -sf "$(CURDIR)/dist/docker-esb" "$(PLUGIN_DIR)/docker-esb"

uninstall:
	rm -f "$(PLUGIN_DIR)/docker-esb"

test: build typecheck lint tools ## type check, format and lint check, unit + contract + fuzz + hostile tests
	node test/run.mjs unit contract fuzz hostile

typecheck: $(NODE_MODULES) ## tsc --noEmit over scripts/, plugin/, test/ (strict)
	node_modules/.bin/tsc -p .

lint: $(NODE_MODULES) ## prettier --check and eslint over scripts/, plugin/, test/, bench/
	node_modules/.bin/prettier --check --log-level warn 'scripts/**/*.ts' 'plugin/**/*.{ts,mjs,js}' 'test/**/*.{ts,mjs}' 'bench/**/*.mjs' eslint.config.mjs
	node_modules/.bin/eslint scripts plugin test bench

format: $(NODE_MODULES) ## prettier --write over the same files
	node_modules/.bin/prettier --write --log-level warn 'scripts/**/*.ts' 'plugin/**/*.{ts,mjs,js}' 'test/**/*.{ts,mjs}' 'bench/**/*.mjs' eslint.config.mjs

tools: ## buildx/compose plugins into .tools/, docker-registry and go (installed when root with apt)
	bash test/tools.sh

unit: $(NODE_MODULES)
	node test/run.mjs unit

contract: build tools
	node test/run.mjs contract

hostile: build tools ## hostile repos: sentinels outside, a canary on PATH and a canary registry must stay untouched
	node test/run.mjs hostile

fuzz: build tools ## property tests on generated config, templates and archives (FUZZ_SEED, FUZZ_RUNS)
	node test/run.mjs fuzz

fuzz-long: build tools ## 1000 cases per property from a random seed; replay a failure with FUZZ_SEED=<seed> make fuzz
	@seed=$${FUZZ_SEED:-$$RANDOM$$RANDOM}; echo "fuzz-long: FUZZ_SEED=$$seed FUZZ_RUNS=$${FUZZ_RUNS:-1000}"; \
	FUZZ_SEED=$$seed FUZZ_RUNS=$${FUZZ_RUNS:-1000} node test/run.mjs fuzz

e2e: build ## end-to-end tests on a real engine (provisioned if needed)
	bash test/e2e/engine/provision.sh
	node test/run.mjs e2e

bench: build ## benchmarks; results in bench/results/
	bash test/e2e/engine/plugins.sh
	node bench/startup.mjs
	node bench/oci.mjs 1024
	bash test/e2e/engine/provision.sh
	node bench/rebuild.mjs 10 50 --reps 3
	node bench/adopt.mjs --reps 3 --cache-modes
	node bench/cachemode.mjs 10 --reps 3
	node bench/ciwarm.mjs 10 50 --reps 2
	node bench/reliability.mjs 200 --seed 1

demo: $(NODE_MODULES) ## install the plugin, then docker esb up on examples/mini
	bash examples/demo.sh

clean:
	rm -rf dist
