# Thin wrapper over CMake: the README's commands.
#   make deps    install missing Debian packages (root) or say what to install
#   make build   release build, binaries in build/bin/
#   make test    ASan+UBSan debug build in build/test/, every test through ctest
#   make run     build and start the single-node stack
#   make bench   optimised build, run the benchmarks
#   make fuzz    libFuzzer targets (clang) for FUZZ_SECONDS each
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60

.PHONY: all deps build test run bench fuzz clean
all: build

deps:
	@./cmake/deps.sh

build: deps
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build -j $(JOBS)

test: deps
	cmake -S . -B build/test -DCMAKE_BUILD_TYPE=Debug -DSANITIZE=ON >/dev/null
	cmake --build build/test -j $(JOBS)
	cd build/test && ctest --output-on-failure -j $(JOBS) --timeout 600

run: build
	./tools/run.sh

bench: deps
	cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DSL_TESTS=OFF >/dev/null
	cmake --build build/bench -j $(JOBS)
	./bench/run.sh build/bench/bin

fuzz: deps
	cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DFUZZ=ON >/dev/null
	cmake --build build/fuzz -j $(JOBS)
	./tests/fuzz/run.sh build/fuzz/bin $(FUZZ_SECONDS)

clean:
	rm -rf build
