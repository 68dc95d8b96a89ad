#!/bin/sh
# The Qwen2.5-VL-3B-shape benchmarks of docs/benchmarks.md, one after the other (never two at once), from the
# repository root after `mvn -B -ntp -q -pl casa-bench -am package -DskipTests`. Each prints its own RESULT / RATIO
# lines, the CPU model and the load average; logs go to $1 (default /tmp/qwen-bench-logs). The first run writes
# the 7.5 GB random-weight model to /tmp/casa-bench-models/qwen2.5-vl-3b (about a minute; reused afterwards).
set -e
LOGS=${1:-/tmp/qwen-bench-logs}
JAVA=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
CP="--add-modules jdk.incubator.vector -cp casa-bench/target/casa-bench.jar"
mkdir -p "$LOGS"
$JAVA $CP dev.casa.bench.qwen.QwenModelGenerator
$JAVA $CP dev.casa.bench.qwen.TestImage --width 1280 --height 720
$JAVA -jar casa-cli/target/casa.jar info --model /tmp/casa-bench-models/qwen2.5-vl-3b 2>&1 | tee "$LOGS/info.log"
$JAVA -jar casa-cli/target/casa.jar describe --model /tmp/casa-bench-models/qwen2.5-vl-3b \
    --image /tmp/casa-bench-models/photo-1280x720.jpg --max-new-tokens 8 --stats 2>&1 | tee "$LOGS/describe.log"
$JAVA -Xmx4g $CP dev.casa.bench.qwen.QwenVisionBench 2>&1 | tee "$LOGS/vision.log"
$JAVA -Xmx4g $CP dev.casa.bench.qwen.QwenDecodeBench 2>&1 | tee "$LOGS/decode.log"
$JAVA -Xmx6g $CP dev.casa.bench.qwen.QwenPrefillBench 2>&1 | tee "$LOGS/prefill.log"
$JAVA -Xmx6g $CP dev.casa.bench.qwen.QwenTtftBench 2>&1 | tee "$LOGS/ttft.log"
grep -h -E "^(CPU|RESULT|RATIO)" "$LOGS"/*.log
