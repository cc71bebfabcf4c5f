package io.sparkd.examples;

import java.util.Arrays;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/** Runs one task that sleeps for the given seconds (default 600): a job to cancel or lose. */
public final class Sleep {
  public static void main(String[] args) {
    SparkSession spark = SparkSession.builder().appName("Sleep").getOrCreate();
    JavaSparkContext jsc = new JavaSparkContext(spark.sparkContext());
    long seconds = args.length > 0 ? Long.parseLong(args[0]) : 600;
    jsc.parallelize(Arrays.asList(1), 1).foreach(i -> Thread.sleep(seconds * 1000));
    System.out.println("Slept " + seconds + " seconds");
    spark.stop();
  }
}
