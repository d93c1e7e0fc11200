package dev.kiln.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.kiln.api.support.Kiln;
import dev.kiln.devstack.quarkus.DevStackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

/** Hostile and broken input: refused with OpenAI-shaped 4xx, never a 5xx, never a charge or a job. */
@QuarkusTest
@QuarkusTestResource(DevStackTestResource.class)
class HostileInputTest {
    @TestHTTPResource("/v1/images/generations")
    URI generations;

    @TestHTTPResource("/v1/images/edits")
    URI edits;

    private Kiln.Account account;
    private Kiln.Snapshot before;

    @BeforeEach
    void fundedAccount() {
        account = Kiln.account("payg", "free", 100_000);
        before = account.snapshot();
    }

    private void assertNothingChanged() {
        assertThat(account.snapshot()).isEqualTo(before);
    }

    @Test
    void largeBodyWithABadKeyIsRefused401BeforeItsImageIsDecoded() {
        byte[] garbage = new byte[200_000];
        new Random(1).nextBytes(garbage);
        given().header("Authorization", "Bearer kiln_sk_" + account.id() + "_wrong").contentType(ContentType.JSON)
                .body(Map.of("prompt", "p", "image", Base64.getEncoder().encodeToString(garbage)))
                .post("/v1/images/generations").then().statusCode(401).body("error.type", equalTo("authentication_error"));
        given().header("Authorization", "Bearer kiln_sk_" + account.id() + "_wrong")
                .multiPart("prompt", "p").multiPart("image", "x.png", garbage, "image/png")
                .post("/v1/images/edits").then().statusCode(401);
        assertNothingChanged();
    }

    @Test
    void pngWhoseHeaderClaimsFiftyThousandPixelsASideIsRefusedUndecoded() {
        given().header("Authorization", account.bearer()).multiPart("prompt", "p")
                .multiPart("image", "bomb.png", pngHeaderOnly(50_000, 50_000), "image/png")
                .post("/v1/images/edits").then().statusCode(400).body("error.param", equalTo("image"))
                .body("error.code", equalTo("image_too_large"));
        assertNothingChanged();
    }

    @Test
    void tiffAndWbmpAreRefusedThoughImageIoReadsThem() throws IOException {
        for (String format : List.of("tiff", "wbmp")) {
            BufferedImage image = new BufferedImage(32, 32, BufferedImage.TYPE_BYTE_BINARY);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertThat(ImageIO.write(image, format, out)).as(format + " writer").isTrue();
            given().header("Authorization", account.bearer()).multiPart("prompt", "p")
                    .multiPart("image", "in." + format, out.toByteArray(), "application/octet-stream")
                    .post("/v1/images/edits").then().statusCode(400).body("error.param", equalTo("image"))
                    .body("error.code", equalTo("invalid_image"));
        }
        assertNothingChanged();
    }

    @Test
    void bodyOverTheLimitIsA413InOpenAisShape() throws Exception {
        byte[] body = new byte[13 * 1024 * 1024];
        Arrays.fill(body, (byte) 'a');
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(generations)
                .header("Authorization", account.bearer()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(r.body()).contains("\"type\":\"invalid_request_error\"", "\"code\":\"request_too_large\"");
        assertThat(r.headers().firstValue("x-request-id")).isPresent();
        assertNothingChanged();
    }

    @Test
    void chunkedBodyOverTheLimitIsA413() throws Exception {
        byte[] chunk = new byte[1024 * 1024];
        Arrays.fill(chunk, (byte) 'a');
        List<byte[]> chunks = new ArrayList<>();
        for (int i = 0; i < 13; i++) {
            chunks.add(chunk);
        }
        // Of unknown length, so sent chunked without Content-Length: the limit can only be found while reading.
        HttpResponse<String> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                .send(HttpRequest.newBuilder(generations).header("Authorization", account.bearer())
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArrays(chunks)).build(),
                        HttpResponse.BodyHandlers.ofString());
        // Quarkus stops reading and answers the bare status itself (docs/api.md: limits).
        assertThat(r.statusCode()).isEqualTo(413);
        assertNothingChanged();
    }

    @Test
    void malformedMultipartBodiesAre400NotA500() throws IOException {
        String head = "--b1\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nwinter\r\n"
                + "--b1\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n"
                + "Content-Type: image/png\r\n\r\n";
        byte[] png = Kiln.png(16, 16);
        // Truncated: the image part never ends, no closing boundary.
        assertThat(rawPost(edits, "multipart/form-data; boundary=b1", concat(head.getBytes(StandardCharsets.UTF_8),
                Arrays.copyOf(png, png.length / 2)))).startsWith("HTTP/1.1 400");
        // A boundary that the body never uses.
        assertThat(rawPost(edits, "multipart/form-data; boundary=zzz", head.getBytes(StandardCharsets.UTF_8)))
                .startsWith("HTTP/1.1 400");
        // No boundary at all.
        assertThat(rawPost(edits, "multipart/form-data", head.getBytes(StandardCharsets.UTF_8)))
                .startsWith("HTTP/1.1 400");
        assertNothingChanged();
    }

    @Test
    void wrongContentTypeIs400() {
        given().header("Authorization", account.bearer()).contentType("text/csv").body("a,b")
                .post("/v1/images/edits").then().statusCode(400).body("error.type", equalTo("invalid_request_error"))
                .header("x-request-id", notNullValue());
        assertNothingChanged();
    }

    /**
     * Seeded so a failure can be replayed: 300 broken requests over both endpoints, not one 5xx, every
     * refusal in OpenAI's error shape. (A mutation may leave a request valid: those are admitted.)
     */
    @Test
    void fuzzedBadBodiesNeverAnswer5xx() throws IOException {
        Random random = new Random(20261204L);
        List<String> fiveHundreds = new ArrayList<>();
        List<String> shapeless = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            byte[] body = mutate(random, validBody(random));
            boolean multipart = random.nextInt(3) == 0;
            URI target = multipart || random.nextBoolean() ? edits : generations;
            String type = switch (random.nextInt(5)) {
                case 0 -> "multipart/form-data; boundary=b1";
                case 1 -> "multipart/form-data; boundary=" + random.nextInt();
                case 2 -> "text/plain";
                default -> "application/json";
            };
            String answer = rawPost(target, type, body);
            if (answer.startsWith("HTTP/1.1 5") || !answer.startsWith("HTTP/1.1 ")) {
                fiveHundreds.add(i + ": " + answer.lines().findFirst().orElse("(no answer)"));
            } else if (answer.startsWith("HTTP/1.1 4") && !answer.contains("{\"error\":{\"message\":")) {
                shapeless.add(i + ": " + answer);
            }
        }
        assertThat(fiveHundreds).isEmpty();
        assertThat(shapeless).isEmpty();
    }

    private byte[] validBody(Random random) {
        if (random.nextBoolean()) {
            return ("{\"prompt\":\"a cat\",\"n\":1,\"size\":\"64x64\",\"image\":\""
                    + Base64.getEncoder().encodeToString(Kiln.png(8, 8)) + "\"}").getBytes(StandardCharsets.UTF_8);
        }
        return concat(("--b1\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nwinter\r\n"
                + "--b1\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n"
                + "Content-Type: image/png\r\n\r\n").getBytes(StandardCharsets.UTF_8), Kiln.png(8, 8),
                "\r\n--b1--\r\n".getBytes(StandardCharsets.UTF_8));
    }

    /** Truncates, flips bytes, or splices in random bytes. */
    private static byte[] mutate(Random random, byte[] body) {
        byte[] b = body.clone();
        switch (random.nextInt(4)) {
            case 0 -> b = Arrays.copyOf(b, random.nextInt(b.length));
            case 1 -> {
                for (int k = 0; k < 1 + random.nextInt(20); k++) {
                    b[random.nextInt(b.length)] = (byte) random.nextInt(256);
                }
            }
            case 2 -> {
                byte[] noise = new byte[random.nextInt(200)];
                random.nextBytes(noise);
                int at = random.nextInt(b.length);
                b = concat(Arrays.copyOf(b, at), noise, Arrays.copyOfRange(b, at, b.length));
            }
            default -> {
                byte[] noise = new byte[random.nextInt(300)];
                random.nextBytes(noise);
                b = noise;
            }
        }
        return b;
    }

    /** A POST over a raw socket, so that broken bodies reach the server exactly as written; the status line and body. */
    private String rawPost(URI target, String contentType, byte[] body) throws IOException {
        try (Socket socket = new Socket(target.getHost(), target.getPort())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + target.getPath() + " HTTP/1.1\r\nHost: " + target.getHost() + "\r\n"
                    + "Authorization: " + account.bearer() + "\r\nPrefer: respond-async\r\n"
                    + "Content-Type: " + contentType + "\r\nContent-Length: " + body.length + "\r\n"
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** The PNG signature and an IHDR chunk declaring {@code width} x {@code height}, then nothing. */
    private static byte[] pngHeaderOnly(int width, int height) {
        ByteBuffer ihdr = ByteBuffer.allocate(17);
        ihdr.put("IHDR".getBytes(StandardCharsets.US_ASCII)).putInt(width).putInt(height)
                .put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
        CRC32 crc = new CRC32();
        crc.update(ihdr.array());
        ByteBuffer png = ByteBuffer.allocate(8 + 4 + 17 + 4);
        png.put(new byte[] { (byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' }).putInt(13).put(ihdr.array())
                .putInt((int) crc.getValue());
        return png.array();
    }
}
