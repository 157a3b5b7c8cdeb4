// A stand-in for the one Hive LLAP type the Spark Thrift server needs to load Hive's function
// registry. pyspark 4.x ships hive-exec 2.3 without hive-llap-common, and FunctionRegistry's
// static initialiser registers the LLAP `get_splits` function, whose class refers to
// LlapSigner.Signable: without the type the initialiser fails with NoClassDefFoundError. Hive
// runs that initialiser when a Thrift session is closed on a thread whose Hive client it has to
// make afresh, so without this stand-in some `dbt` connections fail as they close (Apache Spark
// hit the same in its own tests: SPARK-51041). Nothing here is called: LLAP is never used.
// scripts/spark_cluster.sh compiles it and puts it on the Thrift server's class path.
package org.apache.hadoop.hive.llap.security;

public interface LlapSigner {
    interface Signable {
        void setSignInfo(int masterKeyId);

        byte[] serialize() throws java.io.IOException;
    }
}
