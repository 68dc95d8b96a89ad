package dev.casa.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** The columns a captioner appends to its input, and the appended values of one row. */
final class OutputColumns {
    static final String ANSWER = "answer", PROMPT_TOKENS = "prompt_tokens", ANSWER_TOKENS = "answer_tokens",
            STOP_REASON = "stop_reason", READ_MS = "read_ms", VISION_MS = "vision_ms", PREFILL_MS = "prefill_ms",
            DECODE_MS = "decode_ms", TOTAL_MS = "total_ms", ERROR = "error",
            FRAME_INDEX = "frame_index", SESSION_INDEX = "session_index", CACHE_BYTES = "cache_bytes";

    private OutputColumns() {}

    /** Columns of every row: the answer, token counts, timings and the error of a failed row. */
    static final List<StructField> IMAGE = List.of(
            field(ANSWER, DataTypes.StringType),
            field(PROMPT_TOKENS, DataTypes.IntegerType),
            field(ANSWER_TOKENS, DataTypes.IntegerType),
            field(STOP_REASON, DataTypes.StringType),
            field(READ_MS, DataTypes.DoubleType),
            field(VISION_MS, DataTypes.DoubleType),
            field(PREFILL_MS, DataTypes.DoubleType),
            field(DECODE_MS, DataTypes.DoubleType),
            field(TOTAL_MS, DataTypes.DoubleType),
            field(ERROR, DataTypes.StringType));

    /** Video frames add their place in the video, the session they were asked in, and its cache size. */
    static final List<StructField> VIDEO = concat(IMAGE, List.of(
            field(FRAME_INDEX, DataTypes.IntegerType),
            field(SESSION_INDEX, DataTypes.IntegerType),
            field(CACHE_BYTES, DataTypes.LongType)));

    private static StructField field(String name, DataType type) {
        return DataTypes.createStructField(name, type, true);
    }

    private static List<StructField> concat(List<StructField> a, List<StructField> b) {
        List<StructField> all = new ArrayList<>(a);
        all.addAll(b);
        return List.copyOf(all);
    }

    /** {@code input} followed by {@code added}; a name clash is an error naming the column. */
    static StructType append(StructType input, List<StructField> added) {
        List<String> names = Arrays.asList(input.fieldNames());
        for (StructField f : added) {
            if (names.stream().anyMatch(n -> n.equalsIgnoreCase(f.name()))) {
                throw new IllegalArgumentException("the input already has a column '" + f.name()
                        + "', which the captioner adds: rename or drop it first");
            }
        }
        StructType out = input;
        for (StructField f : added) out = out.add(f);
        return out;
    }

    /** Names of {@code fields}. */
    static List<String> names(List<StructField> fields) {
        return fields.stream().map(StructField::name).toList();
    }
}
