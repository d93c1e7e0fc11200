package dev.kiln.worker.storage;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;

import dev.kiln.common.storage.NoDelaySocketFactory;
import dev.kiln.worker.config.WorkerConfig;
import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.errors.ErrorResponseException;
import io.minio.http.HttpUtils;

/**
 * The worker's S3 access (MinIO SDK): reads img2img inputs, writes output images. Every call has
 * connect/read/write timeouts. Failures are classified so callers know whether retrying can help.
 */
@ApplicationScoped
public class ObjectStore {
    private static final Set<String> MISSING_CODES = Set.of("NoSuchKey", "NoSuchObject", "NotFound");
    /** Inputs are PNGs the API already bounded; anything far larger is not an input. */
    private static final long MAX_INPUT_BYTES = 64L * 1024 * 1024;

    private final MinioClient client;
    private final String bucket;
    private volatile boolean bucketChecked;

    public ObjectStore(WorkerConfig config) {
        WorkerConfig.S3 s3 = config.s3();
        long t = s3.timeout().toMillis();
        this.client = MinioClient.builder()
                .endpoint(s3.endpoint())
                .credentials(s3.accessKey(), s3.secretKey())
                .region(s3.region())
                .httpClient(HttpUtils.newDefaultHttpClient(t, t, t).newBuilder()
                        .socketFactory(new NoDelaySocketFactory()).build(), true)
                .build();
        client.setTimeout(t, t, t);
        this.bucket = s3.bucket();
    }

    public String bucket() {
        return bucket;
    }

    /**
     * Reads an object.
     *
     * @throws MissingObjectException when the object does not exist (retrying cannot help)
     * @throws StorageUnavailableException for any other failure (network, server error)
     */
    public byte[] get(String key) {
        try (InputStream in = client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
            byte[] bytes = in.readNBytes((int) MAX_INPUT_BYTES + 1);
            if (bytes.length > MAX_INPUT_BYTES) {
                throw new MissingObjectException("object " + key + " is larger than " + MAX_INPUT_BYTES + " bytes");
            }
            return bytes;
        } catch (ErrorResponseException e) {
            if (MISSING_CODES.contains(e.errorResponse().code())) {
                throw new MissingObjectException("object " + key + " not found in bucket " + bucket);
            }
            throw new StorageUnavailableException("S3 get " + key + " failed: " + e.getMessage(), e);
        } catch (MissingObjectException e) {
            throw e;
        } catch (Exception e) {
            throw new StorageUnavailableException("S3 get " + key + " failed: " + e, e);
        }
    }

    /** Writes an object of the given MIME type, overwriting (a redelivered job writes the same keys again). */
    public void put(String key, byte[] bytes, String contentType) {
        try {
            ensureBucket();
            try (InputStream in = new ByteArrayInputStream(bytes)) {
                client.putObject(PutObjectArgs.builder().bucket(bucket).object(key)
                        .stream(in, bytes.length, -1).contentType(contentType).build());
            }
        } catch (Exception e) {
            throw new StorageUnavailableException("S3 put " + key + " failed: " + e, e);
        }
    }

    private void ensureBucket() throws Exception {
        if (bucketChecked) {
            return;
        }
        // The API usually creates it; a worker started first on an empty store must not fail every job.
        if (!client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
            try {
                client.makeBucket(MakeBucketArgs.builder().bucket(bucket).build());
            } catch (ErrorResponseException e) {
                String code = e.errorResponse().code();
                if (!"BucketAlreadyOwnedByYou".equals(code) && !"BucketAlreadyExists".equals(code)) {
                    throw e;
                }
            }
        }
        bucketChecked = true;
    }

}
