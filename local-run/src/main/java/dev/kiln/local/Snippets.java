package dev.kiln.local;

import java.net.URI;
import java.nio.file.Path;

/** The copy-paste examples {@link RunKiln} prints, for curl, the Python OpenAI SDK and openai-java. */
final class Snippets {

    private Snippets() {
    }

    /**
     * @param baseUrl {@code http://127.0.0.1:8080/v1}
     * @param apiKey the local key
     * @param size {@code WxH} that suits the model (small for the tiny model)
     * @param steps denoising steps
     * @param inputPng a small PNG on disk for img2img
     * @param inputBase64 the same image, base64, for the JSON {@code image} extension
     */
    static String render(URI baseUrl, String apiKey, String size, int steps, Path inputPng, String inputBase64) {
        String url = baseUrl.toString();
        return """
                # Text to image (waits for the result; add -H 'Prefer: respond-async' for a 202 + job to poll):
                curl -sS %1$s/images/generations \\
                  -H 'Authorization: Bearer %2$s' -H 'Content-Type: application/json' \\
                  -d '{"model":"runwayml/stable-diffusion-v1-5-img2img","prompt":"a lighthouse at dusk, oil painting","size":"%3$s","steps":%4$d,"seed":42}'

                # Image to image, multipart (what client.images.edit sends):
                curl -sS %1$s/images/edits -H 'Authorization: Bearer %2$s' \\
                  -F image=@%5$s -F prompt='the same scene in winter' -F size=%3$s -F strength=0.6 -F steps=%4$d

                # Image to image, JSON with the base64 `image` extension:
                curl -sS %1$s/images/generations \\
                  -H 'Authorization: Bearer %2$s' -H 'Content-Type: application/json' \\
                  -d '{"prompt":"the same scene in winter","image":"%6$s","strength":0.6,"size":"%3$s","steps":%4$d,"response_format":"b64_json"}'

                # Poll or cancel an async job:
                curl -sS %1$s/images/jobs/<id> -H 'Authorization: Bearer %2$s'
                curl -sS -X DELETE %1$s/images/jobs/<id> -H 'Authorization: Bearer %2$s'

                # Python (pip install openai):
                from openai import OpenAI
                client = OpenAI(base_url="%1$s", api_key="%2$s")
                r = client.images.generate(model="runwayml/stable-diffusion-v1-5-img2img", prompt="a lighthouse at dusk", size="%3$s",
                                           extra_body={"steps": %4$d, "seed": 42})
                print(r.data[0].url)
                r = client.images.edit(model="runwayml/stable-diffusion-v1-5-img2img", image=open("%5$s", "rb"), prompt="the same scene in winter",
                                       size="%3$s", extra_body={"strength": 0.6, "steps": %4$d})
                print(r.data[0].url)

                // Java (com.openai:openai-java):
                OpenAIClient client = OpenAIOkHttpClient.builder()
                        .baseUrl("%1$s").apiKey("%2$s").build();
                ImagesResponse r = client.images().generate(ImageGenerateParams.builder()
                        .model("runwayml/stable-diffusion-v1-5-img2img").prompt("a lighthouse at dusk")
                        .size(ImageGenerateParams.Size.of("%3$s"))
                        .putAdditionalBodyProperty("steps", JsonValue.from(%4$d))
                        .build());
                System.out.println(r.data().orElseThrow().get(0).url().orElseThrow());
                """
                .formatted(url, apiKey, size, steps, inputPng.toAbsolutePath(), inputBase64);
    }
}
