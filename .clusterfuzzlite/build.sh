#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build of the atheris harnesses (docs/fuzzing.md, "Distributed fuzzing").
#
# Runs in the base-builder-python image with $SRC, $WORK and $OUT set. For every harness of
# fuzz/harnesses.py it produces, in $OUT:
#   <harness>_fuzzer                  the target (a wrapper around the PyInstaller bundle)
#   <harness>_fuzzer_seed_corpus.zip  the committed corpus fuzz/corpora/<harness>/
#   <harness>_fuzzer.dict             the libFuzzer dictionary, for the harnesses that have one
#   <harness>_fuzzer.options          libFuzzer options (max_len), for the harnesses that have any
# tests/test_oss_fuzz.py runs this script with stand-ins for pip3 and compile_python_fuzzer.

cd "$SRC/rusty-coin-spec"

# The project with its pinned runtime dependencies (atheris comes with the image; the dev extra
# would replace it).
pip3 install .

# One target script per harness, the zipped seed corpora and the dictionaries.
targets="$WORK/rusty-fuzz-targets"
rm -rf "$targets"
python3 -m fuzz.oss_fuzz --out "$targets"

# Bundle each target. The presets (spec/presets/*.toml) and the vector schema are package data
# read through importlib.resources, so PyInstaller must collect them.
for target in "$targets"/*_fuzzer.py; do
  compile_python_fuzzer "$target" --collect-data spec --collect-data conformance
done

cp "$targets"/*_fuzzer_seed_corpus.zip "$OUT/"
find "$targets" -maxdepth 1 \( -name '*_fuzzer.dict' -o -name '*_fuzzer.options' \) -exec cp {} "$OUT/" \;
