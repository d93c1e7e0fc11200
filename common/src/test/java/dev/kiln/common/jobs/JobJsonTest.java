package dev.kiln.common.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class JobJsonTest {
    private static JobSpec img2img() {
        return new JobSpec(JobSpec.SCHEMA_VERSION, "img_1", "acct", JobSpec.MODE_IMG2IMG, "sd-1.5",
                "a cat", null, 2, 512, 512, 30, 7.5, 0.75, 42L, "pndm", "inputs/img_1.png",
                1000L, 2000L);
    }

    @Test
    void specRoundTripsThroughJson() {
        assertThat(JobJson.specFromJson(JobJson.toJson(img2img()))).isEqualTo(img2img());
    }

    @Test
    void specJsonUsesSnakeCaseAndTheVersionFieldV() {
        String json = JobJson.toJson(img2img());
        assertThat(json).contains("\"v\":1", "\"job_id\":\"img_1\"", "\"input_key\":\"inputs/img_1.png\"")
                .doesNotContain("negative_prompt");
    }

    @Test
    void readerIgnoresFieldsAddedByNewerProducers() {
        String json = JobJson.toJson(img2img()).replace("{", "{\"future_field\":true,");
        assertThat(JobJson.specFromJson(json).jobId()).isEqualTo("img_1");
    }

    @Test
    void rejectsAnUnknownSchemaVersion() {
        String json = JobJson.toJson(img2img()).replace("\"v\":1", "\"v\":2");
        assertThatThrownBy(() -> JobJson.specFromJson(json)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aSpecWithoutOutputFieldsMeansNoPreviewsAndPng() {
        JobSpec spec = JobJson.specFromJson(JobJson.toJson(img2img()));
        assertThat(JobJson.toJson(img2img())).doesNotContain("partial_images", "output_format", "output_compression");
        assertThat(spec.partialImageCount()).isZero();
        assertThat(spec.outputFormatOrPng()).isEqualTo(OutputFormat.PNG);
        assertThat(spec.compressionQuality()).isEqualTo(100);
    }

    @Test
    void outputFieldsRoundTripUnderOpenAisNames() {
        JobSpec spec = img2img().withPartialImages(2).withOutput(OutputFormat.JPEG, 60);
        String json = JobJson.toJson(spec);
        assertThat(json).contains("\"partial_images\":2", "\"output_format\":\"jpeg\"", "\"output_compression\":60");
        JobSpec read = JobJson.specFromJson(json);
        assertThat(read).isEqualTo(spec);
        assertThat(read.outputFormatOrPng()).isEqualTo(OutputFormat.JPEG);
        assertThat(read.compressionQuality()).isEqualTo(60);
    }

    @Test
    void rejectsMorePartialImagesThanOpenAiAllows() {
        assertThatThrownBy(() -> img2img().withPartialImages(4)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("partial_images");
    }

    @Test
    void rejectsAnUnknownOutputFormatInTheJson() {
        String json = JobJson.toJson(img2img()).replace("{", "{\"output_format\":\"gif\",");
        assertThatThrownBy(() -> JobJson.specFromJson(json)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("gif");
    }

    @Test
    void rejectsACompressionOutsideZeroToHundred() {
        assertThatThrownBy(() -> img2img().withOutput(OutputFormat.WEBP, 101))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("output_compression");
    }

    @Test
    void img2imgWithoutInputIsRejected() {
        assertThatThrownBy(() -> new JobSpec(1, "j", "a", JobSpec.MODE_IMG2IMG, "m", "p", null, 1, 8, 8, 1, 1.0,
                null, 0L, "pndm", null, 0L, 0L)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void jobRecordDecodesTheRedisHash() {
        JobRecord r = JobRecord.fromHash("img_1", Map.of("status", "succeeded", "account", "acct",
                "n", "2", "reserved_micros", "200", "charged_micros", "100", "refunded_micros", "100",
                "settled", "1", "result", "[\"outputs/img_1/0.png\"]", "error_code", ""));
        assertThat(r.status()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(r.settled()).isTrue();
        assertThat(r.resultKeys()).isEqualTo(List.of("outputs/img_1/0.png"));
        assertThat(r.errorCode()).isNull();
        assertThat(JobRecord.fromHash("x", Map.of())).isNull();
    }

    @Test
    void statusWireNamesAreLowerCase() {
        assertThat(JobStatus.CANCELED.wire()).isEqualTo("canceled");
        assertThat(JobStatus.fromWire("expired")).isEqualTo(JobStatus.EXPIRED);
        assertThat(JobStatus.RUNNING.isTerminal()).isFalse();
    }
}
