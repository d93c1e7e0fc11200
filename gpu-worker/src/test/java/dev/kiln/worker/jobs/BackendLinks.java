package dev.kiln.worker.jobs;

/** The worker's links to Redis and S3 that {@link LinkedDevStackTestResource} puts in between. */
record BackendLinks(TcpLink redis, TcpLink s3) {
}
