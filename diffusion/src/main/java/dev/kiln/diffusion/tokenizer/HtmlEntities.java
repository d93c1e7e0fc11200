package dev.kiln.diffusion.tokenizer;

import java.math.BigInteger;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Python's {@code html.unescape} and ftfy's {@code unescape_html}, driven by the tables in
 * {@code html-entities.tsv} (generated from CPython's {@code html} module).
 */
final class HtmlEntities {

    private static final Pattern PYTHON_CHARREF = Pattern.compile("&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\\t\\n\\f <&#;]{1,32};?)");
    private static final Pattern FTFY_ENTITY = Pattern.compile("&#?[0-9A-Za-z]{1,24};");
    private static final BigInteger MAX_CODE_POINT = BigInteger.valueOf(Character.MAX_CODE_POINT);

    private static final Map<String, String> HTML5 = new HashMap<>();
    private static final Map<String, String> FTFY = new HashMap<>();
    private static final Map<Integer, String> INVALID_CHARREFS = new HashMap<>();
    private static final Set<Integer> INVALID_CODEPOINTS = new HashSet<>();

    static {
        for (String[] f : TsvResource.rows("html-entities.tsv")) {
            switch (f[0]) {
                case "H" -> HTML5.put(f[1], decode(f[2]));
                case "U" -> FTFY.put(f[1], decode(f[2]));
                case "C" -> INVALID_CHARREFS.put(Integer.parseInt(f[1], 16), decode(f[2]));
                case "X" -> INVALID_CODEPOINTS.add(Integer.parseInt(f[1], 16));
                default -> throw new IllegalStateException("bad row in html-entities.tsv: " + String.join("\t", f));
            }
        }
        HTML5.forEach((name, value) -> {
            if (name.endsWith(";")) {
                FTFY.put("&" + name, value);
            }
        });
    }

    private HtmlEntities() {
    }

    private static String decode(String hexCodePoints) {
        StringBuilder sb = new StringBuilder();
        for (String cp : hexCodePoints.split(" ")) {
            if (!cp.isEmpty()) {
                sb.appendCodePoint(Integer.parseInt(cp, 16));
            }
        }
        return sb.toString();
    }

    /** Python's {@code html.unescape}. */
    static String pythonUnescape(String text) {
        if (text.indexOf('&') < 0) {
            return text;
        }
        Matcher m = PYTHON_CHARREF.matcher(text);
        StringBuilder out = new StringBuilder(text.length());
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(replaceCharref(m.group(1))));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static String replaceCharref(String s) {
        if (s.charAt(0) == '#') {
            boolean hex = s.length() > 1 && (s.charAt(1) == 'x' || s.charAt(1) == 'X');
            String digits = s.substring(hex ? 2 : 1);
            if (digits.endsWith(";")) {
                digits = digits.substring(0, digits.length() - 1);
            }
            BigInteger big = new BigInteger(digits, hex ? 16 : 10);
            if (big.compareTo(MAX_CODE_POINT) > 0) {
                return "\uFFFD";
            }
            int num = big.intValue();
            String invalid = INVALID_CHARREFS.get(num);
            if (invalid != null) {
                return invalid;
            }
            if (num >= 0xD800 && num <= 0xDFFF) {
                return "\uFFFD";
            }
            if (INVALID_CODEPOINTS.contains(num)) {
                return "";
            }
            return new String(Character.toChars(num));
        }
        String exact = HTML5.get(s);
        if (exact != null) {
            return exact;
        }
        // The longest known prefix wins, as the HTML5 spec (and Python) define for legacy names.
        int[] cps = s.codePoints().toArray();
        for (int x = cps.length - 1; x > 1; x--) {
            String prefix = new String(cps, 0, x);
            String value = HTML5.get(prefix);
            if (value != null) {
                return value + new String(cps, x, cps.length - x);
            }
        }
        return "&" + s;
    }

    /** ftfy's {@code unescape_html}: only {@code ;}-terminated references, plus all-caps names. */
    static String ftfyUnescape(String text) {
        if (text.indexOf('&') < 0) {
            return text;
        }
        Matcher m = FTFY_ENTITY.matcher(text);
        StringBuilder out = new StringBuilder(text.length());
        while (m.find()) {
            String entity = m.group();
            String replacement = FTFY.get(entity);
            if (replacement == null) {
                if (entity.startsWith("&#")) {
                    String decoded = pythonUnescape(entity);
                    replacement = decoded.contains(";") ? entity : decoded;
                } else {
                    replacement = entity;
                }
            }
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }
}
