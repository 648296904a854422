# unixipc — build, test, demo, install, docs, memory check and benchmarks.
#
#   make              build build/bin/unixipc and build/lib/unixipc/core.so
#   make deps         install what is missing (Debian packages, apt-get)
#   make test         deps, build, the whole spec suite under lua5.4 and the host
#   make demo         deps, build, the tour of the perlipc recipes in examples/
#   make install      PREFIX=/usr/local (module, Lua files, host)
#   make doc          LDoc reference into build/doc
#   make check-memory the suite under valgrind memcheck
#   make fuzz         libFuzzer targets (clang, ASan, UBSan), FUZZ_TIME s each
#   make bench        unixipc against plain C and Perl on the same work

LUA         ?= lua5.4
LUA_PKG     ?= lua5.4
PREFIX      ?= /usr/local
LUA_VERSION ?= 5.4
LUA_LIBDIR  ?= $(PREFIX)/lib/lua/$(LUA_VERSION)
LUA_SHARE   ?= $(PREFIX)/share/lua/$(LUA_VERSION)
BINDIR      ?= $(PREFIX)/bin

LUA_CFLAGS  ?= $(shell pkg-config --cflags $(LUA_PKG) 2>/dev/null || echo -I/usr/include/lua$(LUA_VERSION))
LUA_LIBS    ?= $(shell pkg-config --libs $(LUA_PKG) 2>/dev/null || echo -llua$(LUA_VERSION))

CC          ?= cc
# The host links Lua statically, as Debian's lua5.4 does (non-PIC VM, and C
# modules find the API in the executable); the shared library otherwise.
LUA_STATIC  ?= $(shell f=$$($(CC) -print-file-name=liblua$(LUA_VERSION).a); [ -f "$$f" ] && echo "$$f")
ifneq ($(LUA_STATIC),)
  HOST_LUA_LIBS := -Wl,--whole-archive $(LUA_STATIC) -Wl,--no-whole-archive -Wl,-E
else
  HOST_LUA_LIBS := $(LUA_LIBS) -rdynamic
endif
CFLAGS      ?= -O2 -g
WARN        := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
ALL_CFLAGS  := -std=gnu11 $(WARN) $(CFLAGS) $(LUA_CFLAGS) -Isrc -fvisibility=hidden

# Line editing for the host's REPL: readline, else libedit, else plain lines.
HAVE_READLINE := $(shell printf '\#include <stdio.h>\n\#include <readline/readline.h>\n' | $(CC) -E - >/dev/null 2>&1 && echo yes)
HAVE_EDITLINE := $(shell printf '\#include <stdio.h>\n\#include <editline/readline.h>\n' | $(CC) -E - >/dev/null 2>&1 && echo yes)
ifeq ($(HAVE_READLINE),yes)
  EDIT_CFLAGS := -DUIPC_READLINE
  EDIT_LIBS   := -lreadline
else ifeq ($(HAVE_EDITLINE),yes)
  EDIT_CFLAGS := -DUIPC_EDITLINE
  EDIT_LIBS   := -ledit
endif

MODULE_SRC  := $(filter-out src/host.c,$(wildcard src/*.c))
MODULE_OBJ  := $(MODULE_SRC:src/%.c=build/obj/%.o)
LUA_SRC     := $(wildcard lua/unixipc/*.lua)

CORE        := build/lib/unixipc/core.so
HOST        := build/bin/unixipc

.PHONY: all deps test demo install uninstall doc check-memory fuzz bench clean FORCE

all: $(CORE) $(HOST)

# What the platform probes found (headers that change the build: valgrind's,
# the line editor's); objects are rebuilt when it changes, e.g. after
# `make deps` installed valgrind.
FEATURES := cc=$(CC) edit=$(EDIT_CFLAGS) valgrind=$(shell printf '\#include <valgrind/valgrind.h>\n' | $(CC) -E - >/dev/null 2>&1 && echo yes)
build/features: FORCE
	@mkdir -p build
	@echo '$(FEATURES)' | cmp -s - $@ || echo '$(FEATURES)' > $@

build/obj/%.o: src/%.c src/unixipc.h build/features
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -c $< -o $@

# Linked to a temporary name and renamed, so that a process starting
# meanwhile never runs a half-written file.
$(CORE): $(MODULE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -shared $(CFLAGS) $(LDFLAGS) -o $@.tmp $(MODULE_OBJ) -lutil && mv $@.tmp $@

# The host carries the C module and the Lua front inside, so it runs from
# anywhere without LUA_PATH or LUA_CPATH.
build/gen/embedded.c: src/embed.lua $(LUA_SRC)
	@mkdir -p $(dir $@)
	$(LUA) src/embed.lua lua $(LUA_SRC) > $@.tmp && mv $@.tmp $@

build/obj/host.o: src/host.c src/unixipc.h build/features
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(EDIT_CFLAGS) -fPIC -c $< -o $@

build/obj/embedded.o: build/gen/embedded.c
	$(CC) -std=gnu11 $(CFLAGS) $(LUA_CFLAGS) -Isrc -fPIC -c $< -o $@

$(HOST): build/obj/host.o build/obj/embedded.o $(MODULE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@.tmp $^ $(HOST_LUA_LIBS) $(EDIT_LIBS) -lutil -lm -ldl && mv $@.tmp $@

deps:
	@sh tools/deps.sh

test: deps all
	@bash spec/run

demo: deps all
	@bash examples/tour.sh

install: all
	install -d $(DESTDIR)$(LUA_LIBDIR)/unixipc $(DESTDIR)$(LUA_SHARE)/unixipc $(DESTDIR)$(BINDIR)
	install -m 755 $(CORE) $(DESTDIR)$(LUA_LIBDIR)/unixipc/core.so
	install -m 644 $(LUA_SRC) $(DESTDIR)$(LUA_SHARE)/unixipc/
	install -m 755 $(HOST) $(DESTDIR)$(BINDIR)/unixipc

uninstall:
	rm -rf $(DESTDIR)$(LUA_LIBDIR)/unixipc $(DESTDIR)$(LUA_SHARE)/unixipc $(DESTDIR)$(BINDIR)/unixipc

doc:
	@mkdir -p build/doc
	ldoc -c config.ld .

check-memory: deps all
	@bash spec/run --memcheck

fuzz: deps
	@sh tools/deps.sh fuzz
	@bash fuzz/run

bench: deps all
	@bash bench/run

clean:
	rm -rf build
