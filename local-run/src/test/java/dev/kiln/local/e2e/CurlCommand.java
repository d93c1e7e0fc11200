package dev.kiln.local.e2e;

import java.net.URI;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A {@code curl -H … -d …} command line as a shell would read it (continuation lines, single and double
 * quotes, {@code $NAME} expanded from the given environment), turned into the HTTP request curl would send.
 * Enough for the snippets the playground writes; anything else is refused rather than guessed.
 */
final class CurlCommand {

    private CurlCommand() {
    }

    static HttpRequest.Builder toRequest(String commandLine, Map<String, String> env) {
        List<String> words = words(commandLine.replace("\\\n", " "), env);
        if (words.isEmpty() || !words.get(0).equals("curl")) {
            throw new IllegalArgumentException("not a curl command: " + commandLine);
        }
        URI url = null;
        String body = null;
        HttpRequest.Builder request = HttpRequest.newBuilder();
        for (int i = 1; i < words.size(); i++) {
            String word = words.get(i);
            switch (word) {
                case "-sS", "-s", "-S" -> {
                }
                case "-H" -> {
                    String header = words.get(++i);
                    int colon = header.indexOf(':');
                    request.header(header.substring(0, colon).trim(), header.substring(colon + 1).trim());
                }
                case "-d", "--data", "--data-raw" -> body = words.get(++i);
                default -> {
                    if (word.startsWith("-") || url != null) {
                        throw new IllegalArgumentException("unexpected curl argument '" + word + "'");
                    }
                    url = URI.create(word);
                }
            }
        }
        if (url == null) {
            throw new IllegalArgumentException("no URL in: " + commandLine);
        }
        request.uri(url);
        return body == null ? request.GET() : request.POST(HttpRequest.BodyPublishers.ofString(body));
    }

    /** POSIX word splitting for the quoting the snippets use. */
    static List<String> words(String line, Map<String, String> env) {
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        int i = 0;
        while (i < line.length()) {
            char c = line.charAt(i);
            if (Character.isWhitespace(c)) {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
                i++;
                continue;
            }
            if (word == null) {
                word = new StringBuilder();
            }
            if (c == '\'') {
                int end = line.indexOf('\'', i + 1);
                word.append(line, i + 1, end);
                i = end + 1;
            } else if (c == '"') {
                int end = line.indexOf('"', i + 1);
                word.append(expand(line.substring(i + 1, end), env));
                i = end + 1;
            } else if (c == '\\') {
                word.append(line.charAt(i + 1));
                i += 2;
            } else if (c == '$') {
                int end = i + 1;
                while (end < line.length() && (Character.isLetterOrDigit(line.charAt(end)) || line.charAt(end) == '_')) {
                    end++;
                }
                word.append(variable(line.substring(i + 1, end), env));
                i = end;
            } else {
                word.append(c);
                i++;
            }
        }
        if (word != null) {
            words.add(word.toString());
        }
        return words;
    }

    private static String expand(String quoted, Map<String, String> env) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < quoted.length()) {
            char c = quoted.charAt(i);
            if (c == '$') {
                int end = i + 1;
                while (end < quoted.length() && (Character.isLetterOrDigit(quoted.charAt(end)) || quoted.charAt(end) == '_')) {
                    end++;
                }
                out.append(variable(quoted.substring(i + 1, end), env));
                i = end;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    private static String variable(String name, Map<String, String> env) {
        String value = env.get(name);
        if (value == null) {
            throw new IllegalArgumentException("$" + name + " is not set");
        }
        return value;
    }
}
