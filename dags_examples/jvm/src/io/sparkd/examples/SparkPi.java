package io.sparkd.examples;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/** Estimates pi by throwing darts, like Spark's own SparkPi example. Args: [slices]. */
public final class SparkPi {
  public static void main(String[] args) {
    SparkSession spark = SparkSession.builder().appName("SparkPi").getOrCreate();
    JavaSparkContext jsc = new JavaSparkContext(spark.sparkContext());
    int slices = args.length > 0 ? Integer.parseInt(args[0]) : 2;
    int n = 100000 * slices;
    List<Integer> seeds = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      seeds.add(i);
    }
    JavaRDD<Integer> dataSet = jsc.parallelize(seeds, slices);
    int count = dataSet.map(i -> {
      double x = Math.random() * 2 - 1;
      double y = Math.random() * 2 - 1;
      return (x * x + y * y <= 1) ? 1 : 0;
    }).reduce(Integer::sum);
    System.out.println("Pi is roughly " + 4.0 * count / n);
    spark.stop();
  }
}
