package dev.kiln.api;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.kiln.devstack.quarkus.DevStackTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;

/** The playground is served by the API itself, as static files, under a policy that keeps it same-origin. */
@QuarkusTest
@QuarkusTestResource(DevStackTestResource.class)
class PlaygroundPageTest {
    /** The hooks the browser tests (and anyone scripting the page) rely on. */
    private static final List<String> TEST_IDS = List.of("api-key", "model", "prompt", "negative-prompt",
            "image-input", "strength", "size", "n", "steps", "guidance", "scheduler", "seed", "generate", "cancel",
            "progress", "result-image", "balance", "usage", "error");

    @Test
    void playgroundPathRedirectsToTheDirectorySoRelativeModulesResolve() {
        given().redirects().follow(false).get("/playground").then().statusCode(301)
                .header("Location", endsWith("/playground/"));
    }

    @Test
    void pageIsServedWithASameOriginContentSecurityPolicy() {
        given().get("/playground/").then().statusCode(200).contentType(containsString("text/html"))
                .header("Content-Security-Policy", containsString("connect-src 'self'"))
                .header("Content-Security-Policy", containsString("script-src 'self'"))
                .header("Referrer-Policy", "no-referrer");
    }

    @Test
    void pageAndItsModulesCarryEveryTestHook() {
        StringBuilder served = new StringBuilder(get("/playground/").asString());
        for (String module : List.of("main.js", "gallery.js", "api.js", "jobs.js", "snippets.js", "sse.js", "dom.js")) {
            Response js = get("/playground/js/" + module);
            assertThat(js.contentType()).as(module).contains("javascript");
            served.append(js.asString());
        }
        String text = served.toString();
        for (String id : TEST_IDS) {
            boolean inHtml = text.contains("data-testid=\"" + id + "\"");
            boolean builtByScript = text.contains("'data-testid': '" + id + "'");
            assertThat(inHtml || builtByScript).as("data-testid " + id).isTrue();
        }
    }

    @Test
    void pageLoadsNothingFromOtherOrigins() {
        assertThat(get("/playground/").asString()).doesNotContain("http://", "https://", "//cdn");
        assertThat(get("/playground/playground.css").asString()).doesNotContain("url(", "@import");
    }

    private static Response get(String path) {
        Response r = given().get(path);
        assertThat(r.statusCode()).as(path).isEqualTo(200);
        return r;
    }
}
