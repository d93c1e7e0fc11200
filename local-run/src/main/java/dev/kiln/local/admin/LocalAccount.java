package dev.kiln.local.admin;

/**
 * An account made for a local run or a test.
 *
 * @param id account id
 * @param apiKey the secret API key ({@code kiln_sk_<id>_...}), shown once by the admin API
 * @param balanceMicros balance right after the top-up, in micro-dollars
 */
public record LocalAccount(String id, String apiKey, long balanceMicros) {

    public String bearer() {
        return "Bearer " + apiKey;
    }
}
