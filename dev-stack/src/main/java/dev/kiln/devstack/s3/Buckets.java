package dev.kiln.devstack.s3;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import dev.kiln.devstack.S3Settings;
import io.minio.BucketExistsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import okhttp3.OkHttpClient;

/** Creates the stack's bucket through the S3 API, retrying while the server finishes starting. */
public final class Buckets {

    private static final long TIMEOUT_MILLIS = 5_000;

    private Buckets() {
    }

    public static void ensureExists(S3Settings s3, Duration timeout) {
        OkHttpClient http = new OkHttpClient.Builder()
                .connectTimeout(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
                .readTimeout(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
                .writeTimeout(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
                .callTimeout(TIMEOUT_MILLIS * 2, TimeUnit.MILLISECONDS)
                .build();
        try {
            MinioClient client = MinioClient.builder()
                    .endpoint(s3.endpoint())
                    .credentials(s3.accessKey(), s3.secretKey())
                    .region(S3Settings.REGION)
                    .httpClient(http)
                    .build();
            long deadlineNanos = System.nanoTime() + timeout.toNanos();
            Exception last = null;
            while (System.nanoTime() - deadlineNanos < 0) {
                try {
                    if (!client.bucketExists(BucketExistsArgs.builder().bucket(s3.bucket()).build())) {
                        client.makeBucket(MakeBucketArgs.builder().bucket(s3.bucket()).build());
                    }
                    return;
                } catch (Exception e) {
                    last = e;
                    sleepBriefly();
                }
            }
            throw new IllegalStateException("cannot create bucket " + s3.bucket() + " at " + s3.endpoint()
                    + " within " + timeout.toSeconds() + " s: " + last, last);
        } finally {
            http.dispatcher().executorService().shutdown();
            http.connectionPool().evictAll();
        }
    }

    private static void sleepBriefly() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating the bucket", e);
        }
    }
}
