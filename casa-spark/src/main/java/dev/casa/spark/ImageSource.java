package dev.casa.spark;

import dev.casa.vision.image.ImageDecodeException;
import dev.casa.vision.image.ImageDecoder;
import dev.casa.vision.image.RgbImage;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.regex.Matcher;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkEnv;
import scala.Tuple2;

/**
 * Turns a cell of the image column into pixels: bytes (e.g. the {@code binaryFile} source's
 * {@code content}) or a path. Plain paths and {@code file:} URIs are read directly; any other scheme
 * ({@code hdfs:}, {@code s3a:}, {@code gs:}, ...) through Hadoop's FileSystem with the executor's
 * {@code spark.hadoop.*} settings. Every failure is an {@link ImageDecodeException} naming the image.
 */
final class ImageSource {
    private ImageSource() {}

    static RgbImage read(Object cell) {
        if (cell == null) throw new ImageDecodeException("the image cell is null");
        if (cell instanceof byte[] bytes) return ImageDecoder.decode(bytes);
        if (cell instanceof String path) return readPath(path);
        throw new ImageDecodeException("the image cell holds a " + cell.getClass().getSimpleName() + ", not bytes or a path");
    }

    private static RgbImage readPath(String path) {
        if (path.isBlank()) throw new ImageDecodeException("the image path is empty");
        URI uri;
        try {
            uri = new org.apache.hadoop.fs.Path(path).toUri();
        } catch (IllegalArgumentException e) {
            throw new ImageDecodeException(path + ": not a valid path or URI (" + e.getMessage() + ")");
        }
        if (uri.getScheme() == null) return ImageDecoder.decode(Path.of(path));
        if (uri.getScheme().equals("file")) return ImageDecoder.decode(Path.of(uri.getPath()));
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(uri);
        try (InputStream in = p.getFileSystem(HadoopConf.INSTANCE).open(p)) {
            // The library's stream decoder bounds the bytes read; its messages name "image stream".
            return ImageDecoder.decode(in);
        } catch (ImageDecodeException e) {
            throw new ImageDecodeException(e.getMessage().replaceFirst("^image stream: ", Matcher.quoteReplacement(path) + ": "), e);
        } catch (FileNotFoundException e) {
            throw new ImageDecodeException("image " + path + ": no such file");
        } catch (IOException | RuntimeException e) {
            throw new ImageDecodeException("image " + path + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    /** The executor's Hadoop settings: the classpath's *-site.xml plus {@code spark.hadoop.*}, as Spark builds them. */
    private static final class HadoopConf {
        static final Configuration INSTANCE = build();

        private static Configuration build() {
            Configuration c = new Configuration();
            SparkEnv env = SparkEnv.get();
            if (env != null) {
                for (Tuple2<String, String> kv : env.conf().getAllWithPrefix("spark.hadoop.")) c.set(kv._1(), kv._2());
            }
            return c;
        }
    }
}
