package dev.kiln.common.ledger;

import java.util.Comparator;

/**
 * Redis stream ids ({@code <millis>-<sequence>}) compared as Redis orders them: by millis, then by
 * sequence, both unsigned 64-bit numbers (a string comparison would put {@code 9-0} after {@code 10-0}).
 */
public final class StreamIds {
    public static final Comparator<String> ORDER = StreamIds::compare;

    private StreamIds() {
    }

    public static int compare(String a, String b) {
        int millis = Long.compareUnsigned(millisOf(a), millisOf(b));
        return millis != 0 ? millis : Long.compareUnsigned(sequenceOf(a), sequenceOf(b));
    }

    /** The append time an id carries (Redis's clock when the entry was added). */
    public static long millisOf(String id) {
        int dash = dash(id);
        return Long.parseUnsignedLong(dash < 0 ? id : id.substring(0, dash));
    }

    public static long sequenceOf(String id) {
        int dash = dash(id);
        return dash < 0 ? 0 : Long.parseUnsignedLong(id.substring(dash + 1));
    }

    /** True for {@code <millis>-<sequence>} with both parts decimal. */
    public static boolean isValid(String id) {
        if (id == null) {
            return false;
        }
        try {
            int dash = dash(id);
            if (dash <= 0) {
                return false;
            }
            millisOf(id);
            sequenceOf(id);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static int dash(String id) {
        return id.indexOf('-');
    }
}
