package io.sparkd.examples;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/** Runs tasks that keep allocating until the executor's heap is exhausted. */
public final class ExecutorOom {
  public static void main(String[] args) {
    SparkSession spark = SparkSession.builder().appName("ExecutorOom").getOrCreate();
    JavaSparkContext jsc = new JavaSparkContext(spark.sparkContext());
    long kept = jsc.parallelize(Arrays.asList(1, 2), 2).map(i -> {
      List<long[]> hoard = new ArrayList<>();
      while (true) {
        hoard.add(new long[16 * 1024 * 1024]);
      }
    }).count();
    System.out.println("unreachable: " + kept);
    spark.stop();
  }
}
