package dev.kiln.devstack;

/**
 * How to reach the stack's S3 server: path-style addressing, SigV4, region {@link #REGION}.
 *
 * @param endpoint e.g. {@code http://127.0.0.1:41234}
 * @param accessKey access key id
 * @param secretKey secret access key
 * @param bucket bucket that exists once the stack has started
 */
public record S3Settings(String endpoint, String accessKey, String secretKey, String bucket) {

    /** Any region is accepted by s3proxy and MinIO; signing needs one. */
    public static final String REGION = "us-east-1";
}
