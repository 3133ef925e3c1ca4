package org.distill4j.data;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A teacher's own tokenizer, read from its Hugging Face {@code tokenizer.json} with DJL's
 * {@code ai.djl.huggingface:tokenizers} (the Rust {@code tokenizers} library; its jar carries the
 * native library for Linux, macOS and Windows, so it runs offline). Every text becomes exactly
 * {@code maxLength} token ids: {@code [CLS] … [SEP]}, truncated or padded with {@code [PAD]} = 0
 * ({@link #open} checks that padding is id 0), and its attention mask, the tokenizer's own: 1 for
 * every real token ({@code [CLS]} and {@code [SEP]} included), 0 for padding. The mask is not
 * always {@code id != 0}: a text that holds the literal {@code [PAD]} gets id 0 with mask 1 there.
 */
public final class TextTokenizer implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;
    private final int maxLength;
    private final Path file;

    private TextTokenizer(HuggingFaceTokenizer tokenizer, int maxLength, Path file) {
        this.tokenizer = tokenizer;
        this.maxLength = maxLength;
        this.file = file;
    }

    /**
     * @param file a {@code tokenizer.json}
     * @param maxLength tokens per text
     * @throws DataSourceException naming the file when it is missing or not a tokenizer whose {@code [PAD]} is 0
     */
    public static TextTokenizer open(Path file, int maxLength) {
        if (!Files.isRegularFile(file)) {
            throw new DataSourceException("tokenizer " + file + " not found (or not a regular file)");
        }
        HuggingFaceTokenizer t;
        try {
            t = HuggingFaceTokenizer.builder().optTokenizerPath(file).optMaxLength(maxLength).optTruncation(true)
                    .optPadToMaxLength().optAddSpecialTokens(true).build();
        } catch (Exception | UnsatisfiedLinkError e) {
            throw new DataSourceException("tokenizer " + file + " cannot be read as a Hugging Face tokenizer.json: "
                    + DataSourceException.quote(String.valueOf(e.getMessage())), e);
        }
        TextTokenizer tok = new TextTokenizer(t, maxLength, file);
        long[] pad = t.encode("", true, false).getIds();
        if (pad.length != maxLength || pad[pad.length - 1] != 0) {
            tok.close();
            throw new DataSourceException("tokenizer " + file + " does not pad with id 0 to " + maxLength
                    + " tokens (its padding id is " + (pad.length == 0 ? "none" : pad[pad.length - 1])
                    + "); distill4j reads id 0 as padding");
        }
        return tok;
    }

    /** @return tokens per text */
    public int maxLength() {
        return maxLength;
    }

    /** @return the tokenizer file */
    public Path file() {
        return file;
    }

    /**
     * Texts as the tokenizer gives them, {@code maxLength} values a text, one text after another.
     *
     * @param ids token ids as floats (ids < 2^24 are exact)
     * @param attentionMask the tokenizer's attention mask as floats: 1 for a real token, 0 for padding
     */
    public record Tokens(float[] ids, float[] attentionMask) {}

    /** Token ids of {@code texts}, {@code maxLength} each, one text after another, as floats (ids < 2^24 are exact). */
    public float[] encode(List<String> texts) {
        return tokens(texts).ids();
    }

    /** Token ids and attention masks of {@code texts} ({@link Tokens}). */
    public Tokens tokens(List<String> texts) {
        float[] out = new float[Math.multiplyExact(texts.size(), maxLength)];
        float[] mask = new float[out.length];
        int batch = 256;
        for (int from = 0; from < texts.size(); from += batch) {
            List<String> part = texts.subList(from, Math.min(texts.size(), from + batch));
            Encoding[] enc = tokenizer.batchEncode(part);
            for (int i = 0; i < enc.length; i++) {
                long[] ids = enc[i].getIds();
                long[] attention = enc[i].getAttentionMask();
                int base = (from + i) * maxLength;
                for (int j = 0; j < maxLength && j < ids.length; j++) {
                    if (ids[j] >= 1 << 24) {
                        throw new DataSourceException("tokenizer " + file + " gives token id " + ids[j]
                                + ", more than float32 holds exactly (2^24)");
                    }
                    out[base + j] = ids[j];
                    mask[base + j] = attention[j] != 0 ? 1 : 0;
                }
            }
        }
        return new Tokens(out, mask);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
