/** Prints Spark's own JVM options (what spark-submit gives drivers and executors), for launchers that run java directly. */
public class SparkJvmOptions {
    public static void main(String[] args) {
        System.out.println(org.apache.spark.launcher.JavaModuleOptions.defaultModuleOptions());
    }
}
