package dev.kiln.devstack.containers;

/** The containers flavour was asked for on a machine where Testcontainers finds no Docker daemon. */
public final class DockerUnavailableException extends IllegalStateException {

    public DockerUnavailableException() {
        super("-Dkiln.stack=containers needs Docker, and Testcontainers found no Docker daemon here;"
                + " run without the switch to use the processes flavour");
    }
}
