package dev.dsire.spark;

import org.apache.spark.sql.SparkSession;

/** One local[2] session for every Spark test: starting Spark costs seconds, so it is started once. */
final class SparkTestSession {
    private static SparkSession spark;

    private SparkTestSession() {}

    static synchronized SparkSession get() {
        if (spark == null) {
            spark = SparkSession.builder().master("local[2]").appName("dsire-test")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "2")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .getOrCreate();
            Runtime.getRuntime().addShutdownHook(new Thread(spark::stop));
        }
        return spark;
    }
}
