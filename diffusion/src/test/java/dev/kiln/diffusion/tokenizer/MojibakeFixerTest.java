package dev.kiln.diffusion.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** ftfy's fix_encoding behaviours, one each, with examples from ftfy's documentation and tests. */
class MojibakeFixerTest {

    @Test
    void repairsUtf8ReadAsWindows1252() {
        assertThat(Ftfy.fixText("caf\u00c3\u00a9")).isEqualTo("caf\u00e9");
    }

    @Test
    void repairsACheckmarkWhoseMojibakeLooksAlmostPlausible() {
        assertThat(Ftfy.fixText("\u00e2\u0153\u201d No problems")).isEqualTo("\u2714 No problems");
    }

    @Test
    void repairsHungarianAcrossLatin1AndWindows1252Bytes() {
        // "árvíztűrő": í's second byte is a soft hyphen, ő's is byte 0x91, a Windows-1252 quote.
        assertThat(Ftfy.fixText("\u00c3\u00a1rv\u00c3\u00adzt\u00c5\u00b1r\u00c5\u2018"))
                .isEqualTo("\u00e1rv\u00edzt\u0171r\u0151");
    }

    @Test
    void repairsMojibakeLayeredTwice() {
        assertThat(Ftfy.fixText("Iggy Pop (n\u00c3\u0192\u00c2\u00a9 Jim Osterberg)"))
                .isEqualTo("Iggy Pop (n\u00e9 Jim Osterberg)");
    }

    @Test
    void restoresANoBreakSpaceThatBecameASpace() {
        // Thai "ภ" is E0 B8 A0; its last byte was turned into a plain space.
        assertThat(MojibakeFixer.fixEncoding("\u00e0\u00b8 \u00e0\u00b8\u00b2")).isEqualTo("\u0e20\u0e32");
    }

    @Test
    void readsALoneAGraveMojibakeAsTheWordA() {
        assertThat(MojibakeFixer.fixEncoding("voil\u00c3 le travail")).isEqualTo("voil\u00e0 le travail");
    }

    @Test
    void replacesSequencesThatLostBytesWithOneReplacementCharacter() {
        assertThat(MojibakeFixer.fixEncoding("\u00e2\u20ac\u0153lossy decoding\u00e2\u20ac\ufffd"))
                .isEqualTo("\u201clossy decoding\ufffd");
    }

    @Test
    void decodesMojibakeEmbeddedInCorrectText() {
        assertThat(MojibakeFixer.fixEncoding("III Divis\u00c3\u00a3o - S\u00c3\u00a9rie F > Classifica\u00e7\u00e3o"))
                .isEqualTo("III Divis\u00e3o - S\u00e9rie F > Classifica\u00e7\u00e3o");
    }

    @Test
    void decodesCesu8EncodedEmoji() {
        assertThat(MojibakeFixer.fixEncoding("Hi guys \u00ed\u00a0\u00bd\u00ed\u00b8\u008d")).isEqualTo("Hi guys \ud83d\ude0d");
    }

    @Test
    void readsC1ControlsAsTheWindows1252CharactersTheyWere() {
        assertThat(MojibakeFixer.fixEncoding("This text was never UTF-8 at all\u0085"))
                .isEqualTo("This text was never UTF-8 at all\u2026");
    }

    @Test
    void leavesALoneAWithTildeAlone() {
        assertThat(Ftfy.fixText("\u00c3")).isEqualTo("\u00c3");
    }

    @Test
    void leavesSpanishFrenchAndGermanSentencesAlone() {
        String spanish = "\u00bfD\u00f3nde est\u00e1 el ni\u00f1o? \u00a1Ma\u00f1ana ser\u00e1!";
        String french = "D\u00e9j\u00e0 vu : l'\u00e9l\u00e8ve a mang\u00e9 un g\u00e2teau \u00e0 la cr\u00e8me, o\u00f9 ?";
        String german = "Gr\u00f6\u00dfe und \u00dcberma\u00df: sch\u00f6ne Stra\u00dfen f\u00fcr M\u00fcller";

        assertThat(Ftfy.fixText(spanish)).isEqualTo(spanish);
        assertThat(Ftfy.fixText(french)).isEqualTo(french);
        assertThat(Ftfy.fixText(german)).isEqualTo(german);
    }

    @Test
    void leavesEmojiAlone() {
        String emoji = "a \ud83d\udc31 painting \ud83c\udfa8 with \u2764\ufe0f and \ud83d\udc4d\ud83c\udffd";

        assertThat(Ftfy.fixText(emoji)).isEqualTo(emoji);
    }

    @Test
    void findsNoBadnessInOrdinaryAccentedText() {
        assertThat(MojibakeFixer.badness("Cr\u00e8me br\u00fbl\u00e9e, se\u00f1or")).isZero();
        assertThat(MojibakeFixer.badness("caf\u00c3\u00a9 \u00e2\u20ac\u201d")).isEqualTo(2);
    }

    @Test
    void tokenizesMojibakeLikeTheRepairedPrompt() {
        ClipTokenizer tokenizer = ClipTokenizerReferenceTest.tokenizer();

        assertThat(tokenizer.bpeIds("a caf\u00c3\u00a9 in Par\u00c3\u00ads at night"))
                .containsExactly(tokenizer.bpeIds("a caf\u00e9 in Par\u00eds at night"));
    }
}
