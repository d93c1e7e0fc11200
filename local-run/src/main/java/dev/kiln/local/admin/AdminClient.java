package dev.kiln.local.admin;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The API's admin endpoints ({@code /admin/v1}, docs/api.md) over HTTP, with a timeout on every call. */
public final class AdminClient {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(15);

    private final URI baseUri;
    private final String adminToken;
    private final HttpClient http;

    /** @param baseUri the root of the API's admin port, e.g. {@code http://127.0.0.1:8082/} */
    public AdminClient(URI baseUri, String adminToken) {
        this.baseUri = baseUri;
        this.adminToken = adminToken;
        this.http = HttpClient.newBuilder().connectTimeout(CALL_TIMEOUT).build();
    }

    /**
     * Creates a pay-as-you-go account with a key, topped up by {@code grossTopUpMicros} (the top-up fee is kept
     * by the API, so the balance is a little lower).
     */
    public LocalAccount createFundedAccount(String accountId, String tier, long grossTopUpMicros) {
        LocalAccount account = createUnfundedAccount(accountId, tier);
        long balance = post("admin/v1/accounts/" + accountId + "/top-ups",
                Map.of("amount_micros", grossTopUpMicros, "reference", "local-run"), 200)
                .get("balance_micros").asLong();
        return new LocalAccount(accountId, account.apiKey(), balance);
    }

    /** A pay-as-you-go account with a key and an empty wallet: every submission of it is refused with 402. */
    public LocalAccount createUnfundedAccount(String accountId, String tier) {
        Map<String, Object> account = new LinkedHashMap<>();
        account.put("id", accountId);
        account.put("plan", "payg");
        account.put("tier", tier);
        post("admin/v1/accounts", account, 201);
        String key = post("admin/v1/accounts/" + accountId + "/keys", Map.of(), 201).get("key").asText();
        return new LocalAccount(accountId, key, 0);
    }

    /** {@code {"id","plan","tier","balance_micros","reserved_micros"}}. */
    public JsonNode account(String accountId) {
        return get("admin/v1/accounts/" + accountId);
    }

    /**
     * The first page of the ledger at the largest page size (1000 entries: whole for the few hundred jobs
     * of a local run), plus {@code recomputed_balance_micros} / {@code recomputed_reserved_micros}.
     */
    public JsonNode ledger(String accountId) {
        return get("admin/v1/accounts/" + accountId + "/ledger?limit=1000");
    }

    private JsonNode get(String path) {
        return send(request(path).GET().build(), 200);
    }

    private JsonNode post(String path, Map<String, ?> body, int expectedStatus) {
        try {
            return send(request(path).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build(), expectedStatus);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(baseUri.resolve(path)).timeout(CALL_TIMEOUT)
                .header("Authorization", "Bearer " + adminToken);
    }

    private JsonNode send(HttpRequest request, int expectedStatus) {
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != expectedStatus) {
                throw new IllegalStateException(request.method() + " " + request.uri() + " answered "
                        + response.statusCode() + ": " + response.body());
            }
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(request.method() + " " + request.uri() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
