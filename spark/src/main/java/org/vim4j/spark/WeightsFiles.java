package org.vim4j.spark;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SparkEnv;

import org.vim4j.VimException;

import scala.Tuple2;

/**
 * Where a JVM reads a checkpoint from. vim4j memory-maps checkpoints, so they must be local files: a plain path or
 * {@code file:} URI is used in place (it must exist on every executor, e.g. a shared mount or a file shipped with
 * {@code spark-submit --files}); any other URI ({@code hdfs://}, {@code s3a://}, ...) is copied once per JVM and
 * file version through Hadoop's FileSystem into {@code java.io.tmpdir/vim4j-spark-weights/}.
 */
final class WeightsFiles {
    private static final Pattern SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*:.*");

    private WeightsFiles() {
    }

    static Path localPath(String weights) {
        if (!SCHEME.matcher(weights).matches()) {
            return Path.of(weights);
        }
        URI uri = new org.apache.hadoop.fs.Path(weights).toUri();
        if (uri.getScheme() == null || uri.getScheme().equals("file")) {
            return Path.of(uri.getPath());
        }
        return copyFromHadoop(weights);
    }

    /** Hadoop's configuration plus the {@code spark.hadoop.*} settings of this JVM's Spark, as Spark itself does. */
    static Configuration hadoopConf() {
        Configuration conf = new Configuration();
        SparkEnv env = SparkEnv.get();
        if (env != null) {
            for (Tuple2<String, String> kv : env.conf().getAll()) {
                if (kv._1().startsWith("spark.hadoop.")) {
                    conf.set(kv._1().substring("spark.hadoop.".length()), kv._2());
                }
            }
        }
        return conf;
    }

    private static synchronized Path copyFromHadoop(String weights) {
        org.apache.hadoop.fs.Path src = new org.apache.hadoop.fs.Path(weights);
        try {
            FileSystem fs = src.getFileSystem(hadoopConf());
            FileStatus st;
            try {
                st = fs.getFileStatus(src);
            } catch (FileNotFoundException e) {
                throw new VimException("checkpoint not found: " + weights);
            }
            if (!st.isFile()) {
                throw new VimException("checkpoint is not a file: " + weights);
            }
            Path dir = Path.of(System.getProperty("java.io.tmpdir"), "vim4j-spark-weights");
            Files.createDirectories(dir);
            Path dst = dir.resolve(key(weights + "|" + st.getLen() + "|" + st.getModificationTime()) + "-" + src.getName());
            if (Files.isRegularFile(dst) && Files.size(dst) == st.getLen()) {
                return dst;
            }
            Path tmp = Files.createTempFile(dir, "copy-", ".part");
            try (InputStream in = fs.open(src)) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.move(tmp, dst, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
            return dst;
        } catch (IOException e) {
            throw new VimException("cannot copy the checkpoint " + weights + " to a local file: " + e.getMessage(), e);
        }
    }

    private static String key(String s) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
