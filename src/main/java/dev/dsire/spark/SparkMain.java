package dev.dsire.spark;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The cluster job's entry point: {@code spark-submit --class dev.dsire.spark.SparkMain dsire.jar scan ...}. */
@Command(name = "dsire-spark", mixinStandardHelpOptions = true, subcommands = SparkScanCommand.class,
        description = "dsire on Apache Spark: scan and predict a hub of files across a cluster.")
public final class SparkMain {

    public static void main(String[] args) {
        CommandLine cl = new CommandLine(new SparkMain());
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            if (e instanceof IllegalArgumentException || e instanceof dev.dsire.InputException) {
                line.getErr().println("dsire-spark: " + e.getMessage());
                return 2;
            }
            throw e;
        });
        System.exit(cl.execute(args));
    }
}
