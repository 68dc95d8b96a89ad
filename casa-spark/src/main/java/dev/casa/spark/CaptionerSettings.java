package dev.casa.spark;

import java.io.Serializable;
import java.util.Arrays;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * What both captioners share: the model, the image column, the prompt (fixed or per row) and the
 * generation options. Setters return {@code this}, so a captioner is configured in one expression from
 * Java, Scala or Python (through py4j: numbers arrive as int, long or double, hence the double setters).
 */
public abstract class CaptionerSettings<T extends CaptionerSettings<T>> implements Serializable {
    private String model;
    private String quantize = Quantize.NONE;
    private int threads;
    private String imageCol = "content";
    private String prompt = "Describe the image.";
    private String promptCol;
    private GenerationSettings generation = GenerationSettings.defaults();

    CaptionerSettings() {}

    @SuppressWarnings("unchecked")
    private T self() { return (T) this; }

    /** The model directory: a path every executor sees, or the name of a directory shipped with the job. */
    public T setModel(String dir) { this.model = dir; return self(); }

    /** {@code none} (default), or {@code q8_0} / {@code q4_0}: the Linear layers quantized in memory when an executor loads the model. */
    public T setQuantize(String format) { this.quantize = Quantize.check(format); return self(); }

    /** Kernel threads of each executor's model; 0 (default) sizes them from the executor's cores and {@code spark.task.cpus}. */
    public T setThreads(int threads) {
        if (threads < 0) throw new IllegalArgumentException("threads must be >= 0, got " + threads);
        this.threads = threads;
        return self();
    }

    /** The image column: binary (image bytes) or string (a path or URI). Default {@code content}. */
    public T setImageCol(String column) { this.imageCol = requireName(column, "image column"); return self(); }

    /** One prompt for every row (default "Describe the image."); clears a prompt column. */
    public T setPrompt(String text) {
        if (text == null) throw new IllegalArgumentException("the prompt is null");
        this.prompt = text;
        this.promptCol = null;
        return self();
    }

    /** A string column holding each row's prompt; replaces the fixed prompt. */
    public T setPromptCol(String column) { this.promptCol = requireName(column, "prompt column"); return self(); }

    public T setGeneration(GenerationSettings settings) {
        if (settings == null) throw new IllegalArgumentException("generation settings are null");
        this.generation = settings;
        return self();
    }

    public T setMaxNewTokens(int n) { return setGeneration(generation.withMaxNewTokens(n)); }
    public T setTemperature(double t) { return setGeneration(generation.withTemperature((float) t)); }
    public T setTopK(int k) { return setGeneration(generation.withTopK(k)); }
    public T setTopP(double p) { return setGeneration(generation.withTopP((float) p)); }
    public T setMinP(double p) { return setGeneration(generation.withMinP((float) p)); }
    public T setRepetitionPenalty(double r) { return setGeneration(generation.withRepetitionPenalty((float) r)); }
    public T setSeed(long seed) { return setGeneration(generation.withSeed(seed)); }

    public String getModel() { return model; }
    public String getQuantize() { return quantize; }
    public int getThreads() { return threads; }
    public String getImageCol() { return imageCol; }
    public String getPrompt() { return promptCol == null ? prompt : null; }
    public String getPromptCol() { return promptCol; }
    public GenerationSettings getGeneration() { return generation; }

    ModelSpec modelSpec() { return new ModelSpec(model, quantize, threads); }

    /** What a partition needs to read one row's image and prompt. */
    record Inputs(int imageIndex, int promptIndex, String prompt) implements Serializable {
        Object image(Row row) { return row.get(imageIndex); }

        String prompt(Row row) { return promptIndex < 0 ? prompt : row.getString(promptIndex); }
    }

    /** Checks the columns of {@code input} (names and types) on the driver, before any task runs. */
    Inputs inputs(Dataset<Row> input) {
        StructType schema = input.schema();
        int image = index(schema, imageCol, "image column");
        DataType t = schema.fields()[image].dataType();
        if (!t.equals(DataTypes.BinaryType) && !t.equals(DataTypes.StringType)) {
            throw new IllegalArgumentException("image column '" + imageCol + "' is " + t.simpleString()
                    + ": expected binary (image bytes, e.g. binaryFile's content) or string (a path or URI)");
        }
        int promptIndex = -1;
        if (promptCol != null) {
            promptIndex = index(schema, promptCol, "prompt column");
            DataType p = schema.fields()[promptIndex].dataType();
            if (!p.equals(DataTypes.StringType)) {
                throw new IllegalArgumentException("prompt column '" + promptCol + "' is " + p.simpleString() + ": expected string");
            }
        }
        return new Inputs(image, promptIndex, prompt);
    }

    static int index(StructType schema, String column, String what) {
        String[] names = schema.fieldNames();
        for (int i = 0; i < names.length; i++) if (names[i].equals(column)) return i;
        throw new IllegalArgumentException(what + " '" + column + "' is not in the input; its columns are " + Arrays.toString(names));
    }

    static String requireName(String column, String what) {
        if (column == null || column.isBlank()) throw new IllegalArgumentException("the " + what + " name is empty");
        return column;
    }
}
