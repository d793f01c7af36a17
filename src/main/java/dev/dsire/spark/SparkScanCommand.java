package dev.dsire.spark;

import dev.dsire.model.ModelSet;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "scan", mixinStandardHelpOptions = true,
        description = {"Scans (and with --model, predicts) every LoRA file under the inputs into a Parquet dataset partitioned by status and family.",
                "Resumable: a rerun skips files whose (path, size, mtime, model) the output holds; a killed job keeps its committed chunks.",
                "Bad files become error rows, never failed tasks."})
final class SparkScanCommand implements Callable<Integer> {

    @Option(names = "--input", required = true, split = ",", paramLabel = "PATHS",
            description = "folders, files or text manifests (one path a line), as Hadoop paths: /local, file:, hdfs:, s3a:")
    List<String> inputs;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "the Parquet dataset (appended to)")
    String out;

    @Option(names = "--model", paramLabel = "MODEL",
            description = "a model file or a folder of them (repeatable, read on the driver, broadcast); each file goes to the model of its layout")
    List<Path> models = List.of();

    @Option(names = "--device", defaultValue = "auto", paramLabel = "auto|cpu|cuda",
            description = "per executor: auto (CUDA when it has a usable GPU, else CPU), cpu or cuda")
    String device;

    @Option(names = "--master", paramLabel = "URL", description = "Spark master when not run by spark-submit (./dsire-spark sets local[2])")
    String master;

    @Option(names = "--chunk", defaultValue = "4096", paramLabel = "FILES", description = "files per committed chunk (default ${DEFAULT-VALUE})")
    int chunk;

    @Option(names = "--fail-after-chunks", defaultValue = "-1", hidden = true)
    int failAfterChunks;

    @Override
    public Integer call() throws Exception {
        if (!List.of("auto", "cpu", "cuda").contains(device)) {
            throw new IllegalArgumentException("--device must be auto, cpu or cuda");
        }
        if (chunk < 1) {
            throw new IllegalArgumentException("--chunk must be at least 1");
        }
        ModelSet set = ModelSet.load(models);
        SparkSession.Builder b = SparkSession.builder().appName("dsire scan");
        if (master != null) {
            b.master(master);
        }
        SparkSession spark = b.getOrCreate();
        try {
            long t0 = System.nanoTime();
            ScanJob.Summary s = new ScanJob(spark).run(new ScanJob.Options(inputs, out, set, device, chunk, failAfterChunks));
            double sec = (System.nanoTime() - t0) / 1e9;
            System.out.printf("%d listed, %d skipped (already in %s), %d scanned in %d chunks, %.1f s (%.2f files/s, session start excluded)%n",
                    s.listed(), s.skipped(), out, s.scanned(), s.chunks(), sec, s.scanned() / sec);
        } finally {
            spark.stop();
        }
        return 0;
    }
}
