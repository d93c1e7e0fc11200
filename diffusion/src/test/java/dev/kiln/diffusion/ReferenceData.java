package dev.kiln.diffusion;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The reference data computed by diffusers and OpenAI's CLIP tokenizer, kept in this module's test
 * resources ({@code reference/}). It is part of the repository, so a missing folder is a broken
 * checkout: tests fail rather than skip.
 */
public final class ReferenceData {

    /** Set by the parent POM for every module's tests; the fallback serves runs from this module's folder. */
    private static final String PROPERTY = "kiln.reference.dir";

    private ReferenceData() {
    }

    /** A folder of the reference data, e.g. {@code "clip"} or {@code "sd-tiny/cases/a_img2img_pndm"}. */
    public static Path dir(String sub) {
        Path dir = root().resolve(sub);
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("reference data folder " + dir.toAbsolutePath()
                    + " is missing: it is part of the repository (diffusion/src/test/resources/reference)");
        }
        return dir;
    }

    /** The tiny SD-1.5-shaped model exported by diffusers (random weights): a real model directory layout. */
    public static Path sdTinyModel() {
        return dir("sd-tiny/model");
    }

    private static Path root() {
        String configured = System.getProperty(PROPERTY);
        return configured != null ? Path.of(configured) : Path.of("src", "test", "resources", "reference");
    }
}
