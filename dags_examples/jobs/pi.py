"""Estimates pi by throwing darts: `spark-submit pi.py [partitions]`."""

import random
import sys
from operator import add

from pyspark.sql import SparkSession


def inside(_: int) -> int:
    x, y = random.random() * 2 - 1, random.random() * 2 - 1
    return 1 if x * x + y * y <= 1 else 0


def main() -> None:
    partitions = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    n = 100_000 * partitions
    spark = SparkSession.builder.appName("PythonPi").getOrCreate()
    count = spark.sparkContext.parallelize(range(n), partitions).map(inside).reduce(add)
    print(f"Pi is roughly {4.0 * count / n}")
    spark.stop()


if __name__ == "__main__":
    main()
