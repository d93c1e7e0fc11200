package dev.kiln.worker.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.MemoryCacheImageInputStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.luciad.imageio.webp.WebPImageReaderSpi;

import dev.kiln.common.jobs.JobRecord;
import dev.kiln.common.jobs.JobSpec;
import dev.kiln.common.jobs.OutputFormat;
import dev.kiln.common.jobs.ProgressEvent;
import dev.kiln.common.redis.RedisKeys;
import dev.kiln.common.storage.S3Keys;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * What a running job tells the API through Redis (progress, previews) and the output formats a job asks for,
 * end to end on the dev stack with the tiny model.
 */
@QuarkusTest
@QuarkusTestResource(LinkedDevStackTestResource.class)
class ProgressAndFormatsTest {
    private static KilnFixture kiln;

    @BeforeAll
    static void connect() throws Exception {
        kiln = new KilnFixture();
    }

    @AfterAll
    static void disconnect() {
        if (kiln != null) {
            kiln.close();
        }
    }

    private static String run(JobSpec spec) throws Exception {
        kiln.submit(spec);
        CompletableFuture<String> done = kiln.whenDone(spec.jobId());
        kiln.publish(spec);
        return done.get(120, TimeUnit.SECONDS);
    }

    /** Runs the job while listening to its events channel; returns the messages in order of arrival. */
    private static List<ProgressEvent> runListening(JobSpec spec) throws Exception {
        List<ProgressEvent> events = new CopyOnWriteArrayList<>();
        kiln.subscribe(RedisKeys.jobEvents(spec.accountId(), spec.jobId()), m -> events.add(ProgressEvent.fromJson(m)));
        assertThat(run(spec)).isEqualTo("succeeded");
        return events;
    }

    @Test
    void publishesStepsOfARunningJobEndingWithTheLastStep() throws Exception {
        String account = kiln.newAccount();
        JobSpec spec = KilnFixture.txt2img(account, KilnFixture.newJobId(), 1, 3);

        List<ProgressEvent> events = runListening(spec);

        // Messages may trail the job-done announcement by a moment: they travel on their own thread.
        await().atMost(10, TimeUnit.SECONDS).until(() -> !events.isEmpty()
                && events.get(events.size() - 1).step() == events.get(0).steps());
        assertThat(events).allSatisfy(e -> assertThat(e.jobId()).isEqualTo(spec.jobId()));
        assertThat(events.get(0).step()).isEqualTo(1);
        assertThat(events).extracting(ProgressEvent::step).isSorted();
        assertThat(events).noneMatch(ProgressEvent::isPartialImage);
    }

    @Test
    void sendsTheAskedForPreviewsAsLatentSizedPngs() throws Exception {
        String account = kiln.newAccount();
        JobSpec spec = KilnFixture.txt2img(account, KilnFixture.newJobId(), 1, 4).withPartialImages(2);

        List<ProgressEvent> events = runListening(spec);

        await().atMost(10, TimeUnit.SECONDS).until(() -> events.stream().filter(ProgressEvent::isPartialImage).count() == 2);
        List<ProgressEvent> previews = events.stream().filter(ProgressEvent::isPartialImage).toList();
        assertThat(previews).extracting(ProgressEvent::partialImageIndex).containsExactly(0, 1);
        assertThat(previews.get(0).step()).isLessThan(previews.get(1).step());
        assertThat(previews.get(1).step()).isLessThan(previews.get(1).steps());
        BufferedImage png = ImageIO.read(new ByteArrayInputStream(previews.get(0).png()));
        assertThat(png.getWidth()).isEqualTo(spec.width() / 8);
        assertThat(png.getHeight()).isEqualTo(spec.height() / 8);
    }

    @Test
    void keepsTheLatestStepInAKeyThatExpires() throws Exception {
        String account = kiln.newAccount();
        JobSpec spec = KilnFixture.txt2img(account, KilnFixture.newJobId(), 1, 5);

        assertThat(run(spec)).isEqualTo("succeeded");

        String key = RedisKeys.jobProgress(account, spec.jobId());
        await().atMost(10, TimeUnit.SECONDS).until(() -> {
            String json = kiln.redis.get(key);
            return json != null && ProgressEvent.fromJson(json).step() == ProgressEvent.fromJson(json).steps();
        });
        assertThat(kiln.redis.pttl(key)).isPositive();
    }

    @Test
    void storesJpegOutputsUnderJpegKeysWithTheirContentType() throws Exception {
        String account = kiln.newAccount();
        JobSpec spec = KilnFixture.txt2img(account, KilnFixture.newJobId(), 2, 6).withOutput(OutputFormat.JPEG, 80);

        assertThat(run(spec)).isEqualTo("succeeded");

        JobRecord job = kiln.job(account, spec.jobId());
        assertThat(job.resultKeys()).containsExactlyElementsOf(S3Keys.outputs(spec.jobId(), 2, OutputFormat.JPEG));
        String key = job.resultKeys().get(0);
        assertThat(kiln.contentType(key)).isEqualTo("image/jpeg");
        BufferedImage jpeg = ImageIO.read(new ByteArrayInputStream(kiln.object(key)));
        assertThat(jpeg.getWidth()).isEqualTo(spec.width());
    }

    @Test
    void storesWebpOutputsThatDecode() throws Exception {
        String account = kiln.newAccount();
        JobSpec spec = KilnFixture.txt2img(account, KilnFixture.newJobId(), 1, 7).withOutput(OutputFormat.WEBP, null);

        assertThat(run(spec)).isEqualTo("succeeded");

        String key = kiln.job(account, spec.jobId()).resultKeys().get(0);
        assertThat(key).isEqualTo(S3Keys.output(spec.jobId(), 0, OutputFormat.WEBP));
        assertThat(kiln.contentType(key)).isEqualTo("image/webp");
        ImageReader reader = new WebPImageReaderSpi().createReaderInstance(null);
        try (MemoryCacheImageInputStream in = new MemoryCacheImageInputStream(
                new ByteArrayInputStream(kiln.object(key)))) {
            reader.setInput(in);
            assertThat(reader.read(0).getHeight()).isEqualTo(spec.height());
        } finally {
            reader.dispose();
        }
    }
}
