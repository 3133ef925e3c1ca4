package org.distill4j.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.distill4j.data.SourceSpec;
import org.distill4j.data.TextSpec;

/**
 * Which data a run uses and which part of it.
 *
 * <p>{@code source} chooses where the samples come from: absent (or {@code fashion-mnist}) is
 * Fashion-MNIST from the {@code --data} directory, as always; {@code idx}, {@code csv} and
 * {@code images} read the user's own files through {@link org.distill4j.data.DataSources}, with
 * the fields of {@link SourceSpec} ({@code testSeed} here is its {@code seed}, so it is not
 * mistaken for the run's seed). Relative paths are resolved against the configuration file's
 * directory when the file is loaded ({@link #resolvedAgainst}). {@code validation},
 * {@code trainLimit} and {@code testLimit} apply to every source.
 *
 * <p>Source fields are null when absent and are then left out of the YAML and JSON, so a
 * Fashion-MNIST config serialises, and digests, exactly as before they existed.
 *
 * @param validation fraction of the training set held out for validation, in [0, 0.5]
 * @param trainLimit use only the first N training samples (0 = all), for quick runs
 * @param testLimit use only the first N test samples (0 = all)
 * @param source {@code fashion-mnist} (default), {@code idx}, {@code csv}, {@code images} or {@code text}
 * @param text text only: tokenizer, maxLength and text field ({@link TextSpec})
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DataSpec(Double validation, Integer trainLimit, Integer testLimit, String source, String name,
        String train, String trainLabels, String test, String testLabels,
        @JsonDeserialize(using = DataSpec.LabelReader.class) String label, Boolean header, List<Integer> size,
        Integer channels, Double testFraction, Long testSeed, Boolean stratified, TextSpec text) {

    /** The default source. */
    public static final String FASHION_MNIST = "fashion-mnist";

    /** Every accepted value of {@code source}. */
    public static final List<String> SOURCES = List.of(FASHION_MNIST, "idx", "csv", "images", "text");

    public DataSpec {
        validation = validation == null ? 0.1 : validation;
        trainLimit = trainLimit == null ? 0 : trainLimit;
        testLimit = testLimit == null ? 0 : testLimit;
        if (!(validation >= 0 && validation <= 0.5)) {
            throw new IllegalArgumentException("validation: must be in [0, 0.5] (got " + validation + ")");
        }
        if (trainLimit < 0 || testLimit < 0) {
            throw new IllegalArgumentException("trainLimit/testLimit: must be ≥ 0, 0 meaning all (got "
                    + trainLimit + ", " + testLimit + ")");
        }
        if (FASHION_MNIST.equals(source)) {
            source = null; // the default, written as absent: one canonical form (and digest)
        }
        if (source == null) {
            String given = firstGiven(name, train, trainLabels, test, testLabels, label, header, size, channels,
                    testFraction, testSeed, stratified, text);
            if (given != null) {
                throw new IllegalArgumentException(given + ": only with source idx, csv, images or text (source is "
                        + FASHION_MNIST + ", read from the --data directory)");
            }
        } else {
            if (!SourceSpec.SOURCES.contains(source)) {
                throw new IllegalArgumentException("source: must be one of " + String.join(", ", SOURCES)
                        + " (got " + source + ")");
            }
            if (test != null && (testFraction != null || testSeed != null || stratified != null)) {
                throw new IllegalArgumentException("test: testFraction, testSeed and stratified carve a test split"
                        + " from train, so they are only allowed without test");
            }
            if (size != null) {
                size = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(size));
            }
            toSource(source, name, train, trainLabels, test, testLabels, label, header, size, channels,
                    testFraction, testSeed, stratified, text); // validates the combination
        }
    }

    /** The components before {@code text}: a source that is not text. */
    public DataSpec(Double validation, Integer trainLimit, Integer testLimit, String source, String name,
            String train, String trainLabels, String test, String testLabels, String label, Boolean header,
            List<Integer> size, Integer channels, Double testFraction, Long testSeed, Boolean stratified) {
        this(validation, trainLimit, testLimit, source, name, train, trainLabels, test, testLabels, label, header, size,
                channels, testFraction, testSeed, stratified, null);
    }

    /** Fashion-MNIST with these limits (the constructor every config had before sources). */
    public DataSpec(Double validation, Integer trainLimit, Integer testLimit) {
        this(validation, trainLimit, testLimit, null, null, null, null, null, null, null, null, null, null, null,
                null, null);
    }

    public static DataSpec defaults() {
        return new DataSpec(null, null, null);
    }

    /** A source of the user's own files with default limits and validation fraction. */
    public static DataSpec of(SourceSpec s) {
        return new DataSpec(null, null, null, s.source(), s.name(), s.train(), s.trainLabels(), s.test(),
                s.testLabels(), s.label(), s.header(), s.size(), s.channels(), s.test() == null ? s.testFraction() : null,
                s.test() == null ? s.seed() : null, s.test() == null ? s.stratified() : null, s.text());
    }

    /** @return the source's name, {@code fashion-mnist} when none is set */
    public String sourceName() {
        return source == null ? FASHION_MNIST : source;
    }

    /** @return whether the data is Fashion-MNIST from the {@code --data} directory */
    public boolean fashionMnistSource() {
        return source == null;
    }

    /**
     * @return the reader's spec for a source of the user's own files
     * @throws IllegalStateException for Fashion-MNIST, which has none
     */
    public SourceSpec sourceSpec() {
        if (source == null) {
            throw new IllegalStateException("fashion-mnist has no SourceSpec");
        }
        return toSource(source, name, train, trainLabels, test, testLabels, label, header, size, channels,
                testFraction, testSeed, stratified, text);
    }

    /** @return a copy with relative file paths made absolute against {@code dir} (normalised) */
    public DataSpec resolvedAgainst(Path dir) {
        if (source == null) {
            return this;
        }
        return new DataSpec(validation, trainLimit, testLimit, source, name, resolve(dir, train),
                resolve(dir, trainLabels), resolve(dir, test), resolve(dir, testLabels), label, header, size, channels,
                testFraction, testSeed, stratified, text == null ? null : text.resolvedAgainst(dir));
    }

    /** @return a copy with other limits */
    public DataSpec withLimits(Double validationFraction, Integer trainMax, Integer testMax) {
        return new DataSpec(validationFraction, trainMax, testMax, source, name, train, trainLabels, test, testLabels,
                label, header, size, channels, testFraction, testSeed, stratified, text);
    }

    private static String resolve(Path dir, String file) {
        if (file == null) {
            return null;
        }
        Path p = Path.of(file);
        return p.isAbsolute() ? file : dir.resolve(p).toAbsolutePath().normalize().toString();
    }

    private static SourceSpec toSource(String source, String name, String train, String trainLabels, String test,
            String testLabels, String label, Boolean header, List<Integer> size, Integer channels,
            Double testFraction, Long testSeed, Boolean stratified, TextSpec text) {
        try {
            return new SourceSpec(source, name, train, trainLabels, test, testLabels, label, header, size, channels,
                    testFraction, testSeed, stratified, text);
        } catch (IllegalArgumentException e) {
            // SourceSpec says "seed"; here the key is testSeed.
            String msg = String.valueOf(e.getMessage());
            throw new IllegalArgumentException(msg.startsWith("seed:") ? "testSeed:" + msg.substring(5) : msg, e);
        }
    }

    private static String firstGiven(Object... values) {
        String[] names = {"name", "train", "trainLabels", "test", "testLabels", "label", "header", "size",
            "channels", "testFraction", "testSeed", "stratified", "text"};
        for (int i = 0; i < values.length; i++) {
            if (values[i] != null) {
                return names[i];
            }
        }
        return null;
    }

    /** {@code label} is a column name or a 0-based index: a string or a whole number in YAML. */
    static final class LabelReader extends JsonDeserializer<String> {
        private static final Set<JsonToken> ACCEPTED = Set.of(JsonToken.VALUE_STRING, JsonToken.VALUE_NUMBER_INT);

        @Override
        public String deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonToken t = p.currentToken();
            if (!ACCEPTED.contains(t)) {
                return (String) ctxt.handleUnexpectedToken(String.class, p);
            }
            return p.getText();
        }
    }
}
