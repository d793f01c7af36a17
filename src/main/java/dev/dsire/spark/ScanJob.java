package dev.dsire.spark;

import dev.dsire.scan.ParquetColumns;
import dev.dsire.model.ModelSet;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * The cluster scan: list on the driver, drop what the output already holds (an anti-join on path,
 * size, mtime and model), then scan the rest a chunk at a time, each chunk one Parquet append that
 * commits on its own. A killed job keeps its committed chunks; the rerun's anti-join skips them, and
 * the uncommitted scratch of the killed chunk is cleared first, so every file ends up exactly once.
 * One job writes to an output at a time.
 */
public final class ScanJob {

    /**
     * @param chunk           files per committed chunk
     * @param failAfterChunks test hook: after this many committed chunks, fail the next one midway (-1: never)
     */
    public record Options(List<String> inputs, String out, ModelSet models, String device, int chunk, int failAfterChunks) {}

    public record Summary(long listed, long skipped, long scanned, int chunks) {}

    private final SparkSession spark;

    public ScanJob(SparkSession spark) {
        this.spark = spark;
    }

    public Summary run(Options o) throws IOException {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        Path out = new Path(o.out());
        FileSystem fs = out.getFileSystem(conf);
        clearUncommitted(fs, out);
        List<Row> listed = Listing.list(o.inputs(), conf);
        String modelId = o.models().id();
        List<Row> todo = pending(listed, out, fs, modelId);
        todo.sort(Comparator.comparing(r -> r.getString(0)));

        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<ModelShipment> models = jsc.broadcast(ModelShipment.of(o.models()));
        int slots = Math.max(1, jsc.defaultParallelism());
        int chunks = 0;
        for (int from = 0; from < todo.size(); from += o.chunk()) {
            List<Row> chunk = todo.subList(from, Math.min(todo.size(), from + o.chunk()));
            // a few partitions per slot: big and small files even out, and each task writes few Parquet files
            int parts = Math.max(1, Math.min(chunk.size(), 4 * slots));
            JavaRDD<Row> rows = jsc.parallelize(new ArrayList<>(chunk), parts)
                    .mapPartitions(new PartitionScanner(models, modelId, o.device(), chunks == o.failAfterChunks()));
            spark.createDataFrame(rows, ScanRows.SCHEMA).write().mode(SaveMode.Append)
                    .partitionBy(ParquetColumns.PARTITIONS.toArray(String[]::new)).parquet(o.out());
            chunks++;
        }
        models.destroy();
        return new Summary(listed.size(), listed.size() - todo.size(), todo.size(), chunks);
    }

    /** The listed files whose (path, size, mtime, model) the output does not hold yet. */
    private List<Row> pending(List<Row> listed, Path out, FileSystem fs, String modelId) throws IOException {
        Dataset<Row> files = spark.createDataFrame(listed, Listing.SCHEMA);
        if (!hasData(fs, out)) {
            return new ArrayList<>(listed);
        }
        Dataset<Row> done = spark.read().parquet(out.toString()).select("path", "size", "mtime", "model_set").distinct();
        Column model = modelId == null ? done.col("model_set").isNull() : done.col("model_set").equalTo(functions.lit(modelId));
        Column same = files.col("path").equalTo(done.col("path")).and(files.col("size").equalTo(done.col("size")))
                .and(files.col("mtime").equalTo(done.col("mtime"))).and(model);
        return new ArrayList<>(files.join(done, same, "left_anti").collectAsList());
    }

    private static boolean hasData(FileSystem fs, Path out) throws IOException {
        if (!fs.exists(out)) {
            return false;
        }
        for (FileStatus s : fs.listStatus(out)) {
            if (s.isDirectory() && !s.getPath().getName().startsWith("_") && !s.getPath().getName().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    /**
     * A killed chunk leaves task output under _temporary (and .spark-staging-*); the next append's
     * commit would adopt it and duplicate rows, so it goes before anything is written.
     */
    private static void clearUncommitted(FileSystem fs, Path out) throws IOException {
        if (!fs.exists(out)) {
            return;
        }
        for (FileStatus s : fs.listStatus(out)) {
            String n = s.getPath().getName();
            if (n.equals("_temporary") || n.startsWith(".spark-staging-")) {
                fs.delete(s.getPath(), true);
            }
        }
    }
}
