package dev.casa.spark;

import dev.casa.CasaModel;
import dev.casa.text.generate.GenerationOptions;
import dev.casa.vision.image.RgbImage;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;

/**
 * Answers a prompt about every image of a DataFrame: an ordinary transformation that keeps the input's
 * columns and appends {@code answer}, {@code prompt_tokens}, {@code answer_tokens}, {@code stop_reason},
 * the timings {@code read_ms}, {@code vision_ms}, {@code prefill_ms}, {@code decode_ms}, {@code total_ms},
 * and {@code error}. A row that fails (an undecodable image, a missing path, a null prompt) gets its
 * {@code error} and null answer columns; the job goes on.
 *
 * <pre>{@code
 * Dataset<Row> images = spark.read().format("binaryFile").load("photos/*.jpg");
 * Dataset<Row> captions = new CasaCaptioner().setModel("/models/demo").setPrompt("Describe the image.")
 *         .transform(images);
 * }</pre>
 *
 * Each executor JVM loads the model once ({@link ExecutorModels}); every row is one fresh session
 * ({@code CasaModel.describe}), so answers do not depend on partitioning or order.
 */
public final class CasaCaptioner extends CaptionerSettings<CasaCaptioner> {

    /** The names of the appended columns, in order. */
    public static List<String> outputColumns() {
        return OutputColumns.names(OutputColumns.IMAGE);
    }

    /** The input with the answer columns appended (lazy, like any transformation). */
    public Dataset<Row> transform(Dataset<Row> input) {
        ModelSpec spec = modelSpec();
        Inputs in = inputs(input);
        StructType out = OutputColumns.append(input.schema(), OutputColumns.IMAGE);
        return input.mapPartitions(new Partition(spec, getGeneration(), in, input.schema().size()), Encoders.row(out));
    }

    /** The work of one partition: rows are answered one at a time as Spark pulls them. */
    private record Partition(ModelSpec spec, GenerationSettings generation, Inputs in, int width)
            implements MapPartitionsFunction<Row, Row> {

        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            return new Iterator<>() {
                private CasaModel model;
                private GenerationOptions options;

                @Override
                public boolean hasNext() { return rows.hasNext(); }

                @Override
                public Row next() {
                    Row row = rows.next();
                    if (model == null) {   // the first row of a partition: the JVM's model, loaded once
                        model = ExecutorModels.get(spec);
                        options = generation.apply(model.defaultGenerationOptions());
                    }
                    return append(row, answer(row).values());
                }

                private Turn answer(Row row) {
                    long start = System.nanoTime();
                    try {
                        RgbImage image = ImageSource.read(in.image(row));
                        long read = System.nanoTime() - start;
                        return Turn.ask(model.newSession(), image, in.prompt(row), options, start, read);
                    } catch (RuntimeException e) {
                        return Turn.failed(e, start);
                    }
                }
            };
        }

        private Row append(Row row, Object[] added) {
            Object[] values = new Object[width + added.length];
            for (int i = 0; i < width; i++) values[i] = row.get(i);
            System.arraycopy(added, 0, values, width, added.length);
            return RowFactory.create(values);
        }
    }
}
