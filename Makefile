# optml build.  `make help` lists the targets.
#
# Layout of the outputs:
#   build/bin/optml                   the runtime (train / serve / version / help)
#   build/lib/optml/<module>.so       algorithm modules, one per algorithms/<dir>
#   build/tests/run_tests             unit + integration test runner
#   build/tests/modules/<name>.so     modules that exist only for the tests
#   build/fuzz/fuzz_<parser>          libFuzzer targets (clang)
# SANITIZE=1 builds everything with AddressSanitizer + UBSan into build-asan/.

VERSION      := 0.1.0
PREFIX       ?= /usr/local
CC           ?= cc
PKGS         := libmicrohttpd jansson openblas libarchive zlib
# Goals that compile nothing on this machine (images are compiled inside
# Docker) do not ask pkg-config, so `make demo` needs neither it nor the -dev
# packages (`.ci/deps.sh demo`).
HOST_FREE_GOALS := demo image images test-images test-layout help clean
HOST_FREE    := $(if $(filter-out $(HOST_FREE_GOALS),$(or $(MAKECMDGOALS),all)),,1)
pkg_config    = $(if $(HOST_FREE),,$(shell pkg-config $1))
PKG_CFLAGS   := $(call pkg_config,--cflags $(PKGS))
# ARCHIVE_STATIC=1 (docker/Dockerfile builds with it): libarchive.a linked
# into the runtime, followed by the libraries `pkg-config --static` lists for
# it under --as-needed, so only those the objects taken from libarchive.a use
# become dependencies (tar + gzip reading: zlib alone).  The linker needs
# every listed library's -dev package.  Default: the shared libarchive.
ifeq ($(ARCHIVE_STATIC),1)
PKG_LIBS     := $(call pkg_config,--libs $(filter-out libarchive,$(PKGS))) -l:libarchive.a \
                -Wl,--as-needed $(filter-out -larchive,$(call pkg_config,--static --libs libarchive)) -Wl,--no-as-needed
else
PKG_LIBS     := $(call pkg_config,--libs $(PKGS))
endif
OPT          ?= -O2
WARN         := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
                -Wpointer-arith -Wformat=2 -Wvla -Wno-unused-parameter \
                -Werror=implicit-function-declaration
ifeq ($(WERROR),1)
WARN         += -Werror
endif

ifeq ($(SANITIZE),1)
BUILD        ?= build-asan
SAN          := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
OPT          := -O1 -g
else
BUILD        ?= build
SAN          :=
endif

CFLAGS_ALL   := -std=gnu11 $(OPT) -g -fPIC $(WARN) $(SAN) $(PKG_CFLAGS) \
                -DOPTML_VERSION=\"$(VERSION)\" -DOPTML_LIBDIR=\"$(PREFIX)/lib/optml\" -MMD -MP $(CFLAGS)
# Include paths by part: the runtime sees its own folders; a module sees the
# public header and algorithms/ only (no private runtime or test header);
# tests and bench tools see everything.
INC_RUNTIME  := -Iruntime/include -Iruntime
INC_MODULE   := -Iruntime/include -Ialgorithms
INC_TEST     := -Iruntime/include -Iruntime -Ialgorithms -Itests
inc_for       = $(if $(filter runtime/%,$1),$(INC_RUNTIME),$(if $(filter algorithms/%,$1),$(INC_MODULE),$(INC_TEST)))
LDFLAGS_ALL  := $(SAN) $(LDFLAGS)
# Numeric code: hidden symbols (a module exports only its table), -O3 so GCC
# vectorises the loops, and no errno from sqrtf/expf, which blocks it.
ALGO_CFLAGS  := -fvisibility=hidden -fno-math-errno $(if $(SAN),,-O3)
# oneDNN (libdnnl-dev): the convolution engine of algorithms/nn/conv_dnnl.c,
# compiled in when its header is found; DNNL=0 builds without it (the
# im2col engine alone: conv_dnnl.c's stubs).  Debian's libdnnl runs on
# OpenMP (libgomp), which the engine calls directly (one thread per share).
DNNL         ?= $(if $(HOST_FREE),0,$(if $(wildcard /usr/include/dnnl.h /usr/include/oneapi/dnnl/dnnl.h),1,0))
ifeq ($(DNNL),1)
ALGO_CFLAGS  += -DOPTML_WITH_DNNL
DNNL_LIBS    := -ldnnl -lgomp
endif
LIBS         := $(PKG_LIBS) -lpthread -ldl -lm
# Image decoding (algorithms/codec/image_decode.c, libpng-dev and
# libjpeg62-turbo-dev): only modules that call it keep the libraries
# (--as-needed); the test runner and fuzz targets link every shared archive,
# so they take them too.  Quiet when absent: an image whose modules decode
# no images (docker/Dockerfile's BUILD_PACKAGES) builds without them.
IMAGE_LIBS   := $(if $(HOST_FREE),,$(shell pkg-config --libs libpng libjpeg 2>/dev/null))
MODULE_LIBS  := $(call pkg_config,--libs jansson openblas) $(IMAGE_LIBS) $(DNNL_LIBS) -lm

# runtime/dist/mpi_*.c is the MPI plugin, never part of the executable.
RUNTIME_SRC  := $(filter-out runtime/main.c runtime/dist/mpi_%.c,$(wildcard runtime/*/*.c))
RUNTIME_OBJ  := $(RUNTIME_SRC:%.c=$(BUILD)/obj/%.o)
MAIN_OBJ     := $(BUILD)/obj/runtime/main.o

# Shared algorithm code: one static archive per folder (common: rng,
# parallel-for, losses, optimizers; nn: layers; codec: record payload
# formats).  A module links the archives its algorithms/<dir>/module.mk
# names in <dir>_USES, so only the objects it calls end up in its .so.
ALGO_SHARED  := common nn codec
$(foreach L,$(ALGO_SHARED),$(eval $(L)_LIB_OBJ := $$(patsubst %.c,$(BUILD)/obj/%.o,$$(wildcard algorithms/$(L)/*.c))))
ALGO_ARCHIVE  = $(BUILD)/lib/liboptml_$(1).a
MODULE_DIRS  := $(notdir $(patsubst %/,%,$(dir $(wildcard algorithms/*/module.c))))
MODULE_NAMES := $(subst _,-,$(MODULE_DIRS))
MODULES      := $(MODULE_NAMES:%=$(BUILD)/lib/optml/%.so)
include $(wildcard algorithms/*/module.mk)
# A module exports `optml_module` and nothing else (not even the resolvers
# GCC's target_clones emits).
MODULE_LDFLAGS := -shared -Wl,--version-script=algorithms/module.map -Wl,--as-needed

TEST_SRC     := $(shell find tests/runtime tests/algorithms tests/integration tests/support tests/fixtures -name "*.c" 2>/dev/null | sort)
# Fixture builders shared by the unit tests, the fuzz targets and bench tools.
FIXTURE_SRC  := $(wildcard tests/fixtures/*.c)
TEST_OBJ     := $(TEST_SRC:%.c=$(BUILD)/obj/%.o)
# Module internals (all but each module.c, which holds the exported table)
# and the shared archives are linked into the test runner for unit tests.
# A module folder still without a module.c (ALGO_PENDING: its parts are
# built and tested before the module is) builds no .so; its files are
# linked into the test runner and the fuzz targets only.
ALGO_PENDING :=
ALGO_LIB_SRC := $(filter-out algorithms/%/module.c,$(wildcard $(MODULE_DIRS:%=algorithms/%/*.c) $(ALGO_PENDING:%=algorithms/%/*.c)))
ALGO_LIB_OBJ := $(ALGO_LIB_SRC:%.c=$(BUILD)/obj/%.o)
ALGO_ARCHIVES := $(foreach L,$(ALGO_SHARED),$(call ALGO_ARCHIVE,$(L)))
ALGO_ALL_SRC := $(ALGO_LIB_SRC) $(foreach L,$(ALGO_SHARED),$(wildcard algorithms/$(L)/*.c))
TEST_MOD_SRC := $(wildcard tests/modules/*.c)
TEST_MODULES := $(TEST_MOD_SRC:tests/modules/%.c=$(BUILD)/tests/modules/%.so)

FUZZ_SRC     := $(wildcard tests/fuzz/fuzz_*.c)
# A fuzz target tests/fuzz/fuzz_<module>_<part>.c may use that module's files.
FUZZ_BIN     := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_SECONDS ?= 10

# The MPI plugin (libopenmpi-dev): dlopen()ed by a rank of a multi-host
# job only, so the executable never links libmpi.  Built when pkg-config
# knows Open MPI (docker/Dockerfile's images do not carry it yet).
MPI_PLUGIN   := $(if $(HOST_FREE),,$(if $(shell pkg-config --exists ompi 2>/dev/null && echo 1),$(BUILD)/lib/optml/dist/optml-mpi.so))

.PHONY: all test asan check fuzz fuzz-build bench image images demo test-images test-layout test-shell test-report install clean help
all: $(BUILD)/bin/optml $(MODULES) $(MPI_PLUGIN)

help:
	@echo "make              build build/bin/optml and every module into build/lib/optml"
	@echo "make test         build and run the unit and integration tests"
	@echo "make asan         the same tests under AddressSanitizer + UBSan (build-asan/)"
	@echo "make fuzz         build the libFuzzer targets and run each for FUZZ_SECONDS ($(FUZZ_SECONDS))"
	@echo "make test-images  build each module's image once, test it through docker and local_test/"
	@echo "make test-layout  the README's layout map against the source tree, both ways"
	@echo "make test-shell   the README's commands and the local_test/docker scripts, without Docker"
	@echo "make test-report  train real jobs, render each report.html in headless Chromium, check what it shows"
	@echo "make check        test-layout + test + test-shell + asan + test-report + fuzz + test-images: what CI runs"
	@echo "make bench        benchmarks against the peer stacks; results in bench/results/"
	@echo "make image MODULE=linear-learner   the module's Docker image, optml/<module>:latest and :$(VERSION)"
	@echo "make images       every module's image (each containers/<module>/, one docker/Dockerfile)"
	@echo "make demo         image, local_test train + serve + one prediction on shipped data"
	@echo "make install      install into PREFIX ($(PREFIX)): bin/optml, bin/train, bin/serve, lib/optml/"
	@echo "make clean        remove build outputs"

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_ALL) $(call inc_for,$<) $(if $(filter algorithms/%,$<),$(ALGO_CFLAGS)) -c $< -o $@

# The runtime exports its optml_* API to the modules it dlopen()s.
$(BUILD)/bin/optml: $(MAIN_OBJ) $(RUNTIME_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -Wl,--export-dynamic-symbol='optml_*' -o $@ $^ $(LIBS)
	ln -sf optml $(BUILD)/bin/train
	ln -sf optml $(BUILD)/bin/serve

$(BUILD)/lib/optml/dist/optml-mpi.so: $(wildcard runtime/dist/mpi_*.c) runtime/dist/mpi_ops.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(INC_RUNTIME) $(shell pkg-config --cflags ompi) -fvisibility=hidden -shared \
	  -o $@ $(filter %.c,$^) $(LDFLAGS_ALL) $(shell pkg-config --libs ompi)

# The shared archives.
$(foreach L,$(ALGO_SHARED),$(eval $(call ALGO_ARCHIVE,$(L)): $$($(L)_LIB_OBJ)))
$(ALGO_ARCHIVES):
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

# A module: every .c in its folder plus the archives its module.mk names.
# Symbols from the runtime stay undefined and resolve against the executable.
.SECONDEXPANSION:
# Keep objects make would otherwise delete as intermediates.
.SECONDARY:
# (No `%` inside the prerequisite list: make would substitute the stem.)
$(BUILD)/lib/optml/%.so: $$(addprefix $(BUILD)/obj/,$$(addsuffix .o,$$(basename $$(wildcard algorithms/$$(subst -,_,$$*)/*.c)))) \
                         $$(foreach L,$$($$(subst -,_,$$*)_USES),$$(call ALGO_ARCHIVE,$$(L))) algorithms/module.map
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) $(MODULE_LDFLAGS) -o $@ $(filter %.o %.a,$^) $(MODULE_LIBS)

# echo.c also built against the frozen 4.0 header: a module of an older
# minor version must keep loading (tests/modules/api-4.0/).
FROZEN_API   := 4.0
TEST_MODULES += $(BUILD)/tests/modules/api-$(FROZEN_API)/echo.so
$(BUILD)/tests/modules/api-$(FROZEN_API)/echo.so: tests/modules/echo.c tests/modules/api-$(FROZEN_API)/optml/algorithm.h algorithms/module.map
	@mkdir -p $(dir $@)
	@echo "  CC      $< (API $(FROZEN_API) header)"
	@$(CC) $(CFLAGS_ALL) -Itests/modules/api-$(FROZEN_API) -MF $(@:.so=.d) -o $@ $< $(MODULE_LDFLAGS)

# Modules that exist only for the tests link nothing shared.
$(BUILD)/tests/modules/%.so: $(BUILD)/obj/tests/modules/%.o algorithms/module.map
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) $(MODULE_LDFLAGS) -o $@ $(filter %.o,$^)

$(BUILD)/tests/run_tests: $(TEST_OBJ) $(RUNTIME_OBJ) $(ALGO_LIB_OBJ) $(ALGO_ARCHIVES)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -rdynamic -o $@ $(TEST_OBJ) $(RUNTIME_OBJ) $(ALGO_LIB_OBJ) \
	  $(foreach L,nn codec common,$(call ALGO_ARCHIVE,$(L))) $(LIBS) $(IMAGE_LIBS) $(DNNL_LIBS)

test: all $(BUILD)/tests/run_tests $(TEST_MODULES)
	OPTML_BUILD=$(BUILD) $(BUILD)/tests/run_tests $(T)

asan:
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	ASAN_OPTIONS=abort_on_error=0:detect_leaks=1:fast_unwind_on_malloc=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(MAKE) SANITIZE=1 test

# libFuzzer targets: the runtime and algorithm sources compiled once by
# clang with coverage, ASan and UBSan into one archive; each target is its
# tests/fuzz/fuzz_*.c linked against it (the archive gives it only what it
# calls).  Each target runs for FUZZ_SECONDS from its seed corpus.
FUZZ_CC      := clang
FUZZ_CFLAGS  := -std=gnu11 -g -O1 -fno-sanitize-recover=undefined \
                $(INC_TEST) $(PKG_CFLAGS) -DOPTML_VERSION=\"$(VERSION)\" -DOPTML_LIBDIR=\"$(PREFIX)/lib/optml\"
FUZZ_LIB_OBJ := $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(RUNTIME_SRC) $(ALGO_ALL_SRC) $(FIXTURE_SRC))
FUZZ_LIB     := $(BUILD)/fuzz/liboptml_fuzz.a
$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  FUZZCC  $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c $< -o $@
$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	rm -f $@ && $(AR) rcs $@ $^
$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	@echo "  FUZZLD  $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< $(FUZZ_LIB) $(LIBS) $(IMAGE_LIBS)

fuzz-build: $(FUZZ_BIN)
fuzz: fuzz-build
	@set -e; for f in $(FUZZ_BIN); do \
	  name=$$(basename $$f); corpus=$(BUILD)/fuzz/corpus/$$name; mkdir -p $$corpus; \
	  if [ -d tests/fuzz/seeds/$$name ]; then cp -n tests/fuzz/seeds/$$name/* $$corpus/ 2>/dev/null || true; fi; \
	  echo "fuzz: $$name for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=2048 -print_final_stats=0 $$corpus >$(BUILD)/fuzz/$$name.log 2>&1 \
	    || { tail -n 40 $(BUILD)/fuzz/$$name.log; exit 1; }; \
	  grep -E '^(#[0-9]+ *DONE|Done)' $(BUILD)/fuzz/$$name.log | tail -n 1; \
	done

# Image tests with a real Docker engine (docker/setup.sh installs and starts it).
test-images:
	bash tests/images/run.sh

# The README's layout map and the source tree agree both ways (tests/layout.sh).
test-layout:
	bash tests/layout.sh

# The README's commands and the scripts it names, with stand-ins for apt-get,
# sudo, docker and aws, and predict.sh against `optml serve` (tests/shell/run.sh).
test-shell: all $(BUILD)/tests/modules/echo.so
	OPTML_BUILD=$(BUILD) bash tests/shell/run.sh


# The training report as a browser shows it (tests/report/render.sh:
# headless Chromium, screenshots left in /tmp).
test-report: all
	bash tests/report/render.sh $(BUILD)

check: test-layout test test-shell asan test-report fuzz test-images

# Benchmarks: long and noisy, never part of `check`.  bench/deps.sh installs
# the load generator and the peer stacks.
bench: all $(TEST_MODULES)
	OPTML_BUILD=$(BUILD) bash bench/run.sh

# Docker images: one recipe, docker/Dockerfile, for every module with a
# containers/<module>/ folder; its image.env (KEY=value lines, each KEY an
# ARG of docker/Dockerfile) becomes --build-args.  docker/base-image.sh
# builds debian:bookworm-slim offline when it cannot be pulled.
# IMAGE_TAGS and DOCKER_BUILD_FLAGS (e.g. --no-cache -q) may be overridden.
IMAGE_MODULES      := $(notdir $(patsubst %/,%,$(wildcard containers/*/)))
IMAGE_TAGS         ?= optml/$(MODULE):latest optml/$(MODULE):$(VERSION)
DOCKER_BUILD_FLAGS ?=
image:
	@test -n "$(MODULE)" || { echo "make image MODULE=<one of: $(IMAGE_MODULES)>"; exit 2; }
	@test -d containers/$(MODULE) || { echo "no containers/$(MODULE)/ (modules: $(IMAGE_MODULES))"; exit 2; }
	bash docker/base-image.sh
	@set -e; env=containers/$(MODULE)/image.env; set --; \
	if [ -f "$$env" ]; then \
	  while IFS= read -r line || [ -n "$$line" ]; do \
	    case $$line in ''|'#'*) continue ;; *=*) ;; *) echo "$$env: not KEY=value: $$line" >&2; exit 2 ;; esac; \
	    key=$${line%%=*}; \
	    case $$key in MODULE|VERSION|''|*[!A-Z0-9_]*) echo "$$env: $$key cannot be set here" >&2; exit 2 ;; esac; \
	    grep -Eq "^ARG $$key(=|$$)" docker/Dockerfile || { echo "$$env: $$key is not an ARG of docker/Dockerfile" >&2; exit 2; }; \
	    set -- "$$@" --build-arg "$$line"; \
	  done <"$$env"; \
	fi; \
	set -x; \
	docker build --network host $(DOCKER_BUILD_FLAGS) -f docker/Dockerfile \
	  --build-arg MODULE=$(MODULE) --build-arg VERSION=$(VERSION) "$$@" \
	  $(foreach t,$(IMAGE_TAGS),-t $(t)) .
images:
	@for m in $(IMAGE_MODULES); do $(MAKE) --no-print-directory image MODULE=$$m || exit 1; done

demo:
	bash local_test/demo.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/optml
	install -m 0755 $(BUILD)/bin/optml $(DESTDIR)$(PREFIX)/bin/optml
	$(if $(MPI_PLUGIN),install -d $(DESTDIR)$(PREFIX)/lib/optml/dist && install -m 0644 $(MPI_PLUGIN) $(DESTDIR)$(PREFIX)/lib/optml/dist/)
	ln -sf optml $(DESTDIR)$(PREFIX)/bin/train
	ln -sf optml $(DESTDIR)$(PREFIX)/bin/serve
	$(if $(MODULES),install -m 0644 $(MODULES) $(DESTDIR)$(PREFIX)/lib/optml/)

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD)/obj $(BUILD)/fuzz/obj -name '*.d' 2>/dev/null)
