package io.sparkd.examples;

/** Exits with the given status (default 3) without starting Spark: an application error. */
public final class Fail {
  public static void main(String[] args) {
    int status = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    System.err.println("Fail: exiting with status " + status + " as asked");
    System.exit(status);
  }
}
