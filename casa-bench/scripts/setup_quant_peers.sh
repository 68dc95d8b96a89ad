#!/bin/sh
# Builds the peers of QuantDecodeBench (docs/quantization.md, "Decode benchmarks") into DIR (default /tmp/casa-peers):
#   DIR/llama/bin/llama-bench  llama.cpp's llama-bench, compiled from the source node-llama-cpp bundles and linked to
#                              the package's prebuilt CPU libraries (the same kernels node-llama-cpp runs)
#   DIR/jlama/                 Jlama 0.8.4 (Maven Central) with the JlamaDecode peer program
# Needs npm, git, g++, Maven and JDK 25 (JAVA_HOME). Run from the repository root.
set -eu
DIR=${1:-/tmp/casa-peers}
ROOT=$(pwd)
mkdir -p "$DIR/llama" "$DIR/jlama"

cd "$DIR/llama"
if [ ! -x bin/llama-bench ]; then
  NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --no-audit --no-fund node-llama-cpp@3.22.1 >npm.log 2>&1
  [ -d src ] || git clone -q node_modules/node-llama-cpp/llama/gitRelease.bundle src
  LIBS=node_modules/@node-llama-cpp/linux-x64/bins/linux-x64
  mkdir -p bin && cp "$LIBS"/*.so bin/
  g++ -O2 -DNDEBUG -std=c++17 -Isrc/include -Isrc/ggml/include -Isrc/common -Isrc/vendor \
      -c src/tools/llama-bench/llama-bench.cpp -o llama-bench.o
  g++ -O2 -DNDEBUG -std=c++17 -c src/tools/llama-bench/main.cpp -o main.o
  LLAMA=$(cd bin && ls libllama.v*.so | head -1)
  GGML=$(cd bin && ls libggml.v*.so | head -1)
  g++ -o bin/llama-bench main.o llama-bench.o -Lbin -l:libllama-common.so -l:"$LLAMA" -l:"$GGML" -l:libggml-base.so \
      -Wl,-rpath,'$ORIGIN' -pthread
fi
echo "llama.cpp: $DIR/llama/bin/llama-bench ($(cat node_modules/node-llama-cpp/llama/llama.cpp.info.json | tr -d ' \n'))"

cd "$ROOT"
PEER=casa-bench/peers/jlama
mvn -B -ntp -q -f "$PEER/pom.xml" dependency:build-classpath -Dmdep.outputFile="$DIR/jlama/classpath.txt"
"${JAVA_HOME:-/usr}/bin/javac" --add-modules jdk.incubator.vector -cp "$(cat "$DIR/jlama/classpath.txt")" \
    -nowarn -d "$DIR/jlama/classes" "$PEER/src/main/java/dev/casa/peers/JlamaDecode.java"
# Jlama inlines its dot products only when told to (its run scripts pass a CompilerDirectivesFile).
cat >"$DIR/jlama/jlama-inline.json" <<'JSON'
[ { match: ["*.*"], inline: ["+com.github.tjake.jlama.tensor.operations.PanamaTensorOperations::dotProduct*"] } ]
JSON
echo "Jlama: $DIR/jlama (classes, classpath.txt, jlama-inline.json)"
