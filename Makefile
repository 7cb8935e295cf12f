# Thin wrappers over scripts/ and CMake. `make run` and `make test` are all a newcomer needs.
.PHONY: all build run test bench fuzz clean

all: build

build:
	@scripts/build release

run: build
	@scripts/run

test:
	@scripts/test

bench:
	@scripts/bench

fuzz:
	@scripts/fuzz

clean:
	rm -rf build build-asan build-fuzz
