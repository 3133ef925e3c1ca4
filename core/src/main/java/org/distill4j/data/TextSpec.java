package org.distill4j.data;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * How a {@code text} source turns texts into samples: the {@code data.text} block.
 *
 * <pre>{@code
 * data:
 *   source: text
 *   train: spam.jsonl            # a folder of class sub-folders, a .csv, a .json array or a .jsonl file
 *   label: label                 # CSV/JSON: the label field (default: label)
 *   text: {tokenizer: all-minilm-l6-v2-tokenizer.json, maxLength: 128, field: text}
 * }</pre>
 *
 * @param tokenizer a Hugging Face {@code tokenizer.json} (relative to the config file's directory);
 *     required. The teacher's own tokenizer, so teacher and students read the same token ids
 * @param maxLength tokens per sample, special tokens ({@code [CLS]}, {@code [SEP]}) included: longer
 *     texts are truncated, shorter ones padded with id 0 ({@code [PAD]}); in [2, 512], default 128
 * @param field CSV/JSON: the text field (default: text); a folder's files are read whole
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TextSpec(String tokenizer, Integer maxLength, String field) {

    /** Default tokens per sample. */
    public static final int DEFAULT_MAX_LENGTH = 128;

    /** BERT-family position embeddings stop at 512. */
    public static final int MAX_LENGTH = 512;

    public TextSpec {
        if (tokenizer == null || tokenizer.isBlank()) {
            throw new IllegalArgumentException("text.tokenizer: required (a tokenizer.json file)");
        }
        maxLength = maxLength == null ? DEFAULT_MAX_LENGTH : maxLength;
        if (maxLength < 2 || maxLength > MAX_LENGTH) {
            throw new IllegalArgumentException("text.maxLength: must be in [2, " + MAX_LENGTH + "] (got " + maxLength + ")");
        }
        field = field == null ? "text" : field;
        if (field.isBlank()) {
            throw new IllegalArgumentException("text.field: must not be blank");
        }
    }

    /** @return a copy whose tokenizer path is absolute against {@code dir} */
    public TextSpec resolvedAgainst(java.nio.file.Path dir) {
        java.nio.file.Path p = java.nio.file.Path.of(tokenizer);
        return p.isAbsolute() ? this
                : new TextSpec(dir.resolve(p).toAbsolutePath().normalize().toString(), maxLength, field);
    }
}
