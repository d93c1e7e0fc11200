package dev.kiln.api.storage;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import dev.kiln.api.ApiConfig;
import dev.kiln.common.storage.NoDelaySocketFactory;
import io.minio.GetObjectArgs;
import io.minio.GetPresignedObjectUrlArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.http.HttpUtils;
import io.minio.http.Method;
import io.quarkus.runtime.ShutdownEvent;

/**
 * S3 access through the MinIO SDK: input uploads, presigned GETs and reads for b64_json. Every
 * call has connect/read/write timeouts; blocking reads run on a small bounded pool. The bucket is
 * infrastructure (created by the chart or the dev stack), not something the API creates.
 */
@ApplicationScoped
public class ObjectStore {
    private final MinioClient client;
    private final String bucket;
    private final int presignExpirySeconds;
    private final ExecutorService io;

    public ObjectStore(ApiConfig config) {
        ApiConfig.S3 s3 = config.s3();
        this.client = MinioClient.builder()
                .endpoint(s3.endpoint())
                .credentials(s3.accessKey(), s3.secretKey())
                .region(s3.region())
                // Nagle off: see NoDelaySocketFactory (small PUTs otherwise wait ~40 ms for a delayed ACK).
                .httpClient(HttpUtils
                        .newDefaultHttpClient(s3.timeout().toMillis(), s3.timeout().toMillis(), s3.timeout().toMillis())
                        .newBuilder().socketFactory(new NoDelaySocketFactory()).build(), true)
                .build();
        client.setTimeout(s3.timeout().toMillis(), s3.timeout().toMillis(), s3.timeout().toMillis());
        this.bucket = s3.bucket();
        this.presignExpirySeconds = s3.presignExpirySeconds();
        this.io = new ThreadPoolExecutor(s3.ioThreads(), s3.ioThreads(), 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(s3.ioQueue()), r -> {
                    Thread t = new Thread(r, "kiln-s3-io");
                    t.setDaemon(true);
                    return t;
                });
    }

    void onStop(@Observes ShutdownEvent event) {
        io.shutdown();
    }

    /** Executor for blocking S3 work started from non-blocking code; rejects when its queue is full. */
    public ExecutorService io() {
        return io;
    }

    public void putPng(String key, byte[] png) throws Exception {
        try (InputStream in = new ByteArrayInputStream(png)) {
            client.putObject(PutObjectArgs.builder().bucket(bucket).object(key)
                    .stream(in, png.length, -1).contentType("image/png").build());
        }
    }

    public byte[] get(String key) throws Exception {
        try (InputStream in = client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
            return in.readAllBytes();
        }
    }

    /** A presigned GET URL; computed locally (the region is configured, so no network call). */
    public String presignedGet(String key) throws Exception {
        return client.getPresignedObjectUrl(GetPresignedObjectUrlArgs.builder()
                .method(Method.GET).bucket(bucket).object(key).expiry(presignExpirySeconds).build());
    }

    public String bucket() {
        return bucket;
    }
}
