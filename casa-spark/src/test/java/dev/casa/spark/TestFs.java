package dev.casa.spark;

import java.net.URI;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * The local filesystem under the scheme {@code testfs:}, so the tests can read images through Hadoop's
 * FileSystem path (the one {@code hdfs:}, {@code s3a:} ... take) without a cluster. Registered through
 * {@code spark.hadoop.fs.testfs.impl}, which also checks that executors see {@code spark.hadoop.*}.
 */
public class TestFs extends RawLocalFileSystem {
    @Override
    public URI getUri() { return URI.create("testfs:///"); }

    @Override
    public String getScheme() { return "testfs"; }
}
